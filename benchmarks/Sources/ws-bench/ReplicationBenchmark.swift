import BenchSupport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

// `ws-bench --replication` (issue 16): what replica nodes cost and what they buy, measured on
// real processes (nats-server, the release `tenda serve` as primary and as replicas) with the
// same subscribers (`Fleet`) and fixed-rate buyer (`openLoop`) as the single-node live runs.
//
// 1. Lag: subscribers on the primary and on one replica, purchases on the primary at each rate;
//    the replica's latency minus the primary's is what replication adds to a `new_sale`.
// 2. Fan-out: N subscribers on the primary alone, then the same N split over two replicas;
//    every process's CPU over the window ÷ the deliveries it made is the figure that carries to
//    separate machines (here all processes share two cores, so the split cannot win on time).

/// `nats-server` with JetStream on a free loopback port and a fresh store folder: the stream the
/// primary ships its change feed to. Its pid is kept for its CPU time.
final class NATSServer: @unchecked Sendable {
    let port: Int
    let pid: Int32
    let storeDir: String
    let command: String
    private let process: Process

    var url: String { "nats://127.0.0.1:\(port)" }
    var cpu: Double? { cpuSeconds(of: pid) }

    init(binary: String, label: String) throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("no nats-server at \(binary) (apt-get install nats-server, or --nats-server PATH)")
        }
        port = try freePort()
        storeDir = NSTemporaryDirectory() + "ws-bench-\(getpid())-\(label)"
        try? FileManager.default.removeItem(atPath: storeDir)
        try FileManager.default.createDirectory(atPath: storeDir, withIntermediateDirectories: true)
        let arguments = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir]
        command = "\(binary) \(arguments.joined(separator: " "))"
        let logPath = storeDir + ".log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: logPath)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
        pid = process.processIdentifier
        let deadline = monotonicNanos() + 30_000_000_000
        while (try? HTTPConnection(port: port)) == nil {
            guard monotonicNanos() < deadline, process.isRunning else {
                stop()
                throw BenchError("nats-server did not listen on \(port); see \(logPath)")
            }
            usleep(50_000)
        }
    }

    func stop() {
        terminate(process)
        try? FileManager.default.removeItem(atPath: storeDir)
        try? FileManager.default.removeItem(atPath: storeDir + ".log")
    }
}

/// NATS, a primary on the demo shop shipping its feed there (p1 restocked, warmed up), and
/// `replicaCount` replicas that each took a snapshot of it and follow the stream.
final class ReplicaSet {
    /// Any shared secret of 32 characters or more.
    static let key = "ws-bench-replication-key-0123456789abcdef"
    let nats: NATSServer
    let primary: ServerProcess
    private(set) var replicas: [ServerProcess] = []

    init(options: WSBenchOptions, replicaCount: Int, label: String) throws {
        let nats = try NATSServer(binary: options.natsServer, label: label + "-nats")
        self.nats = nats
        let replication = ["--nats", nats.url, "--replication-key", Self.key]
        do {
            primary = try startServer(options, label: label + "-primary", extraArguments: replication)
        } catch {
            nats.stop()
            throw error
        }
        do {
            for n in 0..<replicaCount {
                progress("starting replica \(n + 1) of \(replicaCount) (snapshot of the primary, then the stream) …")
                replicas.append(try ServerProcess(binary: options.tenda, role: .replica(primaryPort: primary.port, token: primary.token),
                                                  userRateLimit: options.userRateLimit, extraArguments: replication,
                                                  label: "\(label)-replica-\(n)"))
            }
        } catch {
            stop()
            throw error
        }
    }

    /// Every process of the set by name, for their CPU time.
    var processes: [(name: String, pid: Int32)] {
        [("primary", primary.pid)] + replicas.enumerated().map { (replicaName($0.offset), $0.element.pid) } + [("nats-server", nats.pid)]
    }

    func replicaName(_ index: Int) -> String { replicas.count == 1 ? "replica" : "replica \(["A", "B", "C", "D"][index % 4])" }

    func stop() {
        for replica in replicas { replica.stop() }
        primary.stop()
        nats.stop()
    }
}

/// Subscribers on one node of a set.
struct Audience {
    let node: String
    let server: ServerProcess
    let fleet: Fleet

    /// Opens `count` subscribers on `server` (all the owner, subscribed to `sales` and `inventory`)
    /// and waits until its hub counts them.
    static func open(_ count: Int, on server: ServerProcess, named node: String) async -> Audience {
        await open(Fleet(count: count), on: server, named: node)
    }

