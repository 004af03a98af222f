import BenchSupport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The live server under load: the release `tenda serve --demo` in its own process, N
/// WebSocket subscribers, purchases over REST at a fixed rate, commit-to-client latency of
/// every `new_sale`, memory per idle connection, and REST throughput through wrk.
@main
struct WSBench {
    static func main() async {
        // The floor's server, started by `--socket-floor` as its own process.
        if (4...5).contains(CommandLine.arguments.count), CommandLine.arguments[1] == "--floor-server",
           let port = Int(CommandLine.arguments[2]), let firstRead = Int(CommandLine.arguments[3]) {
            let webSocket = CommandLine.arguments.count == 5 && CommandLine.arguments[4] == "websocket"
            do { try SocketFloorBenchmark.serve(port: port, firstRead: firstRead, webSocket: webSocket) } catch {
                progress("ws-bench --floor-server: \(error)")
                exit(1)
            }
        }
        let options: WSBenchOptions
        do {
            options = try WSBenchOptions(parsing: Array(CommandLine.arguments.dropFirst()))
        } catch {
            let help = "\(error)" == "help"
            progress((help ? "" : "ws-bench: \(error)\n\n") + WSBenchOptions.usage)
            exit(help ? 0 : 2)
        }
        guard FileManager.default.isExecutableFile(atPath: options.tenda) else {
            progress("ws-bench: no tenda binary at \(options.tenda); build it first:\n  swift build -c release --package-path benchmarks --product tenda")
            exit(2)
        }
        let fileLimit = raiseOpenFileLimit()
        let loadBefore = Machine.loadAverage()
        let started = ContinuousClock.now
        /// A separate mode: runs it, prints its report with the load average after it, exits 1 on an error.
        func runMode<R>(_ benchmark: () async throws -> R, report: (R, _ loadAfter: String, _ elapsed: Duration) -> String) async {
            do {
                let result = try await benchmark()
                print(report(result, Machine.loadAverage(), ContinuousClock.now - started))
            } catch {
                progress("ws-bench: \(error)")
                exit(1)
            }
        }
        if options.replication {
            return await runMode({ try await ReplicationBenchmark(options: options).run() }) {
                ReplicationReport(options: options, result: $0, fileLimit: fileLimit, loadBefore: loadBefore, loadAfter: $1, elapsed: $2).render()
            }
        }
        if options.socketFloor {
            return await runMode({ try await SocketFloorBenchmark(options: options).run() }) {
                SocketFloorReport(options: options, results: $0, fileLimit: fileLimit, loadBefore: loadBefore, loadAfter: $1, elapsed: $2).render()
            }
        }
        if options.nioFanout {
            return await runMode({ try await NIOFanoutBenchmark(options: options).run() }) {
                NIOFanoutReport(options: options, result: $0, fileLimit: fileLimit, loadBefore: loadBefore, loadAfter: $1, elapsed: $2).render()
            }
        }
        if options.liveQueries {
            return await runMode({ try await LiveQueryBenchmark(options: options).run() }) {
                LiveQueryReport(options: options, result: $0, fileLimit: fileLimit, loadBefore: loadBefore, loadAfter: $1, elapsed: $2).render()
            }
        }
        var live: [LiveResult] = []
        var rest: RESTResult?
        do {
            for (n, rate) in zip(options.subscribers, options.rates) where options.live {
                live.append(try await LiveBenchmark(options: options, subscribers: n, rate: rate).run())
            }
            if options.rest { rest = try await RESTBenchmark(options: options).run() }
        } catch {
            progress("ws-bench: \(error)")
            exit(1)
        }
        print(WSBenchReport(options: options, live: live, rest: rest, fileLimit: fileLimit, loadBefore: loadBefore,
                            loadAfter: Machine.loadAverage(), elapsed: ContinuousClock.now - started).render())
    }
}

struct WSBenchOptions {
    var subscribers = [1_000, 10_000]
    var rates = [50.0, 20.0]
    var seconds = 15.0
    var restSeconds = 10
    var rest = true
    var live = true
    var userRateLimit = 1_000_000.0
    /// `--replication`: ReplicationBenchmark instead of the live and REST runs.
    var replication = false
    /// `--live-queries`: LiveQueryBenchmark (the first of `subscribers` per path, at the first of `rates`).
    var liveQueries = false
    /// `--nio-fanout`: NIOFanoutBenchmark, raw-fanout's rounds written through SwiftNIO (first of `subscribers` and `rates`).
    var nioFanout = false
    /// `--c-reader`: the live runs' subscribers read by `Scripts/ws-reader.c` (``CReader``), as the floor's are.
    var cReader = false
    /// `--socket-floor`: SocketFloorBenchmark, a bare NIO server's memory per idle connection, at each of `subscribers`.
    var socketFloor = false
    /// Which of ``WatchedQuery/mix(today:)``'s five queries the query sockets watch (1-based), shared out in turn.
    var watchQueries = [1, 2, 3, 4, 5]
    var lagSubscribers = 50
    var lagRates = [100.0, 1_000.0]
    var fanOutSubscribers = 10_000
    var fanOutRate = 20.0
    var tenda: String
    var demoFile: String
    var natsServer = "/usr/sbin/nats-server"
    var arguments: [String]

