import BenchSupport
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

    /// Runs the three modes in turn, `repeats` times; keeps each mode's best run (the disk's
    /// latency varies from one moment to the next; turns spread that over all modes alike).
    func run(repeats: Int) async throws -> Result {
        let perWriter = writes / writers
        var best = Result()
        for round in 1...repeats {
            progress("durable writes, round \(round) of \(repeats): group commit, \(writers) writers × \(perWriter)")
            let group = try await store(maxBatchSize: StoreConfiguration().maxBatchSize, perWriter: perWriter, name: "group")
            progress("durable writes, round \(round) of \(repeats): one transaction per write (maxBatchSize = 1)")
            let single = try await store(maxBatchSize: 1, perWriter: perWriter, name: "single")
            progress("durable writes, round \(round) of \(repeats): raw C, \(writers) threads, one transaction per write")
            let raw = try raw(perWriter: perWriter)
            if group.rate > best.groupCommit.rate { best.groupCommit = group }
            if single.rate > best.oneTransactionPerWrite.rate { best.oneTransactionPerWrite = single }
            if raw.rate > best.rawSingleKey.rate { best.rawSingleKey = raw }
        }
        return best
    }

    /// `writers` tasks, all at once, each awaiting `perWriter` one-record writes in a loop.
    private func store(maxBatchSize: Int, perWriter: Int, name: String) async throws -> Mode {
        var configuration = StoreConfiguration()
        configuration.durability = .full
        configuration.mapSize = 256 << 20
        configuration.maxBatchSize = maxBatchSize
        let path = folder + "/durable-" + name
        let env = try await Environment.open(at: path, configuration: configuration)
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
        try? FileManager.default.removeItem(atPath: path)
        let total = writers * perWriter
        guard count == total else { throw BenchError("\(name): \(count) records after \(total) durable writes") }
        return Mode(rate: Double(total) / elapsed, writesPerCommit: Double(total) / Double(max(1, lastCommit - firstCommit)))
    }

    private func raw(perWriter: Int) throws -> Mode {
        let path = folder + "/durable-raw"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let env = try RawEnvironment(path: path, mapSize: 256 << 20, durable: true)
        let elapsed = try timed { try env.singleKeyCommits(threads: writers, perThread: perWriter, firstKey: 1) }.seconds
        env.close()
        try? FileManager.default.removeItem(atPath: path)
        return Mode(rate: Double(writers * perWriter) / elapsed, writesPerCommit: 1)
    }
}

