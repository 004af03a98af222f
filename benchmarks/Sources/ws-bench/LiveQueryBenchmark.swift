import BenchSupport
import Foundation

// `ws-bench --live-queries` (issue 17): what a live query costs beside a plain topic, measured in
// one run on one server. N sockets each watch one of five queries that every purchase moves (a
// fifth of them each), N more are subscribed to the `sales` topic as the other live runs are, and
// purchases go in at a fixed rate. Each purchase is timed from its write to the frame that
// reflects it on every socket: the `new_sale` event on the topic path (the baseline), the first
// `query_diff` carrying its record at or after its commit on the query path. Same server start
// (`startServer`), subscribers (`Fleet`, `Audience`) and fixed-rate buyer (`buy`) as the other runs.

/// One of the five questions the query sockets watch, and what of a purchase shows in its diffs.
struct WatchedQuery: Sendable {
    enum Shows: Sendable {
        /// The purchase's sale enters the result.
        case sale
        /// This record is updated in the result (a product's stock, the buyer's debt).
        case record(String)
    }

    let name: String
    /// The `watch` message's query: `collection`, `filter`, `order`, `limit`, as one JSON object.
    let query: String
    let shows: Shows

    /// The socket's `watch` message for this query under watch id `id`.
    func message(id: String) -> String { "{\"type\":\"watch\",\"id\":\"\(id)\"," + query.dropFirst() }

    /// The five queries. Every purchase of ``LiveQueryBenchmark/purchaseBody`` (u4 buys one p1 and
    /// one p2) moves each: p1 is the active product with the most stock (restocked by 1,000,000),
    /// p2 is "low" with ~500,000 in stock under a threshold of 1,000,000, u4's debt grows, and the
    /// sale is the newest of all and of today. The low-stock window is 50 (over 44 products) so p2,
    /// the largest of the low, is always inside it.
    static func mix(today: String) -> [WatchedQuery] {
        [
            WatchedQuery(name: "products by stock", query: #"{"collection":"products","filter":{"field":"active","eq":true},"order":{"field":"stock","direction":"desc"},"limit":20}"#,
                         shows: .record("p1")),
            WatchedQuery(name: "low stock (field vs field)",
                         query: #"{"collection":"products","filter":{"and":[{"field":"active","eq":true},{"field":"stock","lte":{"field":"lowStockThreshold"}}]},"order":{"field":"stock"},"limit":50}"#,
                         shows: .record("p2")),
            WatchedQuery(name: "20 newest sales", query: #"{"collection":"sales","order":{"field":"at","direction":"desc"},"limit":20}"#, shows: .sale),
            WatchedQuery(name: "debts > 0 (admin)", query: #"{"collection":"debts","filter":{"field":"amount","gt":0},"order":{"field":"amount","direction":"desc"},"limit":20}"#,
                         shows: .record("u4")),
            WatchedQuery(name: "today's sales",
                         query: #"{"collection":"sales","filter":{"field":"at","gte":""# + today + #""},"order":{"field":"at","direction":"desc"},"limit":50}"#,
                         shows: .sale),
        ]
    }
}

/// A purchase that committed, with the range of feed sequences its commit can hold: after the
/// commit before it in feed order, up to its own `Feed-Sequence` (the commit's last change).
struct Commit {
    let saleId: String
    let sent: UInt64
    let first: UInt64
    let last: UInt64