    /// Opens every connection of `fleet` and waits until the node's hub counts them beside the
    /// subscriptions it held before.
    static func open(_ fleet: Fleet, on server: ServerProcess, named node: String) async -> Audience {
        progress("opening \(fleet.logs.count.grouped) subscribers on the \(node) …")
        let before = server.hubSubscribers() ?? 0
        await fleet.open(port: server.port, token: server.token)
        let deadline = monotonicNanos() + 30_000_000_000
        var hub = server.hubSubscribers()
        while (hub ?? 0) < before + fleet.ready.current, monotonicNanos() < deadline {
            try? await Task.sleep(for: .milliseconds(100))
            hub = server.hubSubscribers()
        }
        progress("  \(fleet.ready.current.grouped) ready, \(fleet.failed.current) failed, hub counts \(hub.map(String.init) ?? "?")")
        return Audience(node: node, server: server, fleet: fleet)
    }

    /// Closes every connection and waits (10 s at most) until the node's hub no longer counts
    /// them, so a run's subscribers are gone before the next run's open.
    func close() async {
        await fleet.finish(timeout: 0)
        let deadline = monotonicNanos() + 10_000_000_000
        while (server.hubSubscribers() ?? 0) > 0, monotonicNanos() < deadline {
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// What one node's subscribers saw in a purchase run.
struct AudienceResult {
    var node: String
    var subscribers: Int
    var connected: Int
    var stats: DeliveryStats
    var latency: Percentiles
}

/// One process's CPU over a purchase run's window (purchases and the drain after them).
struct ProcessCPU {
    var name: String
    var seconds: Double
    /// `new_sale` deliveries its own subscribers received (0 for NATS, and for a node without subscribers).
    var deliveries: Int
}

struct PurchaseRunResult {
    var rate: Double
    var achievedRate: Double
    var purchases: Int
    var purchasesOK: Int
    var purchaseErrors: [String]
    var purchaseLatency: Percentiles
    var windowSeconds: Double
    var drainSeconds: Double
    var stillArriving: Bool
    var audiences: [AudienceResult]
    var cpu: [ProcessCPU]
    /// Each replica's `replication.lastApplyDelayMilliseconds` from `/health`, sampled every 250 ms during the run.
    var applyDelays: [String: [Double]]
    /// Each replica's `tenda_replication_*` at the end.
    var replicaMetrics: [String: [String: Double]]
}

struct ReplicationResult {
    var lagSubscribers: Int
    var lag: [PurchaseRunResult]
    var fanOutSubscribers: Int
    var oneNode: PurchaseRunResult?
    var split: PurchaseRunResult?
    var commands: [String]
}

struct ReplicationBenchmark {
    let options: WSBenchOptions

    func run() async throws -> ReplicationResult {
        var result = ReplicationResult(lagSubscribers: options.lagSubscribers, lag: [], fanOutSubscribers: options.fanOutSubscribers, commands: [])

        // 1. Lag: one primary, one replica, the same number of subscribers on each.
        let lagSet = try ReplicaSet(options: options, replicaCount: 1, label: "lag")
        result.commands = [lagSet.nats.command, lagSet.primary.command, lagSet.replicas[0].command]
        do {
            for rate in options.lagRates {
                let audiences = [await Audience.open(options.lagSubscribers, on: lagSet.primary, named: "primary"),
                                 await Audience.open(options.lagSubscribers, on: lagSet.replicas[0], named: "replica")]
                try? await Task.sleep(for: .seconds(1))
                let run = try await purchaseRun(lagSet, audiences: audiences, rate: rate)
                for audience in audiences { await audience.close() }
                result.lag.append(run)
            }
        } catch {
            lagSet.stop()
            throw error
        }
        lagSet.stop()

        // 2. Fan-out: N subscribers on the primary alone (shipping to NATS as a primary does, no
        //    replica), then the same N split over two replicas.
        let n = options.fanOutSubscribers
        let one = try ReplicaSet(options: options, replicaCount: 0, label: "fan-out-one")
        do {
            let audience = await Audience.open(n, on: one.primary, named: "primary")
            try? await Task.sleep(for: .seconds(2))
            result.oneNode = try await purchaseRun(one, audiences: [audience], rate: options.fanOutRate)
            await audience.close()
        } catch {
            one.stop()
            throw error
        }
        one.stop()
        let split = try ReplicaSet(options: options, replicaCount: 2, label: "fan-out-split")
        do {
            let audiences = [await Audience.open(n / 2, on: split.replicas[0], named: split.replicaName(0)),
                             await Audience.open(n - n / 2, on: split.replicas[1], named: split.replicaName(1))]
            try? await Task.sleep(for: .seconds(2))
            result.split = try await purchaseRun(split, audiences: audiences, rate: options.fanOutRate)
            for audience in audiences { await audience.close() }
        } catch {
            split.stop()
            throw error
        }
        split.stop()
        return result
    }

    /// Purchases on the primary at `rate` for `options.seconds`, then a drain until every
    /// subscriber has every sale (or nothing arrived for 15 s, or 120 s passed). The CPU window
    /// is the purchases plus the drain, so every delivery counted was paid for inside it.
    private func purchaseRun(_ set: ReplicaSet, audiences: [Audience], rate: Double) async throws -> PurchaseRunResult {
        let count = Int(rate * options.seconds)
        progress("\(count.grouped) purchases at \(rate.grouped)/s on the primary …")
        let processes = set.processes
        let sampler = ApplyDelaySampler(replicas: set.replicas.enumerated().map { (set.replicaName($0.offset), $0.element) })
        let cpuBefore = processes.map { cpuSeconds(of: $0.pid) ?? 0 }
        let windowStart = monotonicNanos()
        let (run, runSeconds) = try await buy(on: set.primary, rate: rate, count: count)
        let okSales = run.samples.filter { $0.saleId != nil }
        let expected = okSales.count * audiences.reduce(0) { $0 + $1.fleet.ready.current }
        func received() -> Int { audiences.reduce(0) { $0 + $1.fleet.saleDeliveries.current } }
        let drainStart = monotonicNanos()
        let (_, stillArriving) = await drain(quiet: 15, limit: 120, every: .milliseconds(20), until: { received() >= expected }, progress: received)
        let cpuAfter = processes.map { cpuSeconds(of: $0.pid) ?? 0 }
        let windowEnd = monotonicNanos()
        let applyDelays = sampler.stop()
        progress("  \(received().grouped) of \(expected.grouped) deliveries")

        var sentAt: [String: UInt64] = [:]
        for sample in okSales { sentAt[sample.saleId!] = sample.sent }
        let results = audiences.map { audience in
            let stats = audience.fleet.match(sentAt: sentAt)
            return AudienceResult(node: audience.node, subscribers: audience.fleet.logs.count, connected: audience.fleet.ready.current,
                                  stats: stats, latency: Percentiles(stats.latencies))
        }
        let cpu = processes.enumerated().map { i, process in
            ProcessCPU(name: process.name, seconds: cpuAfter[i] - cpuBefore[i],
                       deliveries: results.filter { $0.node == process.name }.reduce(0) { $0 + $1.stats.delivered })
        }
        var metrics: [String: [String: Double]] = [:]
        for (i, replica) in set.replicas.enumerated() { metrics[set.replicaName(i)] = replica.metrics(prefix: "tenda_replication_") }
        return PurchaseRunResult(
            rate: rate, achievedRate: Double(run.samples.count) / runSeconds, purchases: count, purchasesOK: okSales.count,
            purchaseErrors: run.errors, purchaseLatency: Percentiles(run.samples.map { $0.done &- $0.sent }),
            windowSeconds: Double(windowEnd - windowStart) / 1e9, drainSeconds: Double(windowEnd - drainStart) / 1e9,
            stillArriving: stillArriving,
            audiences: results, cpu: cpu, applyDelays: applyDelays, replicaMetrics: metrics)
    }
}

/// Polls every replica's `/health` on its own thread (blocking HTTP, off the event loops and
/// the subscribers) for `replication.lastApplyDelayMilliseconds`: the replica's own view of
/// commit-on-primary → applied-here, beside the end-to-end figure the subscribers measure.
private final class ApplyDelaySampler: @unchecked Sendable {
    private let samples = Locked<[String: [Double]]>([:])
    private let running = Locked(true)
    private let finished = DispatchSemaphore(value: 0)

    init(replicas: [(name: String, server: ServerProcess)]) {
        guard !replicas.isEmpty else { finished.signal(); return }
        Thread.detachNewThread { [self] in
            while running.withLock({ $0 }) {
                for (name, server) in replicas {
                    if let replication = server.health()?["replication"] as? [String: Any],
                       let delay = replication["lastApplyDelayMilliseconds"] as? Int {
                        samples.withLock { $0[name, default: []].append(Double(delay)) }
                    }
                }
                usleep(250_000)
            }
            finished.signal()
        }
    }

    func stop() -> [String: [Double]] {
        running.withLock { $0 = false }
        finished.wait()
        return samples.withLock { $0 }
    }
}

// MARK: - Report

/// `ws-bench --replication`'s Markdown report.
struct ReplicationReport {
    let options: WSBenchOptions
    let result: ReplicationResult
    let fileLimit: UInt64
    let loadBefore: String
    let loadAfter: String
    let elapsed: Duration

    func render() -> String {
        var out = ["# Replication benchmark (`tenda serve` primary and replicas over NATS JetStream, issue 16)", ""]
        out += lagSection()
        out += fanOutSection()
        out += howMade()
        return out.joined(separator: "\n")
    }

    private func lagSection() -> [String] {
        guard !result.lag.isEmpty else { return [] }
        var out = ["## Replication lag: purchase on the primary → `new_sale` on a subscriber", ""]
        var table = Table("purchases/s (sent)", "node", "subscribers", "purchases", "p50 (ms)", "p90 (ms)", "p99 (ms)", "max (ms)",
                          "deliveries", "lost", "duplicated", "seq errors", "resync")
        for run in result.lag {
            for a in run.audiences {
                table.add("\(run.rate.grouped) (\(run.achievedRate.fixed(1)))", a.node + (a.node == "primary" ? " (baseline)" : ""),
                          a.connected.grouped + (a.connected < a.subscribers ? " of \(a.subscribers.grouped)" : ""),
                          "\(run.purchasesOK.grouped)/\(run.purchases.grouped)", a.latency.p50.ms, a.latency.p90.ms, a.latency.p99.ms,
                          a.latency.max.ms, a.stats.delivered.grouped, a.stats.lost.grouped, a.stats.duplicated.grouped,
                          a.stats.seqViolations.grouped, a.stats.resyncs.grouped)
            }
        }
        out.append(table.render())
        out.append("")
        var cost = Table("purchases/s", "replication cost p50 (ms)", "p90 (ms)", "p99 (ms)", "replica's apply delay (/health, median / max ms)",
                         "purchase answer p50 / p99 (ms)")
        for run in result.lag {
            guard let primary = run.audiences.first(where: { $0.node == "primary" }),
                  let replica = run.audiences.first(where: { $0.node != "primary" }) else { continue }
            let delays = run.applyDelays.values.first ?? []
            cost.add(run.rate.grouped, (replica.latency.p50 - primary.latency.p50).ms, (replica.latency.p90 - primary.latency.p90).ms,
                     (replica.latency.p99 - primary.latency.p99).ms,
                     delays.isEmpty ? "–" : "\(median(delays).grouped) / \((delays.max() ?? 0).grouped) (\(delays.count) samples)",
                     "\(run.purchaseLatency.p50.ms) / \(run.purchaseLatency.p99.ms)")
        }
        out.append(cost.render())
        out.append("")
        out += cpuTable(result.lag.map { ("\($0.rate.grouped)/s", $0) })
        out.append("")
        out.append("""
            Latency: from just before a `POST /api/purchases` is written to the primary to the moment a subscriber reads the \
            `new_sale` frame with that purchase's sale id, over every (subscriber, sale) pair; \(result.lagSubscribers.grouped) \
            subscribers on the primary (the baseline: the same path without replication) and \(result.lagSubscribers.grouped) on \
            the replica, all at once, fresh connections for each rate, on one primary, one replica and one nats-server. \
            Replication cost = replica − primary at the same percentile (percentiles do not subtract exactly; it is the shift \
            of the distribution). Lost: a (subscriber, sale) pair never received; seq errors: an event whose `seq` was not above \
            the previous one on that connection (out of order). The apply delay is the replica's own \
            `replication.lastApplyDelayMilliseconds` (commit on the primary → applied on the replica, last batch; whole \
            milliseconds), polled every 250 ms.
            """)
        for run in result.lag {
            out.append("")
            out.append("\(run.rate.grouped)/s: deliveries went on \(run.drainSeconds.fixed(1)) s after the last purchase's answer" +
                       (run.stillArriving ? " and were still arriving when the benchmark stopped waiting" : "") +
                       "; the replica's `/metrics` at the end: " + metricsLine(run.replicaMetrics.values.first ?? [:]) + "." +
                       errorsLine(run))
        }
        out.append("")
        return out
    }

    private func fanOutSection() -> [String] {
        guard let one = result.oneNode, let split = result.split else { return [] }
        let n = result.fanOutSubscribers
        var out = ["## Fan-out: \(n.grouped) subscribers on one node vs split over two replicas", ""]
        var table = Table("set-up", "node", "subscribers", "purchases/s (sent)", "purchases", "p50 (ms)", "p90 (ms)", "p99 (ms)", "max (ms)",
                          "deliveries", "lost", "duplicated", "seq errors", "resync")
        for (name, run) in [("one node (primary, no replica)", one), ("split over two replicas", split)] {
            for a in run.audiences {
                table.add(name, a.node, a.connected.grouped + (a.connected < a.subscribers ? " of \(a.subscribers.grouped)" : ""),
                          "\(run.rate.grouped) (\(run.achievedRate.fixed(1)))", "\(run.purchasesOK.grouped)/\(run.purchases.grouped)",
                          a.latency.p50.ms, a.latency.p90.ms, a.latency.p99.ms, a.latency.max.ms, a.stats.delivered.grouped,
                          a.stats.lost.grouped, a.stats.duplicated.grouped, a.stats.seqViolations.grouped, a.stats.resyncs.grouped)
            }
        }
        out.append(table.render())
        out.append("")
        out += cpuTable([("one node", one), ("split", split)])
        out.append("")
        out.append("""
            Every subscriber is the owner subscribed to `sales` and `inventory` (each purchase queues three frames per \
            subscriber: `new_sale`, `debt_update`, `inventory_update`); a delivery is one `new_sale` matched with its purchase. \
            The one-node set-up is a replication primary (shipping its feed to nats-server) with no replica, so both set-ups pay \
            for NATS. CPU: user + system seconds of each process (/proc/<pid>/stat) over the window (the purchases and the \
            drain after them); µs per delivery = that ÷ the deliveries its own subscribers received; µs per purchase = that ÷ \
            the purchases (commits) of the run, the figure for a node with no subscribers. **On this 2-core machine every process \
            (nats-server, the primary, both replicas and the load generator with its \(n.grouped) sockets) shares the same two \
            cores, so the split cannot be faster in wall time here; the CPU per delivery per node is the figure that carries \
            to N machines.**
            """)
        for (name, run) in [("one node", one), ("split", split)] {
            out.append("")
            out.append("\(name): deliveries went on \(run.drainSeconds.fixed(1)) s after the last purchase's answer" +
                       (run.stillArriving ? " and were still arriving when the benchmark stopped waiting" : "") + "." +
                       run.replicaMetrics.sorted { $0.key < $1.key }.map { " \($0.key)'s `/metrics` at the end: \(metricsLine($0.value))." }.joined() +
                       errorsLine(run))
        }
        out.append("")
        return out
    }

    private func cpuTable(_ runs: [(String, PurchaseRunResult)]) -> [String] {
        var table = Table("run", "process", "CPU (s)", "CPU (% of one core)", "deliveries", "µs per delivery", "µs per purchase")
        for (name, run) in runs {
            for process in run.cpu {
                table.add(name, process.name, process.seconds.fixed(2), (process.seconds / run.windowSeconds * 100).fixed(0),
                          process.deliveries.grouped, process.deliveries > 0 ? (process.seconds / Double(process.deliveries) * 1e6).fixed(2) : "–",
                          run.purchasesOK > 0 ? (process.seconds / Double(run.purchasesOK) * 1e6).grouped : "–")
            }
            table.add(name, "window", run.windowSeconds.fixed(1) + " s", "", "", "", "")
        }
        return [table.render()]
    }

    private func metricsLine(_ metrics: [String: Double]) -> String {
        metrics.isEmpty ? "–" : metrics.sorted { $0.key < $1.key }.map { "`\($0.key)` \($0.value.grouped)" }.joined(separator: ", ")
    }

    private func errorsLine(_ run: PurchaseRunResult) -> String {
        let errors = run.purchaseErrors + run.audiences.flatMap(\.stats.errors)
        let foreign = run.audiences.reduce(0) { $0 + $1.stats.foreign }
        return (errors.isEmpty ? "" : " Errors: " + errors.prefix(5).map { "`\($0)`" }.joined(separator: "; ") + ".") +
            (foreign > 0 ? " \(foreign.grouped) deliveries were of sales whose purchase got no 201 (not counted)." : "")
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    private func howMade() -> [String] {
        let arguments = options.arguments.joined(separator: " ")
        let tmp = NSTemporaryDirectory()
        return [
            "## How these figures were made",
            "",
            "- command: `swift run -c release --package-path benchmarks ws-bench \(arguments)` (from the repository root, " +
                "after `swift build -c release --package-path benchmarks --product tenda`)",
        ] + result.commands.map { "- process: `\($0.replacingOccurrences(of: tmp, with: "/tmp/"))`" } + [
            "- every set-up starts its own nats-server and fresh data folders; the replicas take their snapshot of the primary " +
                "after it was restocked and warmed up; purchases go to the primary over 32 keep-alive connections on one " +
                "SwiftNIO event loop (open loop: purchase i due at start + i/rate)",
        ] + runFacts(elapsed: elapsed, fileLimit: fileLimit, loadBefore: loadBefore, loadAfter: loadAfter)
    }
}
