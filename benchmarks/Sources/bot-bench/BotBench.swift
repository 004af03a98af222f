import BenchSupport
import Foundation

/// The bot benchmark: how fast the outbox delivers to a local stand-in of the Bot API, with
/// Telegram's limits off (the deliverer's own cost) and on (the pace it keeps).
///
/// Each measure is one ``BotWorkload``; a new half (updates handled per second end to end)
/// is one more conformer added to ``BotBench/workloads(_:)``.
@main
struct BotBench {
    static func main() async {
        let options: BotBenchOptions
        do {
            options = try BotBenchOptions(parsing: Array(CommandLine.arguments.dropFirst()))
        } catch {
            progress("bot-bench: \(error)\n\n" + BotBenchOptions.usage)
            exit(2)
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-bot-bench-\(UUID().uuidString)").path
        do {
            let loadBefore = Machine.loadAverage()
            let started = ContinuousClock.now
            var sections: [BotBenchReport.Section] = []
            for (index, workload) in workloads(options).enumerated() {
                progress("bot-bench: \(workload.title)")
                sections.append(try await workload.run(folder: folder + "/\(index)"))
            }
            try? FileManager.default.removeItem(atPath: folder)
            print(BotBenchReport(options: options, sections: sections, loadBefore: loadBefore, loadAfter: Machine.loadAverage(),
                                 elapsed: ContinuousClock.now - started).render())
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            progress("bot-bench: \(error)")
            exit(1)
        }
    }

    /// What runs, in order.
    static func workloads(_ options: BotBenchOptions) -> [any BotWorkload] {
        [
            UpdateHandlingBenchmark(updates: options.updates, concurrency: 1),
            UpdateHandlingBenchmark(updates: options.updates, concurrency: 16),
            OutboxDeliveryBenchmark(messages: options.messages, chats: options.chats, limits: .unlimited, label: "limits off"),
            OutboxDeliveryBenchmark(messages: options.messages / 5, chats: 1, limits: .unlimited, label: "limits off, one chat"),
            OutboxLatencyBenchmark(messages: options.latencySamples),
            OutboxDeliveryBenchmark(messages: options.pacedMessages, chats: options.pacedMessages, limits: .telegram,
                                    label: "Telegram's limits, one message per chat"),
            OutboxDeliveryBenchmark(messages: options.pacedMessages / 30, chats: 1, limits: .telegram,
                                    label: "Telegram's limits, one chat"),
        ]
    }
}

/// One measure of the bot benchmark.
protocol BotWorkload {
    var title: String { get }
    /// Runs in a fresh store under `folder` and returns the section of the report it fills.
    func run(folder: String) async throws -> BotBenchReport.Section
}

/// What to run, from the command line.
struct BotBenchOptions {
    var messages = 20_000
    var chats = 1_000
    var pacedMessages = 300
    var latencySamples = 200
    var updates = 2_000
    var quick = false

    static let usage = """
        usage: bot-bench [--quick] [--updates N] [--messages N] [--chats N] [--paced N] [--latency N]
          --updates   Telegram updates handled end to end, one at a time and 16 at a time (2,000)
          --messages  messages delivered with the limits off, over --chats chats (20,000; a fifth of it to one chat)
          --chats     chats those messages go to (1,000)
          --paced     messages delivered under Telegram's limits, one per chat (300; a thirtieth of it to one chat)
          --latency   single messages timed from enqueue to the stand-in, one at a time (200)
          --quick     200 updates, 2,000 messages, 60 paced, 50 latency samples: a smoke test
        """

    init(parsing arguments: [String]) throws {
        var line = Arguments(arguments)
        while let option = line.next() {
            switch option {
            case "--messages": messages = try line.number()
            case "--chats": chats = try line.number()
            case "--paced": pacedMessages = try line.number()
            case "--latency": latencySamples = try line.number()
            case "--updates": updates = try line.number()
            case "--quick":
                quick = true
                messages = 2_000
                pacedMessages = 60
                latencySamples = 50
                updates = 200
            case let other: throw line.unknown(other)
            }
        }
    }

    var commandLine: String {
        var line = "swift run -c release --package-path benchmarks bot-bench"
        if quick { return line + " --quick" }
        if messages != 20_000 { line += " --messages \(messages)" }
        if chats != 1_000 { line += " --chats \(chats)" }
        if pacedMessages != 300 { line += " --paced \(pacedMessages)" }
        if latencySamples != 200 { line += " --latency \(latencySamples)" }
        if updates != 2_000 { line += " --updates \(updates)" }
        return line
    }
}
