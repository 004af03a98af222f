import BenchSupport
import Foundation

/// ws-bench's printed report: tables, targets, and how the figures were made.
struct WSBenchReport {
    let options: WSBenchOptions
    let live: [LiveResult]
    let rest: RESTResult?
    let fileLimit: UInt64
    let loadBefore: String
    let loadAfter: String
    let elapsed: Duration

    func render() -> String {
        var out: [String] = ["# Live server benchmark (`tenda serve`, WebSocket hub and REST)", ""]
        if !live.isEmpty {
            out.append("## Commit-to-client latency of `new_sale`")
            out.append("")
            var table = Table("subscribers", "purchases/s (sent)", "purchases", "p50 (ms)", "p90 (ms)", "p99 (ms)", "max (ms)",
                              "deliveries/s", "event frames/s", "lost", "duplicated", "seq errors", "resync", "server CPU")
            for r in live {
                table.add(r.connected.grouped + (r.connected < r.subscribers ? " of \(r.subscribers.grouped)" : ""),
                          "\(r.rate.grouped) (\(r.achievedRate.fixed(1)))", "\(r.purchasesOK.grouped)/\(r.purchases.grouped)",
                          r.delivery.p50.ms, r.delivery.p90.ms, r.delivery.p99.ms, r.delivery.max.ms,
                          r.deliveriesPerSecond.grouped, r.eventsPerSecond.grouped, r.lost.grouped, r.duplicated.grouped,
                          r.seqViolations.grouped, r.resyncs.grouped, "\((r.serverCPU * 100).fixed(0)) %")
            }
            out.append(table.render())
            out.append("")
            out.append("""
                Latency: from just before the `POST /api/purchases` is written to the moment a subscriber's task reads the \
                `new_sale` frame whose `data.sale.id` is the id in that purchase's 201 answer, over every (subscriber, sale) \
                pair. Each purchase is durable (fsync'd group commit) before the hub sees it, so this includes the commit. \
                Every subscriber is the owner (one access token shared by all, from the demo's login code) subscribed to \
                `sales` and `inventory`: each purchase queues three frames for it (`new_sale`, `debt_update`, \
                `inventory_update`; queued `inventory_update`s of one product supersede each other), so event frames/s is \
                2–3× deliveries/s. Lost: a sale some subscriber never got; seq errors: an event whose `seq` was not \
                above the previous one on that connection. Server CPU: the server's CPU time over the purchase run ÷ its \
                length (200 % = both cores). Purchases are sent open-loop (purchase i due at start + i/rate) over 32 keep-alive \
                connections on one SwiftNIO event loop, so "sent" falls below the target only when 32 purchases are waiting on \
                the server at once. The load generator (subscribers and buyers) runs on the same two cores as the server; \
                \(options.cReader
                    ? "the subscribers are read by `Scripts/ws-reader.c` (`--c-reader`: a C epoll loop in its own process, one read() per readiness, as `raw-fanout.c`'s floor is read)."
                    : "the subscribers are SwiftNIO channels in ws-bench (`--c-reader` reads them with a C epoll loop, as the floor is read).")
                """)
            out.append("")
            out.append("### Memory per idle connection and the purchases themselves")
            out.append("")
            var memory = Table("subscribers", "connect time (s)", "hub count", "server RSS before (MB)", "after (MB)", "per connection (KB)",
                               "purchase p50 (ms)", "purchase p99 (ms)", "failed purchases")
            for r in live {
                memory.add(r.connected.grouped, r.connectSeconds.fixed(1), r.hubSubscribers.map { $0.grouped } ?? "?",
                           (Double(r.rssBeforeKB) / 1024).fixed(1), (Double(r.rssAfterKB) / 1024).fixed(1), r.kbPerConnection.fixed(1),
                           r.purchaseLatency.p50.ms, r.purchaseLatency.p99.ms, (r.purchases - r.purchasesOK).grouped)
            }
            out.append(memory.render())
            out.append("")
            out.append("RSS is the server's VmRSS (/proc/<pid>/status) after warm-up and before any WebSocket, then 2 s after every " +
                       "subscriber has its `ready` and the hub counts it (`GET /health`), before any purchase.")
            for r in live {
                out.append("")
                out.append("\(r.subscribers.grouped) subscribers: after the last purchase's answer, deliveries went on for " +
                           "\(r.drainSeconds.fixed(1)) s" + (r.stillArriving ? " and were still arriving when the benchmark stopped waiting (180 s): " +
                           "\"lost\" counts events not received by then" : "") +
                           (r.foreign > 0 ? "; \(r.foreign.grouped) deliveries were of sales whose purchase got no 201 in time (not counted)" : "") +
                           ". Connections the server closed before the end: \(r.closedEarly.grouped); subscribers missing at least one sale: " +
                           "\(r.subscribersWithLoss.grouped) (of the missing pairs, \(r.lostInLastFifth.grouped) are among the last fifth of the sales). " +
                           "Hub counters at the end (`GET /metrics`): " +
                           r.hubMetrics.sorted { $0.key < $1.key }.map { "`\($0.key)` \(Int($0.value).grouped)" }.joined(separator: ", ") + ".")
            }
            for r in live where !r.purchaseErrors.isEmpty || !r.subscriberErrors.isEmpty {
                out.append("")
                out.append("Errors seen with \(r.subscribers.grouped) subscribers: " +
                           (r.purchaseErrors + r.subscriberErrors).prefix(5).map { "`\($0)`" }.joined(separator: "; "))
            }
            out.append("")
        }
        if let rest {
            out.append("## REST: `GET /api/products` (44 products) and `POST /api/purchases`")
            out.append("")
            var table = Table("run", "requests/s", "p50 (ms)", "p90 (ms)", "p99 (ms)", "max (ms)", "non-2xx")
            table.add("GET, wrk max rate (\(rest.connections) connections)", rest.getMax.requestsPerSecond.grouped,
                      rest.getMax.p50.ms, rest.getMax.p90.ms, rest.getMax.p99.ms, rest.getMax.max.ms, rest.getMax.non2xx.grouped)
            table.add("POST, wrk max rate (\(rest.connections) connections)", rest.postMax.requestsPerSecond.grouped,
                      rest.postMax.p50.ms, rest.postMax.p90.ms, rest.postMax.p99.ms, rest.postMax.max.ms, rest.postMax.non2xx.grouped)
            for (name, f) in [("GET", rest.getFixed), ("POST", rest.postFixed)] {
                table.add("\(name), fixed \(f.target.grouped)/s (80 %), from schedule", f.achieved.grouped,
                          f.scheduled.p50.ms, f.scheduled.p90.ms, f.scheduled.p99.ms, f.scheduled.max.ms, f.failures.grouped)
                table.add("\(name), fixed \(f.target.grouped)/s (80 %), from write", "",
                          f.service.p50.ms, f.service.p90.ms, f.service.p99.ms, f.service.max.ms, "")
            }
            out.append(table.render())
            out.append("")
            out.append("""
                Max rate: Debian's wrk (closed loop; it has no fixed-rate `-R`), 2 threads, \(rest.connections) keep-alive \
                connections, \(options.restSeconds) s each, all as the owner with the server started with \
                `--user-rate-limit \(options.userRateLimit.grouped)` (the default 50/s with bursts of 200 per user would \
                answer 429 after the first 200). Fixed rate: this tool's open-loop client on SwiftNIO, \(rest.connections) \
                keep-alive connections on \(rest.loops) event-loop thread\(rest.loops == 1 ? "" : "s"), one request at a time per \
                connection (no pipelining); request i is due at start + i/rate and is written as soon as it is due and a \
                connection is free, "from schedule" counts from that due time (so waiting for a free connection or behind a \
                slow answer shows), "from write" from the moment it was written. Purchases are \
                durable: each is in an fsync'd group commit before its 201.
                """)
            for (name, f) in [("GET", rest.getFixed), ("POST", rest.postFixed)] where !f.errors.isEmpty {
                out.append("")
                out.append("Errors in the fixed-rate \(name): " + f.errors.map { "`\($0)`" }.joined(separator: "; "))
            }
            out.append("")
        }
        out.append("## Targets")
        out.append("")
        var targets = Table("target", "measured", "result")
        for r in live where r.subscribers >= 10_000 {
            targets.add("\(r.subscribers.grouped) subscribers: p99 ≤ 50 ms", r.delivery.p99.ms + " ms", r.delivery.p99 <= 50 ? "PASS" : "MISS")
            let clean = r.lost == 0 && r.duplicated == 0 && r.seqViolations == 0 && r.connected == r.subscribers && r.purchasesOK == r.purchases
            targets.add("\(r.subscribers.grouped) subscribers: nothing lost or duplicated",
                        "\(r.lost) lost, \(r.duplicated) dup., \(r.seqViolations) seq, \(r.connected.grouped) connected, \(r.purchases - r.purchasesOK) failed buys",
                        clean ? "PASS" : "MISS")
        }
        if let rest {
            targets.add("REST GET p99 ≤ 5 ms at 80 % of max (\(rest.getFixed.target.grouped)/s)", rest.getFixed.scheduled.p99.ms + " ms",
                        rest.getFixed.scheduled.p99 <= 5 && rest.getFixed.failures == 0 ? "PASS" : "MISS")
        }
        for r in live {
            targets.add("≤ 16 KB server memory per idle connection (\(r.connected.grouped))", r.kbPerConnection.fixed(1) + " KB",
                        r.kbPerConnection <= 16 ? "PASS" : "MISS")
        }
        out.append(targets.render())
        out.append("")
        let machine = Machine.current()
        out.append("## How these figures were made")
        out.append("")
        let arguments = options.arguments.isEmpty ? "" : " " + options.arguments.joined(separator: " ")
        out.append("- command: `swift run -c release --package-path benchmarks ws-bench\(arguments)` (from the repository root, " +
                   "after `swift build -c release --package-path benchmarks --product tenda`)")
        if let command = (live.first?.command ?? rest?.command) {
            out.append("- server: `bash -c 'ulimit -n 65536; exec \(command.replacingOccurrences(of: NSTemporaryDirectory(), with: "/tmp/"))'`, " +
                       "a fresh data folder and process for each run")
        }
        out.append("- date: \(ISO8601DateFormatter().string(from: Date())) (UTC); took \(Double(elapsed.components.seconds).fixed(0)) s")
        out.append("- machine: nproc \(machine.processors); CPU \(machine.cpuModel); RAM \(machine.memory); kernel \(machine.kernel)")
        out.append("- \(machine.swiftVersion)")
        out.append("- open-file limit of the load generator: \(fileLimit.grouped); of the server: \(live.first?.serverFileLimit ?? "?") " +
                   "(the hard limit here is 20,000 and cannot be raised, so `ulimit -n 65536` falls back to it); all traffic on 127.0.0.1")
        out.append("- load average before / after: \(loadBefore) / \(loadAfter)")
        return out.joined(separator: "\n")
    }
}

/// The closing lines of a report's "How these figures were made": date, machine, Swift, the load
/// generator's open-file limit and the load average around the run.
func runFacts(elapsed: Duration, fileLimit: UInt64, loadBefore: String, loadAfter: String) -> [String] {
    let machine = Machine.current()
    return [
        "- date: \(ISO8601DateFormatter().string(from: Date())) (UTC); took \(Double(elapsed.components.seconds).fixed(0)) s",
        "- machine: nproc \(machine.processors); CPU \(machine.cpuModel); RAM \(machine.memory); kernel \(machine.kernel)",
        "- \(machine.swiftVersion)",
        "- open-file limit of the load generator: \(fileLimit.grouped); all traffic on 127.0.0.1",
        "- load average before / after: \(loadBefore) / \(loadAfter)",
    ]
}

extension UInt64 {
    var grouped: String { Int(self).grouped }
}