    /// The purchases answered 201 with a `Feed-Sequence`, in feed order; `head` is the feed's head before the first.
    static func inFeedOrder(_ samples: [Sample], after head: UInt64) -> [Commit] {
        var previous = head
        return samples.compactMap { sample -> (String, UInt64, UInt64)? in
            guard let id = sample.saleId, let sequence = sample.feedSequence else { return nil }
            return (id, sample.sent, sequence)
        }.sorted { $0.2 < $1.2 }.map { id, sent, sequence in
            defer { previous = sequence }
            return Commit(saleId: id, sent: sent, first: previous + 1, last: sequence)
        }
    }
}

/// What the sockets watching one query saw, every purchase matched with the frame that reflects it.
struct QueryPathStats {
    var opened = 0
    /// Sockets whose watch answered a snapshot.
    var watching = 0
    /// Nanoseconds from each purchase's write to the first diff reflecting it, per (socket, purchase).
    var latencies: [UInt64] = []
    /// (socket, purchase) pairs no diff reflected.
    var lost = 0
    /// Pairs first reflected by a diff of a later commit (its `seq` past the purchase's commit).
    var viaLater = 0
    /// A sale entering one socket's result twice.
    var duplicated = 0
    var diffs = 0
    var seqViolations = 0
    /// Watching sockets whose snapshot lacked the record the query follows (p1, p2, u4).
    var snapshotsWithout = 0
    var errors: [String] = []

    mutating func add(_ other: QueryPathStats) {
        opened += other.opened; watching += other.watching; latencies += other.latencies; lost += other.lost
        viaLater += other.viaLater; duplicated += other.duplicated; diffs += other.diffs; seqViolations += other.seqViolations
        snapshotsWithout += other.snapshotsWithout; errors += other.errors.prefix(max(0, 5 - errors.count))
    }

    /// Matches every watching socket of `query` (the logs given) with `commits`.
    static func match(_ logs: [SubscriberLog], watching query: WatchedQuery, commits: [Commit]) -> QueryPathStats {
        var stats = QueryPathStats()
        stats.opened = logs.count
        for log in logs {
            log.state.withLock { state in
                if stats.errors.count < 3, let error = state.error { stats.errors.append(error) }
                guard state.ready, let snapshot = state.queries.first, snapshot.snapshot else { return }
                stats.watching += 1
                stats.seqViolations += state.seqViolations
                let diffs = state.queries.dropFirst()
                stats.diffs += diffs.count
                switch query.shows {
                case .sale:
                    var entered: [String: SubscriberLog.QueryFrame] = [:]
                    for frame in diffs {
                        for id in frame.ids where id.hasPrefix("s") {
                            if entered[id] == nil { entered[id] = frame } else { stats.duplicated += 1 }
                        }
                    }
                    for commit in commits {
                        guard let frame = entered[commit.saleId] else { stats.lost += 1; continue }
                        stats.latencies.append(frame.at &- commit.sent)
                        if frame.seq > commit.last { stats.viaLater += 1 }
                    }
                case .record(let id):
                    if !snapshot.ids.contains(id) { stats.snapshotsWithout += 1 }
                    let carrying = diffs.filter { $0.ids.contains(id) }
                    var next = carrying.startIndex
                    for commit in commits {
                        while next < carrying.endIndex, carrying[next].seq < commit.first { next += 1 }
                        guard next < carrying.endIndex else { stats.lost += 1; continue }
                        stats.latencies.append(carrying[next].at &- commit.sent)
                        if carrying[next].seq > commit.last { stats.viaLater += 1 }
                    }
                }
            }
        }
        return stats
    }
}

struct LiveQueryResult {
    var sockets: Int
    var rate: Double
    var achievedRate: Double
    var purchases: Int
    var commits: Int
    var purchaseErrors: [String]
    var purchaseLatency: Percentiles
    var topicConnected: Int
    var topic: DeliveryStats
    var queries: [WatchedQuery]
    var perQuery: [QueryPathStats]
    var windowSeconds: Double
    var drainSeconds: Double
    var stillArriving: Bool
    var serverCPU: Double
    var hubMetrics: [String: Double]
    var command: String
    var purchaseBody: String

    var allQueries: QueryPathStats { perQuery.reduce(into: QueryPathStats()) { $0.add($1) } }
}

struct LiveQueryBenchmark {
    let options: WSBenchOptions

    static let purchaseBody = #"{"buyerId":"u4","items":[{"productId":"p1","quantity":1},{"productId":"p2","quantity":1}]}"#

