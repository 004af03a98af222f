import Foundation
import Store

/// Durable single-record writes from many concurrent writers, every commit flushed (`.full`).
///
/// Group commit (the Store's default) is compared with one transaction, so one fsync, per write:
/// the same Store code path with `maxBatchSize = 1`, and raw C threads each committing their own
/// single-key transactions as a reference.
struct DurableCommitBenchmark {
    struct Mode {
        /// Durable writes per second.
        var rate = 0.0
        /// Writes per LMDB commit (so per fsync).
        var writesPerCommit = 0.0
    }

    struct Result {
        var groupCommit = Mode()
        var oneTransactionPerWrite = Mode()
        var rawSingleKey = Mode()
    }

    let folder: String
    let writers: Int
    let writes: Int

    func run() async throws -> Result {
        let perWriter = writes / writers
        var result = Result()
        progress("durable writes: group commit, \(writers) writers × \(perWriter)")
        result.groupCommit = try await store(maxBatchSize: StoreConfiguration().maxBatchSize, perWriter: perWriter, name: "group")
        progress("durable writes: one transaction per write (maxBatchSize = 1)")
        result.oneTransactionPerWrite = try await store(maxBatchSize: 1, perWriter: perWriter, name: "single")
        progress("durable writes: raw C, \(writers) threads, one transaction each write")
        result.rawSingleKey = try raw(perWriter: perWriter)
        return result
    }

    /// `writers` tasks, all at once, each awaiting `perWriter` one-record writes in a loop.
    private func store(maxBatchSize: Int, perWriter: Int, name: String) async throws -> Mode {
        var configuration = StoreConfiguration()
        configuration.durability = .full
        configuration.mapSize = 256 << 20
        configuration.maxBatchSize = maxBatchSize
        let env = try await Environment.open(at: folder + "/durable-" + name, configuration: configuration)
        let orders = try await env.collection("orders", key: UInt64Key.self, value: BytesCodec.self)
        // LMDB's transaction id grows by one per top-level commit: the difference counts fsyncs.
        let firstCommit = try env.read { $0.snapshotId }
        let elapsed = try await timed {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for i in 0..<perWriter {
                            let key = UInt64(writer * perWriter + i + 1)
                            let value = payload(for: key)
                            try await env.write { txn in try orders.put(txn, key, value) }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }.seconds
        let (lastCommit, count) = try env.read { txn in (txn.snapshotId, try orders.count(txn)) }
        await env.close()
        let total = writers * perWriter
        guard count == total else { throw BenchError("\(name): \(count) records after \(total) durable writes") }
        return Mode(rate: Double(total) / elapsed, writesPerCommit: Double(total) / Double(max(1, lastCommit - firstCommit)))
    }

    private func raw(perWriter: Int) throws -> Mode {
        let path = folder + "/durable-raw"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let env = try RawEnvironment(path: path, mapSize: 256 << 20, durable: true)
        let elapsed = try timed { try env.singleKeyCommits(threads: writers, perThread: perWriter, firstKey: 1) }.seconds
        return Mode(rate: Double(writers * perWriter) / elapsed, writesPerCommit: 1)
    }
}
