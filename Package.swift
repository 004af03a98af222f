// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "tenda",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Shop", targets: ["Shop"]),
        .library(name: "Telegram", targets: ["Telegram"]),
        .library(name: "Realtime", targets: ["Realtime"]),
        .library(name: "Server", targets: ["Server"]),
        .library(name: "Bot", targets: ["Bot"]),
        .library(name: "TendaApp", targets: ["TendaApp"]),
        .executable(name: "tenda", targets: ["tenda"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit", exact: "5.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", exact: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras", exact: "1.35.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio", exact: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", exact: "1.21.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        // nats.c's header only, no `link` line: NATSClient opens libnats.so.3.4 with dlopen when a
        // client is created, so the self-contained release binary does not need libnats.
        .systemLibrary(
            name: "CNATS",
            providers: [.apt(["libnats-dev"])]
        ),
        // A small blocking JetStream client over nats.c, resolved at run time (Sources/NATSClient).
        .target(
            name: "NATSClient",
            dependencies: ["CNATS"]
        ),
        // libxlsxwriter's header only, no `link` line: Spreadsheet opens libxlsxwriter.so.4 with
        // dlopen when a workbook is written, so the self-contained release binary does not need it.
        .systemLibrary(
            name: "CXLSXWriter",
            providers: [.apt(["libxlsxwriter-dev"])]
        ),
        // `.xlsx` workbooks of typed cells over libxlsxwriter, resolved at run time (Sources/Spreadsheet).
        .target(
            name: "Spreadsheet",
            dependencies: ["CXLSXWriter"]
        ),
        // Primary and replicas: the feed shipped to NATS JetStream and applied by followers (Sources/Replication).
        .target(
            name: "Replication",
            dependencies: [
                "Store", "NATSClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Store",
            // Crypto: the SHA-256 of a backup's data file (Maintenance/BackupManifest.swift).
            dependencies: ["CLMDB", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: [.unsafeFlags(["-cross-module-optimization"])]
        ),
        .target(
            name: "Telegram",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Shop",
            dependencies: [
                "Store",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: [.unsafeFlags(["-cross-module-optimization"])]
        ),
        .target(
            name: "Realtime",
            dependencies: ["Store", "Shop"]
        ),
        .target(
            name: "Server",
            dependencies: [
                "Store", "Shop", "Telegram", "Realtime",
                // /health and /metrics report replication (Replication/ReplicationStatus.swift).
                "Replication",
                // GET /api/reports/export.xlsx (Routes/ReportWorkbook.swift).
                "Spreadsheet",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Logging", package: "swift-log"),
                // The WebSocket upgrade and framing (Server/WebSocket), below Hummingbird's router.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                // HTTPS on the same port (Server/TLS): certificate files, reloading, the TLS child channel.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                // The embedded MiniApp's ETags are SHA-256 of the files' bytes.
                .product(name: "Crypto", package: "swift-crypto"),
                // A replica's link to its primary (Server/Replication/PrimaryLink.swift): forwarded
                // writes and the snapshot download.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            // The MiniApp (web/) and Chart.js inside the binary: see Plugins/EmbedWebApp.
            plugins: ["EmbedWebApp"]
        ),
        .executableTarget(name: "embed-web-app"),
        .plugin(name: "EmbedWebApp", capability: .buildTool(), dependencies: ["embed-web-app"]),
        .target(
            name: "Bot",
            dependencies: [
                "Store", "Shop", "Telegram",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The composition root: the one module that knows both the server and the bot.
        .target(
            name: "TendaApp",
            dependencies: [
                "Store", "Shop", "Realtime", "Server", "Bot", "Replication",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "tenda",
            dependencies: [
                "Store", "Shop", "Server", "Telegram", "TendaApp", "Replication",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // tenda doctor --clock-url: the Date header of any server.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "NATSClientTests",
            // Real nats-server processes (Debian's nats-server) and libnats3.4, loaded at run time.
            dependencies: ["NATSClient"]
        ),
        .testTarget(
            name: "ReplicationTests",
            dependencies: [
                "Replication", "Store", "NATSClient",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store"]
        ),
        .testTarget(
            name: "TelegramTests",
            dependencies: [
                "Telegram",
                // The Bot API stand-in (Support/StandInBotAPI.swift) is a small Hummingbird server.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ShopTests",
            dependencies: [
                "Shop", "Store",
                // BackupUnderLoadTests runs the application's scheduled backups, then serves the restored store.
                "TendaApp",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RealtimeTests",
            dependencies: ["Realtime", "Shop", "Store"]
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "Shop", "Store", "Telegram", "Realtime", "TendaApp",
                // WorkbookTests: the workbook writer's refusals and its clean-up.
                "Spreadsheet",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSCompression", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // WebSocketFrameReaderTests: the reader in an EmbeddedChannel, with NIO's frame type.
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "BotTests",
            dependencies: [
                "Bot", "Server", "Shop", "Store", "Realtime", "Telegram", "TendaApp",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WebUITests",
            dependencies: [
                "Server", "Shop", "Store", "Telegram", "TendaApp",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "TendaCLITests",
            dependencies: [
                "tenda", "Store", "Telegram", "NATSClient",
                // ReplicaNodesTests' HTTP calls to the nodes (Support/ReplicaNodes.swift).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // The Bot API stand-in (Support/StandInBotAPI.swift, shared with TelegramTests) for
                // tenda doctor, and the handler that sets its clock (Support/ServerClock.swift).
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