    /// benchmarks/ and the repository root, from this file's place.
    static let benchmarksFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let repositoryFolder = URL(fileURLWithPath: benchmarksFolder).deletingLastPathComponent().path

    static let usage = """
        usage: ws-bench [--quick] [--subscribers 1000,10000] [--rates 50,20] [--seconds 15] [--rest-seconds 10]
                        [--no-live] [--no-rest] [--c-reader] [--user-rate-limit R] [--tenda PATH] [--demo-file PATH]
               ws-bench --replication [--quick] [--seconds 15] [--lag-subscribers 50] [--lag-rates 100,1000]
                        [--fan-out-subscribers 10000] [--fan-out-rate 20] [--nats-server PATH]
               ws-bench --live-queries [--quick] [--subscribers 1000] [--rates 50] [--seconds 15] [--queries 1,2,3,4,5]
               ws-bench --socket-floor [--subscribers 1000,10000]
               ws-bench --nio-fanout [--subscribers 10000] [--rates 5] [--seconds 15]
          --subscribers     WebSocket subscribers of each live run, comma-separated (1000,10000)
          --rates           purchases per second of each live run (50,20)
          --seconds         length of each live run's purchases (15); --no-live skips the live runs
          --c-reader        the live runs' subscribers read by Scripts/ws-reader.c (a C epoll loop in its own
                            process, as raw-fanout.c's floor is read) instead of SwiftNIO channels in ws-bench
          --nio-fanout      the fan-out floor of SwiftNIO (issue 18): raw-fanout.c's rounds (the first --subscribers sockets,
                            the first --rates rate, for --seconds) written through NIO's event loops, read by raw-fanout --connect
          --rest-seconds    length of each REST run (10); --no-rest skips them
          --user-rate-limit the server's --user-rate-limit (1000000: the benchmark is one user)
          --tenda           the server binary (benchmarks/.build/release/tenda, else .build/release/tenda)
          --quick           200 subscribers at 20/s for 5 s, REST runs of 3 s: a smoke test
          --replication     replica nodes over nats-server (issue 16): replication lag (subscribers on the
                            primary and on one replica, purchases at each --lag-rates rate), then fan-out
                            (--fan-out-subscribers on the primary alone, then split over two replicas);
                            with --quick: 20 subscribers at 100,500/s and 1,000 split, 5 s each
          --live-queries    live queries (issue 17): the first --subscribers sockets watching five queries (a fifth
                            each) and as many subscribed to the `sales` topic, in one run on one server, purchases
                            at the first --rates rate for --seconds; write-to-diff beside write-to-`new_sale`
                            (1,000 + 1,000 at 50/s; with --quick 200 + 200 at 20/s for 5 s); --queries picks which
                            of the five (1 products by stock, 2 low stock, 3 newest sales, 4 debts, 5 today's sales)
          --socket-floor    the floor under "memory per idle connection" (issue 18): a bare SwiftNIO server in its own
                            process (a 101 and a `ready` frame, nothing else) and the same subscribers, its RSS before and
                            after, with NIO's default first read buffer and with tenda's 512 bytes
        Needs wrk on the PATH for the REST part (apt-get install wrk), nats-server for --replication.
        """