    func run() async throws -> LiveQueryResult {
        let sockets = options.subscribers[0]
        let rate = options.rates[0]
        let server = try startServer(options, label: "live-queries")
        defer { server.stop() }
        try prepareLowStock(server)

        let midnight = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date())
        let today = String(format: "%04d-%02d-%02dT00:00:00Z", midnight.year!, midnight.month!, midnight.day!)
        let mix = WatchedQuery.mix(today: today)
        let queries = options.watchQueries.map { mix[$0 - 1] }
        let topic = await Audience.open(sockets, on: server, named: "topic path (sales, inventory)")
        let watchRequests = (0..<sockets).map { queries[$0 % queries.count].message(id: "q\($0 % queries.count + 1)") }
        let watchers = await Audience.open(Fleet(requests: watchRequests), on: server, named: "query path (\(queries.count) queries)")
        // Every watch answers its snapshot (or an error) before the purchases start.
        let deadline = monotonicNanos() + 30_000_000_000
        func answered() -> Int { watchers.fleet.logs.filter { $0.state.withLock { !$0.queries.isEmpty || $0.error != nil } }.count }
        while answered() < watchers.fleet.ready.current, monotonicNanos() < deadline { try? await Task.sleep(for: .milliseconds(100)) }
        progress("  \(answered().grouped) of \(watchers.fleet.ready.current.grouped) watches answered")
        try? await Task.sleep(for: .seconds(2))

        let head = UInt64(server.health()?["feedHead"] as? Int ?? 0)
        let count = Int(rate * options.seconds)
        progress("\(count.grouped) purchases at \(rate.grouped)/s …")
        let cpuBefore = server.cpu ?? 0
        let windowStart = monotonicNanos()
        let (run, runSeconds) = try await buy(on: server, rate: rate, count: count, body: Self.purchaseBody)
        let commits = Commit.inFeedOrder(run.samples, after: head)
        let expected = commits.count * topic.fleet.ready.current
        // Caught up: every `new_sale`, and on every watching socket a frame at or past the last commit's first sequence.
        let lastFirst = commits.last?.first ?? 0
        func caughtUp() -> Bool {
            topic.fleet.saleDeliveries.current >= expected
                && watchers.fleet.logs.allSatisfy { $0.state.withLock { !$0.ready || $0.queries.isEmpty || $0.lastSeq >= lastFirst } }
        }
        let (drainSeconds, stillArriving) = await drain(quiet: 15, limit: 120, every: .milliseconds(50), until: caughtUp,
                                                        progress: { topic.fleet.saleDeliveries.current + watchers.fleet.queryFrames.current })
        let cpuAfter = server.cpu ?? 0
        let windowSeconds = Double(monotonicNanos() - windowStart) / 1e9
        let hubMetrics = server.metrics(prefix: "tenda_hub_")
        progress("  \(topic.fleet.saleDeliveries.current.grouped) of \(expected.grouped) new_sale deliveries, " +
                 "\(watchers.fleet.queryFrames.current.grouped) query frames; matching …")

        var sentAt: [String: UInt64] = [:]
        for commit in commits { sentAt[commit.saleId] = commit.sent }
        let topicStats = topic.fleet.match(sentAt: sentAt)
        let perQuery = queries.indices.map { q in
            QueryPathStats.match(watchers.fleet.logs.enumerated().filter { $0.offset % queries.count == q }.map(\.element),
                                 watching: queries[q], commits: commits)
        }
        server.stop()
        await topic.fleet.finish(timeout: 5)
        await watchers.fleet.finish(timeout: 5)

        return LiveQueryResult(
            sockets: sockets, rate: rate, achievedRate: Double(run.samples.count) / runSeconds, purchases: count,
            commits: commits.count, purchaseErrors: run.errors, purchaseLatency: Percentiles(run.samples.map { $0.done &- $0.sent }),
            topicConnected: topic.fleet.ready.current, topic: topicStats, queries: queries, perQuery: perQuery,
            windowSeconds: windowSeconds, drainSeconds: drainSeconds, stillArriving: stillArriving, serverCPU: cpuAfter - cpuBefore,
            hubMetrics: hubMetrics, command: server.command, purchaseBody: Self.purchaseBody)
    }

