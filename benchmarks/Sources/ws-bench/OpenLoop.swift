import BenchSupport
import Foundation
import Synchronization

/// One request of an open-loop run.
struct Sample {
    var index: Int
    /// When the schedule said to send it, when it was written, when its answer was read (monotonic ns).
    var scheduled: UInt64
    var sent: UInt64
    var done: UInt64
    var status: Int
    /// For purchases: the `id` of the sale in a 201 answer.
    var saleId: String?
}

/// Sends `count` requests at a fixed `rate` from `workers` threads, each on its own keep-alive
/// connection: request i is due at start + i/rate whatever happened to the others, so a slow
/// server shows up as queueing delay (scheduled → done) instead of a lower send rate.
func openLoop(port: Int, rate: Double, count: Int, workers: Int, parseSaleId: Bool,
              request: @escaping @Sendable (Int) -> [UInt8]) async throws -> (samples: [Sample], errors: [String]) {
    let next = Counter()
    let start = monotonicNanos() + 50_000_000
    let interval = 1e9 / rate
    let results = Locked<[Sample]>([])
    let errors = Locked<[String]>([])
    let group = DispatchGroup()
    let connections = try (0..<workers).map { _ in try HTTPConnection(port: port) }
    for connection in connections {
        group.enter()
        let box = UncheckedBox(connection)
        Thread.detachNewThread {
            var local: [Sample] = []
            local.reserveCapacity(count / workers + 16)
            var connection = box.value
            while true {
                let i = next.value.wrappingAdd(1, ordering: .relaxed).oldValue
                if i >= count { break }
                let scheduled = start + UInt64(Double(i) * interval)
                if monotonicNanos() < scheduled { sleepUntil(scheduled) }
                let sent = monotonicNanos()
                do {
                    let answer = try connection.send(request(i))
                    let done = monotonicNanos()
                    var saleId: String?
                    if parseSaleId, answer.status == 201 { saleId = answer.json()?["id"] as? String }
                    if answer.status >= 300 {
                        errors.withLock { if $0.count < 5 { $0.append("\(answer.status) \(answer.text.prefix(160))") } }
                    }
                    local.append(Sample(index: i, scheduled: scheduled, sent: sent, done: done, status: answer.status, saleId: saleId))
                } catch {
                    errors.withLock { if $0.count < 5 { $0.append("\(error)") } }
                    local.append(Sample(index: i, scheduled: scheduled, sent: sent, done: monotonicNanos(), status: 0, saleId: nil))
                    if let fresh = try? HTTPConnection(port: port) { connection = fresh }
                }
            }
            results.withLock { $0 += local }
            group.leave()
        }
    }
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        group.notify(queue: .global()) { continuation.resume() }
    }
    let samples = results.withLock { $0 }.sorted { $0.index < $1.index }
    return (samples, errors.withLock { $0 })
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
