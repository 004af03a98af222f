import BenchSupport
import Foundation

/// The bot benchmark's printed report: one table per workload, and how the figures were made.
struct BotBenchReport {
    /// One workload's figures.
    struct Section {
        let title: String
        let table: Table
    }

    let options: BotBenchOptions
    let sections: [Section]
    let loadBefore: String
    let loadAfter: String
    let elapsed: Duration

    func render() -> String {
        var out: [String] = ["# Bot benchmark", ""]
        for section in sections {
            out.append("### \(section.title)")
            out.append("")
            out.append(section.table.render())
            out.append("")
        }
        out.append("""
            The outbox is a store collection written with full durability (fsync per group commit); the \
            deliverer sends each chat's messages one at a time, in order, deleting each entry after the \
            stand-in's "ok". The stand-in is a Hummingbird server in the same process on 127.0.0.1, so \
            the figures are the deliverer's own cost plus loopback HTTP, not Telegram's.
            """)
        out.append("")
        let machine = Machine.current()
        out.append("### How these figures were made")
        out.append("")
        out.append("- command: `\(options.commandLine)` (from the repository root)")
        out.append("- date: \(ISO8601DateFormatter().string(from: Date())) (UTC); took \(Double(elapsed.components.seconds).fixed(0)) s")
        out.append("- machine: \(machine.processors) × \(machine.cpuModel), \(machine.memory), \(machine.kernel)")
        out.append("- \(machine.swiftVersion)")
        out.append("- load average before: \(loadBefore); after: \(loadAfter)")
        return out.joined(separator: "\n")
    }
}