    /// p2 restocked by 500,000 under a low-stock threshold of 1,000,000: "low" for the whole run,
    /// and the largest of the low products.
    private func prepareLowStock(_ server: ServerProcess) throws {
        let connection = try HTTPConnection(port: server.port)
        let restock = try connection.request("POST", "/api/products/p2/stock", token: server.token, body: #"{"delta":500000,"reason":"restock"}"#)
        guard restock.status == 200 else { throw BenchError("restock of p2 answered \(restock.status): \(restock.text.prefix(200))") }
        let threshold = try connection.request("PATCH", "/api/products/p2", token: server.token, body: #"{"lowStockThreshold":1000000}"#)
        guard threshold.status == 200, let product = threshold.json(), product["active"] as? Bool == true,
              let stock = product["stock"] as? Int, stock <= 1_000_000 else {
            throw BenchError("PATCH /api/products/p2 answered \(threshold.status): \(threshold.text.prefix(200)) (p2 must be active and low)")
        }
        for _ in 0..<20 { _ = try connection.request("POST", "/api/purchases", token: server.token, body: Self.purchaseBody) }
    }
}

// MARK: - Report

/// `ws-bench --live-queries`' Markdown report.
struct LiveQueryReport {
    let options: WSBenchOptions
    let result: LiveQueryResult
    let fileLimit: UInt64
    let loadBefore: String
    let loadAfter: String
    let elapsed: Duration

    func render() -> String {
        let r = result
        var out = ["# Live queries beside the topic path (`tenda serve`, issue 17)", "",
                   "## Write to frame: purchase → `new_sale` (topic) and → `query_diff` (live queries), one run", ""]
        var table = Table("path", "sockets", "follows", "p50 (ms)", "p90 (ms)", "p99 (ms)", "max (ms)", "reflected", "lost",
                          "via a later diff", "seq errors", "frames read")
        let t = r.topic
        let topicLatency = Percentiles(t.latencies)
        table.add("topic `sales`: `new_sale` (baseline)", r.topicConnected.grouped + (r.topicConnected < r.sockets ? " of \(r.sockets.grouped)" : ""),
                  "sale id", topicLatency.p50.ms, topicLatency.p90.ms, topicLatency.p99.ms, topicLatency.max.ms, t.delivered.grouped,
                  t.lost.grouped, "–", t.seqViolations.grouped, t.events.grouped)
        let rows: [(WatchedQuery?, QueryPathStats)] = zip(r.queries, r.perQuery).map { ($0, $1) } + [(nil, r.allQueries)]
        for (query, stats) in rows {
            let latency = Percentiles(stats.latencies)
            let follows = switch query?.shows {
            case .sale?: "sale enters"
            case .record(let id)?: "\(id) updated"
            case nil: ""
            }
            table.add(query.map { "query: \($0.name)" } ?? "**all \(r.queries.count) queries**",
                      stats.watching.grouped + (stats.watching < stats.opened ? " of \(stats.opened.grouped)" : ""), follows,
                      latency.p50.ms, latency.p90.ms, latency.p99.ms, latency.max.ms, stats.latencies.count.grouped, stats.lost.grouped,
                      stats.viaLater.grouped, stats.seqViolations.grouped, stats.diffs.grouped)
        }
        out.append(table.render())
        out.append("")
        let frames = t.events + r.allQueries.diffs
        var cpu = Table("server CPU over the window (s)", "% of one core", "window (s)", "purchases", "frames delivered (topic + query)",
                        "µs per frame", "µs per purchase")
        cpu.add(r.serverCPU.fixed(2), (r.serverCPU / r.windowSeconds * 100).fixed(0), r.windowSeconds.fixed(1), r.commits.grouped,
                "\(frames.grouped) (\(t.events.grouped) + \(r.allQueries.diffs.grouped))",
                frames > 0 ? (r.serverCPU / Double(frames) * 1e6).fixed(2) : "–",
                r.commits > 0 ? (r.serverCPU / Double(r.commits) * 1e6).grouped : "–")
        out.append(cpu.render())
        out.append("")
        out.append("""
            \(r.sockets.grouped) sockets subscribed to `sales` and `inventory` (the baseline, as in the other live runs; each \
            purchase queues a `new_sale`, a `debt_update` and an `inventory_update` per product, two here, for each of them; \
            queued `inventory_update`s of one product supersede each other) and \(r.sockets.grouped) sockets each \
            watching one query (socket i watching query i mod \(r.queries.count)), all signed in as the owner (role ≥ admin, \
            so the debts query is allowed), on one server at once. Purchases: `POST /api/purchases` with \
            `\(r.purchaseBody)`, \(r.rate.grouped)/s target (\(r.achievedRate.fixed(1)) sent) for \(options.seconds.grouped) s, \
            open loop over 32 keep-alive connections; \(r.commits.grouped) of \(r.purchases.grouped) answered 201 with a \
            `Feed-Sequence`; answer p50 / p99 \(r.purchaseLatency.p50.ms) / \(r.purchaseLatency.p99.ms) ms.

            Latency: from just before the purchase is written to the moment a socket reads the frame that reflects it, over \
            every (socket, purchase) pair. Topic: the `new_sale` whose sale id is the 201's. Query: a purchase's commit holds \
            the feed sequences after the previous commit's `Feed-Sequence` up to its own; the frame that reflects it is the \
            first `query_diff` on that socket carrying its record (the sale among the `enter`ed for the sales queries, p1, p2 or \
            u4 among the `enter`ed/`update`d for the others) with `seq` at or after the commit's first sequence. Lost: a pair \
            with no such frame by the end. Via a later diff: the frame that reflected it had a `seq` past the purchase's commit \
            (a diff coalesced with, or only sent for, a later commit). Seq errors: a frame whose `seq` was not above the \
            previous one on that socket. Frames read: event frames (topic) and `query_diff` frames (queries; the snapshots \
            not counted). Server CPU: user + system time of `tenda serve` (/proc) over the window, the purchases and the \
            drain after them; one server serves both paths, so the CPU is for both together and per frame is an average \
            over both kinds of frame. The load generator runs on the same cores.
            """)
        out.append("")
        out.append("Deliveries went on \(r.drainSeconds.fixed(1)) s after the last purchase's answer" +
                   (r.stillArriving ? " and were still arriving when the benchmark stopped waiting" : "") + ". " +
                   "Watching sockets whose snapshot lacked the record its query follows: \(r.allQueries.snapshotsWithout.grouped); " +
                   "a sale entering a socket's result twice: \(r.allQueries.duplicated.grouped). Hub counters at the end (`GET /metrics`): " +
                   r.hubMetrics.sorted { $0.key < $1.key }.map { "`\($0.key)` \(Int($0.value).grouped)" }.joined(separator: ", ") + ".")
        let errors = r.purchaseErrors + t.errors + r.allQueries.errors
        if !errors.isEmpty {
            out.append("")
            out.append("Errors: " + errors.prefix(6).map { "`\($0.prefix(300))`" }.joined(separator: "; "))
        }
        out.append("")
        out.append("## How these figures were made")
        out.append("")
        let arguments = options.arguments.joined(separator: " ")
        out.append("- command: `swift run -c release --package-path benchmarks ws-bench \(arguments)` (from the repository root, " +
                   "after `swift build -c release --package-path benchmarks --product tenda`)")
        out.append("- server: `bash -c 'ulimit -n 65536; exec \(r.command.replacingOccurrences(of: NSTemporaryDirectory(), with: "/tmp/"))'`; " +
                   "p1 restocked by 1,000,000, p2 by 500,000 with `lowStockThreshold` 1,000,000, 40 warm-up purchases, before any socket")
        for (i, query) in r.queries.enumerated() {
            out.append("- watch q\(i + 1), \(query.name), socket i when i mod \(r.queries.count) = \(i): `\(query.message(id: "q\(i + 1)"))`")
        }
        out += runFacts(elapsed: elapsed, fileLimit: fileLimit, loadBefore: loadBefore, loadAfter: loadAfter)
        return out.joined(separator: "\n")
    }
}
