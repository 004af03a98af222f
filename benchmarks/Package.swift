// swift-tools-version:6.2
import PackageDescription

// The benchmarks live in their own package so the main build and CI never compile them.
// Run them from the repository root:
//
//     swift run -c release --package-path benchmarks store-bench
//     swift run -c release --package-path benchmarks shop-bench
//     swift build -c release --package-path benchmarks --product tenda   # the server ws-bench starts
//     swift run -c release --package-path benchmarks ws-bench
//     swift run -c release --package-path benchmarks ws-bench --replication   # needs nats-server
//     swift run -c release --package-path benchmarks bot-bench
//     benchmarks/Scripts/callgrind.sh    # instr-bench under callgrind: instructions per op
// A path dependency's identity is the name of its folder (lowercased), which depends on where
// the repository was cloned, so it is worked out here rather than written down.
let mainPackage = Context.packageDirectory.split(separator: "/").dropLast().last.map { $0.lowercased() } ?? "main"

let package = Package(
    name: "tenda-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        // ws-bench's WebSocket client; the same versions as the main package's.
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", exact: "2.8.1"),
        // ws-bench's socket floor with NIO's WebSocket handlers; the main package's version.
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
    ],
    targets: [
        // liblmdb called directly from C: the baseline every Store figure is compared with.
        .target(
            name: "RawLMDB",
            linkerSettings: [.linkedLibrary("lmdb")]
        ),
        // Callgrind's client requests (valgrind/callgrind.h, Debian's valgrind) as C functions, and the
        // plain-pthread global executor instr-bench uses under valgrind (plain_executor.h).
        .target(name: "CallgrindControl"),
        // Timing, tables and machine facts shared by the benchmarks.
        .target(name: "BenchSupport"),
        .executableTarget(
            name: "store-bench",
            dependencies: [
                "RawLMDB",
                "BenchSupport",
                .product(name: "Store", package: mainPackage),
            ]
        ),
        .executableTarget(
            name: "shop-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "Shop", package: mainPackage),
                .product(name: "Store", package: mainPackage),
            ]
        ),
        // The live server under load: starts the release `tenda serve` as its own process,
        // thousands of WebSocket subscribers, purchases at a fixed rate, REST through wrk.
        .executableTarget(
            name: "ws-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Hummingbird", package: "hummingbird"),
                // The socket floor's second server: NIO's own WebSocket upgrade and frame handlers.
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        // The bot: the outbox's delivery rate and latency against a local stand-in of the Bot API
        // (the tests' own, Tests/TelegramTests/Support/StandInBotAPI.swift, linked into the target).
        .executableTarget(
            name: "bot-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "Bot", package: mainPackage),
                .product(name: "Shop", package: mainPackage),
                .product(name: "Telegram", package: mainPackage),
                .product(name: "Store", package: mainPackage),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // A fixed workload for instruction counts (Scripts/callgrind.sh): purchases, one event to
        // in-process subscribers, product-list GETs through the real server, each phase alone.
        .executableTarget(
            name: "instr-bench",
            dependencies: [
                "BenchSupport",
                "CallgrindControl",
                .product(name: "TendaApp", package: mainPackage),
                .product(name: "Server", package: mainPackage),
                .product(name: "Realtime", package: mainPackage),
                .product(name: "Shop", package: mainPackage),
                .product(name: "Store", package: mainPackage),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