    init(parsing arguments: [String]) throws {
        self.arguments = arguments
        let own = Self.benchmarksFolder + "/.build/release/tenda"
        tenda = FileManager.default.isExecutableFile(atPath: own) ? own : Self.repositoryFolder + "/.build/release/tenda"
        demoFile = Self.repositoryFolder + "/fixtures/demo-shop.json"
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < arguments.count else { throw BenchError("\(arguments[i - 1]) needs a value") }
            return arguments[i]
        }
        func numbers() throws -> [Double] {
            let list = try value().split(separator: ",").map { Double($0.replacingOccurrences(of: "_", with: "")) }
            guard !list.isEmpty, list.allSatisfy({ ($0 ?? 0) > 0 }) else { throw BenchError("\(arguments[i - 1]) needs positive numbers") }
            return list.map { $0! }
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--subscribers": subscribers = try numbers().map { Int($0) }
            case "--rates": rates = try numbers()
            case "--seconds": seconds = try numbers()[0]
            case "--rest-seconds": restSeconds = Int(try numbers()[0])
            case "--no-rest": rest = false
            case "--no-live": live = false
            case "--user-rate-limit": userRateLimit = try numbers()[0]
            case "--tenda": tenda = try value()
            case "--demo-file": demoFile = try value()
            case "--quick":
                subscribers = [200]; rates = [20]; seconds = 5; restSeconds = 3
                lagSubscribers = 20; lagRates = [100, 500]; fanOutSubscribers = 1_000
            case "--replication": replication = true
            case "--live-queries": liveQueries = true
            case "--socket-floor": socketFloor = true
            case "--c-reader": cReader = true
            case "--nio-fanout": nioFanout = true
            case "--queries":
                watchQueries = try numbers().map { Int($0) }
                guard watchQueries.allSatisfy({ (1...5).contains($0) }) else { throw BenchError("--queries names queries 1 to 5") }
            case "--lag-subscribers": lagSubscribers = Int(try numbers()[0])
            case "--lag-rates": lagRates = try numbers()
            case "--fan-out-subscribers": fanOutSubscribers = Int(try numbers()[0])
            case "--fan-out-rate": fanOutRate = try numbers()[0]
            case "--nats-server": natsServer = try value()
            case "--help", "-h": throw BenchError("help")
            default: throw BenchError("unknown option \(arguments[i])")
            }
            i += 1
        }
        if rates.count < subscribers.count { rates += Array(repeating: rates.last!, count: subscribers.count - rates.count) }
    }
}

