// swift-tools-version:6.2
import PackageDescription

// libFuzzer targets over Tenda's own parsers, in their own package so the main build and
// `swift test` never compile them. Build and run them with the script next to this file:
//
//     Tests/Fuzz/run.sh                  # every target, FUZZ_SECONDS (default 60) each
//     FUZZ_SECONDS=25 Tests/Fuzz/run.sh records websocket
//
// The script builds with `--sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address`
// (why both: see run.sh), in debug so the harnesses can `@testable import` the modules' internal
// parsers; each target is an executable whose `LLVMFuzzerTestOneInput` libFuzzer calls.
// Corpus/<target>/ holds the seeds, Dictionaries/<target>.dict the words of the input language.

// A path dependency's identity is the name of its folder (lowercased), which depends on where
// the repository was cloned, so it is worked out here rather than written down.
let mainPackage = Context.packageDirectory.split(separator: "/").dropLast(2).last.map { $0.lowercased() } ?? "main"

let package = Package(
    name: "tenda-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        // The commands target drives the real router in-process; the same version as the main package's.
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/adam-fowler/compress-nio", exact: "1.5.0"),
    ],
    targets: [
        // A shop over a temporary store with the demo data, and a way to wait for async work
        // from libFuzzer's synchronous callback.
        .target(
            name: "FuzzSupport",
            dependencies: [
                .product(name: "Shop", package: mainPackage),
                .product(name: "Store", package: mainPackage),
                .product(name: "Realtime", package: mainPackage),
            ]
        ),
        // Telegram initData (bot-token and Ed25519 verifiers) and Login Widget fields.
        .executableTarget(
            name: "initdata",
            dependencies: [.product(name: "Telegram", package: mainPackage)]
        ),
        // WebSocket frames into the real `WebSocketConnection` (fragments, close, permessage-deflate) and its session.
        .executableTarget(
            name: "websocket",
            dependencies: [
                "FuzzSupport",
                .product(name: "Server", package: mainPackage),
                .product(name: "Shop", package: mainPackage),
                .product(name: "Realtime", package: mainPackage),
                .product(name: "Bot", package: mainPackage),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        // Every command's JSON body through the real router (REST) and through the socket's command bridge.
        .executableTarget(
            name: "commands",
            dependencies: [
                "FuzzSupport",
                .product(name: "Server", package: mainPackage),
                .product(name: "Shop", package: mainPackage),
                .product(name: "TendaApp", package: mainPackage),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        // The multipart/form-data parser of image uploads, then the image check.
        .executableTarget(
            name: "multipart",
            dependencies: [
                .product(name: "Server", package: mainPackage),
                .product(name: "Shop", package: mainPackage),
            ]
        ),
        // Chat lines ("/buy 3 coxinha") and dialogue answers through the bot's conversation.
        .executableTarget(
            name: "botline",
            dependencies: [
                "FuzzSupport",
                .product(name: "Bot", package: mainPackage),
                .product(name: "Shop", package: mainPackage),
            ]
        ),
        // The store's binary record format: every record type of Store, Shop and Bot, and the key readers.
        .executableTarget(
            name: "records",
            dependencies: [
                "FuzzSupport",
                .product(name: "Store", package: mainPackage),
                .product(name: "Shop", package: mainPackage),
                .product(name: "Bot", package: mainPackage),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
