import CLMDB
import Synchronization

/// The store's epoch: which history its change feed's sequence numbers belong to.
///
/// A sequence names one change only within one history. A store restored from a backup goes
/// back to an older head and then commits new changes under sequences its clients may
/// already have seen with other content, so a restore begins a new epoch; a client (or a
/// replica) that resumes with a sequence of another epoch must start again rather than
/// resume with a silent gap. A backup keeps its source's epoch: a copy holds the same
/// history up to its head.
extension Environment {
    /// The store's epoch: 32 lowercase hex digits (128 random bits), made when the store is
    /// first opened to write and kept in its meta database. "" only for a store opened
    /// read-only that no writer has opened since epochs were introduced.
    public var epoch: String { epochState.withLock { $0 } }

    /// Gives the store a new epoch and returns it: for a store just restored from a backup,
    /// before anything serves it. Writes no change record: the feed's sequences go on.
    @discardableResult
    public func beginNewEpoch() async throws -> String {
        let epoch = Self.makeEpoch()
        let meta = internals.meta
        try await write { txn in
            try txn.rawPut(meta, InternalDatabases.MetaKey.epoch.bytes, Array(epoch.utf8))
        }
        epochState.withLock { $0 = epoch }
        return epoch
    }

    /// 128 random bits as 32 lowercase hex digits.
    static func makeEpoch() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Puts one meta value in a raw transaction (the setup transaction, before the writer runs).
    static func putMeta(_ txn: OpaquePointer, _ meta: MDB_dbi, _ key: InternalDatabases.MetaKey, _ value: [UInt8]) throws {
        var keyBytes = key.bytes
        var valueBytes = value
        try keyBytes.withUnsafeMutableBytes { k in
            try valueBytes.withUnsafeMutableBytes { v in
                var mk = MDB_val(mv_size: k.count, mv_data: k.baseAddress)
                var mv = MDB_val(mv_size: v.count, mv_data: v.baseAddress)
                try StoreError.check(mdb_put(txn, meta, &mk, &mv, 0), "put \(key.rawValue)")
            }
        }
    }
}