/// Creates a server, restocks p1 so purchases never run out, returns it. `extraArguments` (e.g.
/// `--nats`, `--replication-key`) make it a replication primary.
func startServer(_ options: WSBenchOptions, label: String, extraArguments: [String] = []) throws -> ServerProcess {
    progress("starting \(options.tenda) serve --demo (\(label)) …")
    let server = try ServerProcess(binary: options.tenda, role: .demo(file: options.demoFile), userRateLimit: options.userRateLimit,
                                   extraArguments: extraArguments, label: label)
    let connection = try HTTPConnection(port: server.port)
    let restock = try connection.request("POST", "/api/products/p1/stock", token: server.token,
                                         body: #"{"delta":1000000,"reason":"restock"}"#)
    guard restock.status == 200 else {
        server.stop()
        throw BenchError("restock of p1 answered \(restock.status): \(restock.text.prefix(200))")
    }
    // Warm up: the first requests of each kind pay for lazy set-up.
    for _ in 0..<20 {
        _ = try connection.request("GET", "/api/products", token: server.token)
        _ = try connection.request("POST", "/api/purchases", token: server.token, body: LiveBenchmark.purchaseBody)
    }
    return server
}

/// `count` purchases of `body` on `server` at `rate`, open loop over 32 keep-alive connections on one
/// event loop (``openLoop``), each answer's sale id and `Feed-Sequence` read; the samples and the seconds taken.
func buy(on server: ServerProcess, rate: Double, count: Int, body: String = LiveBenchmark.purchaseBody) async throws
    -> (run: (samples: [Sample], errors: [String]), seconds: Double) {
    let token = server.token
    let (run, seconds) = try await timed {
        try await openLoop(port: server.port, rate: rate, count: count, connections: 32, loops: 1, parseSaleId: true) { _ in
            HTTPConnection.encode("POST", "/api/purchases", token: token, body: body)
        }
    }
    return (run, seconds)
}

/// After a purchase run: waits until `done()`, or `progress()` has not moved for `quiet` seconds,
/// or `limit` seconds have passed, polling `every`. The seconds waited, and whether frames were
/// still arriving (not done, but `progress()` moved within `quiet`) when it gave up.
func drain(quiet: Double, limit: Double, every interval: Duration, until done: () -> Bool,
           progress: () -> Int) async -> (seconds: Double, stillArriving: Bool) {
    let start = monotonicNanos()
    let (quietNanos, limitNanos) = (UInt64(quiet * 1e9), UInt64(limit * 1e9))
    var last = progress(), lastChange = monotonicNanos()
    while !done(), monotonicNanos() - start < limitNanos, monotonicNanos() - lastChange < quietNanos {
        try? await Task.sleep(for: interval)
        let now = progress()
        if now != last { last = now; lastChange = monotonicNanos() }
    }
    return (Double(monotonicNanos() - start) / 1e9, !done() && monotonicNanos() - lastChange < quietNanos)
}

// MARK: - Live: subscribers and purchases

struct LiveResult {
    var subscribers: Int
    var connected: Int
    var hubSubscribers: Int?
    var rate: Double
    var seconds: Double
    var connectSeconds: Double
    var rssBeforeKB: Int
    var rssAfterKB: Int
    var purchases: Int
    var purchasesOK: Int
    var purchaseErrors: [String]
    var purchaseLatency: Percentiles
    var achievedRate: Double
    var delivery: Percentiles
    var expected: Int
    var delivered: Int
    var lost: Int
    var duplicated: Int
    var foreign: Int
    var seqViolations: Int
    var resyncs: Int
    var subscriberErrors: [String]
    var deliveriesPerSecond: Double
    var eventsPerSecond: Double
    var serverCPU: Double
    var command: String
    var serverFileLimit: String
    var drainSeconds: Double
    var closedEarly: Int
    var subscribersWithLoss: Int
    var lostInLastFifth: Int
    var hubMetrics: [String: Double]
    var stillArriving: Bool
    var kbPerConnection: Double { Double(rssAfterKB - rssBeforeKB) / Double(max(connected, 1)) }
}

struct LiveBenchmark {
    let options: WSBenchOptions
    let subscribers: Int
    let rate: Double

    static let purchaseBody = #"{"buyerId":"u4","items":[{"productId":"p1","quantity":1}]}"#

    func run() async throws -> LiveResult {
        let server = try startServer(options, label: "live-\(subscribers)")
        defer { server.stop() }
        usleep(500_000)
        let rssBefore = server.residentKB ?? 0
        let fileLimit = server.openFileLimit

        progress("opening \(subscribers.grouped) subscribers (a \(server.token.count)-character token in each upgrade request) …")
        let fleet = Fleet(count: subscribers, readInC: options.cReader)
        let (_, connectSeconds) = await timed { await fleet.open(port: server.port, token: server.token) }
        var hub = server.hubSubscribers()
        let deadline = monotonicNanos() + 30_000_000_000
        while (hub ?? 0) < fleet.ready.current, monotonicNanos() < deadline {
            try? await Task.sleep(for: .milliseconds(100))
            hub = server.hubSubscribers()
        }
        progress("\(fleet.ready.current.grouped) ready, \(fleet.failed.current) failed, hub counts \(hub.map(String.init) ?? "?") in \(connectSeconds.fixed(1)) s")
        try? await Task.sleep(for: .seconds(2))
        let rssAfter = server.residentKB ?? 0

        let count = Int(rate * options.seconds)
        progress("\(count) purchases at \(rate.grouped)/s …")
        let cpuBefore = server.cpu ?? 0
        let (run, runSeconds) = try await buy(on: server, rate: rate, count: count)
        // Drain: until every subscriber has every sale, no delivery for 30 s, or 180 s.
        let okSales = run.samples.filter { $0.saleId != nil }
        let expected = (count - run.samples.filter { $0.status != 201 && $0.status != 0 }.count) * fleet.ready.current
        let (drainSeconds, stillArriving) = await drain(quiet: 30, limit: 180, every: .milliseconds(50),
                                                        until: { fleet.saleDeliveries.current >= expected }, progress: { fleet.saleDeliveries.current })
        let cpuAfter = server.cpu ?? 0
        progress("\(fleet.saleDeliveries.current.grouped) of \(expected.grouped) deliveries; closing …")
        fleet.collect()

        // Match every delivery with its purchase.
        var sentAt: [String: UInt64] = [:]
        for sample in okSales { sentAt[sample.saleId!] = sample.sent }
        let stats = fleet.match(sentAt: sentAt)
        let (latencies, lastDelivery) = (stats.latencies, stats.lastDelivery)
        let closedEarly = fleet.ended.current
        let hubMetrics = server.metrics(prefix: "tenda_hub_")
        var subscribersWithLoss = 0, lostInLastFifth = 0
        let lateSales = Set(okSales.suffix(max(1, okSales.count / 5)).compactMap(\.saleId))
        for log in fleet.logs {
            log.state.withLock { state in
                guard state.ready else { return }
                let seen = Set(state.sales.map(\.id))
                let missing = sentAt.keys.filter { !seen.contains($0) }
                if !missing.isEmpty { subscribersWithLoss += 1 }
                lostInLastFifth += missing.filter { lateSales.contains($0) }.count
            }
        }
        let firstSend = okSales.map(\.sent).min() ?? 0
        let span = Double(lastDelivery &- firstSend) / 1e9
        server.stop()
        await fleet.finish()

        return LiveResult(
            subscribers: subscribers, connected: fleet.ready.current, hubSubscribers: hub, rate: rate, seconds: options.seconds,
            connectSeconds: connectSeconds, rssBeforeKB: rssBefore, rssAfterKB: rssAfter, purchases: count, purchasesOK: okSales.count,
            purchaseErrors: run.errors, purchaseLatency: Percentiles(run.samples.map { $0.done - $0.sent }),
            achievedRate: Double(run.samples.count) / runSeconds, delivery: Percentiles(latencies), expected: expected,
            delivered: latencies.count, lost: stats.lost, duplicated: stats.duplicated, foreign: stats.foreign,
            seqViolations: stats.seqViolations, resyncs: stats.resyncs, subscriberErrors: stats.errors,
            deliveriesPerSecond: span > 0 ? Double(latencies.count) / span : .nan,
            eventsPerSecond: span > 0 ? Double(stats.events) / span : .nan, serverCPU: (cpuAfter - cpuBefore) / runSeconds,
            command: server.command, serverFileLimit: fileLimit,
            drainSeconds: drainSeconds, closedEarly: closedEarly, subscribersWithLoss: subscribersWithLoss,
            lostInLastFifth: lostInLastFifth, hubMetrics: hubMetrics, stillArriving: stillArriving)
    }
}

// MARK: - REST

struct FixedRateResult {
    var target: Double
    var achieved: Double
    var count: Int
    var failures: Int
    var errors: [String]
    /// From the scheduled send time (includes waiting behind a slow answer) and from the write.
    var scheduled: Percentiles
    var service: Percentiles
}

struct RESTResult {
    var getMax: WrkResult
    var postMax: WrkResult
    var getFixed: FixedRateResult
    var postFixed: FixedRateResult
    var connections: Int
    var loops: Int
    var command: String
}

struct RESTBenchmark {
    let options: WSBenchOptions
    let connections = 64
    /// Event-loop threads of the fixed-rate sender: where the server kept up, one gave a lower p99
    /// than two (a second sender thread on two cores takes CPU from the server it measures).
    let loops = 1

    func run() async throws -> RESTResult {
        let server = try startServer(options, label: "rest")
        defer { server.stop() }
        let base = "http://127.0.0.1:\(server.port)"
        let script = WSBenchOptions.benchmarksFolder + "/Scripts/purchase.lua"
        progress("wrk GET /api/products, \(options.restSeconds) s …")
        let getMax = try runWrk(url: base + "/api/products", token: server.token, script: nil, seconds: options.restSeconds, connections: connections)
        progress("  \(getMax.requestsPerSecond.grouped) req/s; wrk POST /api/purchases …")
        let postMax = try runWrk(url: base + "/api/purchases", token: server.token, script: script, seconds: options.restSeconds, connections: connections)
        progress("  \(postMax.requestsPerSecond.grouped) req/s")
        let token = server.token
        let body = LiveBenchmark.purchaseBody
        let getRequest = HTTPConnection.encode("GET", "/api/products", token: token, body: nil)
        let postRequest = HTTPConnection.encode("POST", "/api/purchases", token: token, body: body)
        let getFixed = try await fixed(port: server.port, rate: (getMax.requestsPerSecond * 0.8).rounded()) { _ in getRequest }
        let postFixed = try await fixed(port: server.port, rate: (postMax.requestsPerSecond * 0.8).rounded()) { _ in postRequest }
        return RESTResult(getMax: getMax, postMax: postMax, getFixed: getFixed, postFixed: postFixed, connections: connections,
                          loops: loops, command: server.command)
    }

    private func fixed(port: Int, rate: Double, request: @escaping @Sendable (Int) -> [UInt8]) async throws -> FixedRateResult {
        progress("fixed rate \(rate.grouped)/s for \(options.restSeconds) s …")
        let count = Int(rate * Double(options.restSeconds))
        let (run, seconds) = try await timed {
            try await openLoop(port: port, rate: rate, count: count, connections: connections, loops: loops, parseSaleId: false, request: request)
        }
        let ok = run.samples.filter { (200..<300).contains($0.status) }
        return FixedRateResult(target: rate, achieved: Double(run.samples.count) / seconds, count: run.samples.count,
                               failures: run.samples.count - ok.count, errors: run.errors,
                               scheduled: Percentiles(ok.map { $0.done &- $0.scheduled }), service: Percentiles(ok.map { $0.done &- $0.sent }))
    }
}
