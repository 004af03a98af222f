import BenchSupport
import Foundation

/// The shop benchmark's printed report: tables, targets, and how the figures were made.
struct ShopBenchReport {
    let options: ShopBenchOptions
    let buys: DurableBuyBenchmark.Result
    /// The same purchases with no fsync: what the writer's own work allows.
    let unsynced: DurableBuyBenchmark.Result
    /// Nil with `--purchases-only`.
    let reads: DashboardBenchmark.Result?
    let folder: String
    let loadBefore: String
    let loadAfter: String
    let elapsed: Duration

    func render() -> String {
        var out: [String] = ["# Shop benchmark", ""]
        out.append("## Durable purchases: \(buys.buys.grouped) `buy` commands, \(options.buyers) concurrent buyers, full fsync, and again with no fsync")
        out.append("")
        var table = Table("measure", "full fsync", "no fsync")
        let figure = { (value: Double?) in value.map { $0.fixed(1) } ?? "n/a" }
        table.add("purchases per second", buys.buysPerSecond.grouped, unsynced.buysPerSecond.grouped)
        table.add("latency p50 (ms)", (buys.p50 * 1_000).fixed(2), (unsynced.p50 * 1_000).fixed(2))
        table.add("latency p99 (ms)", (buys.p99 * 1_000).fixed(2), (unsynced.p99 * 1_000).fixed(2))
        table.add("purchases per commit", buys.buysPerCommit.fixed(1), unsynced.buysPerCommit.fixed(1))
        table.add("writer thread CPU per purchase (µs)", buys.writerMicroseconds.fixed(1), unsynced.writerMicroseconds.fixed(1))
        table.add("process CPU per purchase (µs)", figure(buys.processMicroseconds), figure(unsynced.processMicroseconds))
        table.add("written by LMDB per purchase (KiB, write calls)", figure(buys.kilobytesWritten), figure(unsynced.kilobytesWritten))
        table.add("written by the disk per purchase (KiB, whole device)", figure(buys.deviceKilobytesWritten), figure(unsynced.deviceKilobytesWritten))
        out.append(table.render())
        out.append("")
        out.append("""
            Each purchase is a `Shop.execute(Buy)` by an admin for a random buyer (1–2 lines): role check, stock \
            check, the sale, stock movements, a ledger entry, counters, an audit entry and change records, in a \
            group commit that is on disk before the caller resumes. The no-fsync column runs the same purchases \
            on a store opened with `.noSync`: its rate is what the writer thread's own work allows. Writer CPU \
            is the writer thread's CPU clock over the run (`Environment.writerCPUTime`: its work, LMDB's \
            commits and their kernel time, not its waits), divided by the purchases; process CPU adds \
            the buyers' tasks.
            """)
        out.append("")
        if let reads {
            out.append("## Dashboard and 90-day reports with \(reads.sales.grouped) sales (\(reads.buyers) buyers, \(reads.products) products, one year)")
            out.append("")
            var latency = Table("query", "from counters p50 (ms)", "p99 (ms)", "full scan (ms)", "full scan ÷ counters")
            for t in reads.timings {
                latency.add(t.name, (t.kept.p50 * 1_000).fixed(3), (t.kept.p99 * 1_000).fixed(3), (t.fullScan * 1_000).fixed(1),
                            (t.fullScan / t.kept.p50).grouped + "×")
            }
            out.append(latency.render())
            out.append("")
            out.append("""
                The store was filled through the same `buy` command (no-sync, 64 concurrent callers) in \
                \(reads.fillSeconds.fixed(1)) s (\((Double(reads.sales) / reads.fillSeconds).grouped) purchases/s, \
                \(reads.salesPerCommit.fixed(1)) per commit). Counter figures are the median and 99th percentile of \(options.repeats) calls; \
                a full scan reads every sale (and payment) in range and is the median of 3. Both gave identical answers.
                """)
            out.append("")
        }
        out.append("## Targets")
        out.append("")
        var targets = Table("target", "measured", "result")
        targets.add("durable buy ≥ 30,000/s with \(options.buyers) buyers", buys.buysPerSecond.grouped + "/s", buys.buysPerSecond >= 30_000 ? "PASS" : "MISS")
        for t in reads?.timings ?? [] {
            targets.add("\(t.name) ≤ 1 ms", (t.kept.p50 * 1_000).fixed(3) + " ms", t.kept.p50 <= 0.001 ? "PASS" : "MISS")
        }
        out.append(targets.render())
        out.append("")
        out.append("## How these figures were made")
        out.append("")
        out += Self.howMade(options, elapsed: elapsed, loadBefore: loadBefore, loadAfter: loadAfter,
                            details: ["data: \(folder) (\(Machine.fileSystem(of: folder))), deleted afterwards"])
        return out.joined(separator: "\n")
    }

    /// The report's closing lines: the command, `details`, the date, the machine and the load.
    static func howMade(_ options: ShopBenchOptions, elapsed: Duration, loadBefore: String, loadAfter: String, details: [String]) -> [String] {
        let machine = Machine.current()
        return ["- command: `\(options.commandLine)` (from the repository root)"] + details.map { "- " + $0 } + [
            "- date: \(ISO8601DateFormatter().string(from: Date())) (UTC); took \(Double(elapsed.components.seconds).fixed(0)) s",
            "- machine: nproc \(machine.processors); CPU \(machine.cpuModel); RAM \(machine.memory); kernel \(machine.kernel)",
            "- \(machine.swiftVersion)",
            "- load average before / after: \(loadBefore) / \(loadAfter)",
        ]
    }
}
