import BenchSupport
import RawLMDB

/// The raw C baseline's environment: a thin Swift handle over `raw_lmdb.c`.
///
/// Each call goes straight into C for the whole workload (not one call per record), so the
/// figures measure liblmdb itself.
final class RawEnvironment {
    /// Nil once closed.
    private var env: OpaquePointer?

    /// Opens (creating) an environment in the existing folder `path`.
    init(path: String, mapSize: Int, durable: Bool) throws {
        var pointer: OpaquePointer?
        try Self.check(raw_env_open(path, mapSize, durable ? 1 : 0, &pointer), "open \(path)")
        guard let pointer else { throw BenchError("raw_env_open returned nothing") }
        env = pointer
    }

    deinit { close() }

    /// Closes the environment; later calls throw.
    func close() {
        raw_env_close(env)
        env = nil
    }

    func putBatches(_ keys: [UInt64], batch: Int) throws {
        let env = try open()
        try keys.withUnsafeBufferPointer { buffer in
            try Self.check(raw_put_batches(env, buffer.baseAddress, buffer.count, batch, payloadSize), "put")
        }
    }

    /// Reads every key in one read transaction; returns the sum of the first payload bytes.
    func randomReads(_ keys: [UInt64]) throws -> UInt64 {
        let env = try open()
        var checksum: UInt64 = 0
        try keys.withUnsafeBufferPointer { buffer in
            try Self.check(raw_random_reads(env, buffer.baseAddress, buffer.count, &checksum), "read")
        }
        return checksum
    }

    func scan() throws -> (rows: UInt64, checksum: UInt64) {
        let env = try open()
        var rows: UInt64 = 0
        var checksum: UInt64 = 0
        try Self.check(raw_scan(env, &rows, &checksum), "scan")
        return (rows, checksum)
    }

    /// `threads` threads each committing `perThread` single-key transactions.
    func singleKeyCommits(threads: Int, perThread: Int, firstKey: UInt64) throws {
        let env = try open()
        try Self.check(raw_single_key_commits(env, Int32(threads), perThread, firstKey, payloadSize), "commit")
    }

    private func open() throws -> OpaquePointer {
        guard let env else { throw BenchError("raw environment used after close") }
        return env
    }

    private static func check(_ rc: Int32, _ what: String) throws {
        guard rc != 0 else { return }
        let message = raw_strerror(rc).map { String(cString: $0) } ?? "error \(rc)"
        throw BenchError("raw LMDB \(what): \(message)")
    }
}
