import BenchSupport
import Bot
import Foundation
import Store
import Telegram

/// Queues messages in the outbox, then times the deliverer sending them all to the stand-in
/// (from its start to the last entry removed after Telegram's "ok").
struct OutboxDeliveryBenchmark: BotWorkload {
    let messages: Int
    let chats: Int
    let limits: SendingLimits
    let label: String

    var title: String { "outbox delivery, \(label): \(messages.grouped) messages to \(chats.grouped) chat(s)" }

    func run(folder: String) async throws -> BotBenchReport.Section {
        let bench = try await OutboxBench.open(folder: folder)
        try await fill(bench.outbox)
        let (_, seconds) = try await timed {
            try await bench.delivering(limits: limits) {
                // The outbox's entry count is LMDB's page statistics: cheap to poll, unlike the stand-in's record.
                while try bench.outbox.count() > 0 { try await Task.sleep(for: .milliseconds(1)) }
            }
        }
        let answered = bench.telegram.answered("sendMessage")
        await bench.close()
        guard answered.count == messages else { throw BenchError("\(answered.count) messages arrived, not \(messages)") }

        var table = Table("measure", "value")
        table.add("messages delivered per second", (Double(messages) / seconds).grouped)
        table.add("time to deliver all (s)", seconds.fixed(2))
        table.add("busiest second at the stand-in (messages)", Self.busiestSecond(answered.map(\.at)).grouped)
        if chats == 1 {
            table.add("least gap between two messages to the chat (ms)", (Self.leastGap(answered.map(\.at)) * 1_000).fixed(1))
        }
        return BotBenchReport.Section(title: title, table: table)
    }

    /// Queues the messages round-robin over the chats, in durable writes of up to 1,000.
    private func fill(_ outbox: Outbox) async throws {
        var queued = 0
        while queued < messages {
            let batch = min(1_000, messages - queued)
            let first = queued
            let chats = chats
            try await outbox.environment.write { txn in
                for n in first..<(first + batch) {
                    try outbox.enqueue(SendMessage(chatId: Int64(1 + n % chats), text: "Pedido <b>#\(n)</b> confirmado"), in: txn)
                }
            }
            queued += batch
        }
    }

    /// The most arrivals within any one second.
    static func busiestSecond(_ times: [Date]) -> Int {
        let sorted = times.sorted()
        var most = 0
        var start = 0
        for end in sorted.indices {
            while sorted[end].timeIntervalSince(sorted[start]) >= 1 { start += 1 }
            most = max(most, end - start + 1)
        }
        return most
    }

    static func leastGap(_ times: [Date]) -> Double {
        let sorted = times.sorted()
        return zip(sorted, sorted.dropFirst()).map { $1.timeIntervalSince($0) }.min() ?? 0
    }
}

/// Times single messages from the enqueue call to their arrival at the stand-in, one at a
/// time, with the deliverer idle in between: how promptly the change feed wakes it.
struct OutboxLatencyBenchmark: BotWorkload {
    let messages: Int

    var title: String { "outbox latency: \(messages.grouped) single messages, enqueue to arrival" }

    func run(folder: String) async throws -> BotBenchReport.Section {
        let bench = try await OutboxBench.open(folder: folder)
        var latencies: [Double] = []
        try await bench.delivering(limits: .unlimited) {
            for n in 0..<messages {
                let start = Date()
                try await bench.outbox.enqueue(SendMessage(chatId: Int64(n + 1), text: "oi"))
                let arrived = try await bench.telegram.waitFor("sendMessage", count: n + 1, timeout: .seconds(30))
                latencies.append(arrived[n].at.timeIntervalSince(start))
            }
        }
        await bench.close()

        latencies.sort()
        var table = Table("measure", "value")
        table.add("p50, enqueue (durable write) to arrival (ms)", (latencies[latencies.count / 2] * 1_000).fixed(2))
        table.add("p99 (ms)", (latencies[min(latencies.count - 1, latencies.count * 99 / 100)] * 1_000).fixed(2))
        return BotBenchReport.Section(title: title, table: table)
    }
}

/// A stand-in Bot API and an outbox in a fresh durable store: what each outbox workload runs against.
struct OutboxBench {
    let telegram: StandInBotAPI
    let outbox: Outbox

    static func open(folder: String) async throws -> OutboxBench {
        let telegram = try await StandInBotAPI.start()
        return OutboxBench(telegram: telegram, outbox: try await Outbox.open(try await Store.Environment.open(at: folder)))
    }

    /// Runs a deliverer with `limits` while `body` runs, then stops it and waits for its calls in flight.
    func delivering(limits: SendingLimits, _ body: () async throws -> Void) async throws {
        let deliverer = OutboxDeliverer(outbox: outbox, client: telegram.client, limits: limits)
        let running = Task { try await deliverer.run() }
        defer { running.cancel() }
        try await body()
        running.cancel()
        try await running.value
    }

    func close() async {
        await outbox.environment.close()
        await telegram.stop()
    }
}
