import CLMDB
import Foundation

/// A snapshot of the store, valid only inside the `read` or `write` closure that gave it.
///
/// It sees the data as of its start, whatever commits meanwhile. It is not `Sendable`:
/// it belongs to the thread running the closure and must not escape it; using one after
/// its closure returned throws ``StoreError/Code/closed``.
public class ReadTransaction {
    @usableFromInline let txn: OpaquePointer
    /// Set to false when the transaction's closure returns. Checked on every access, so its
    /// exclusivity is not enforced at run time as well: a transaction belongs to one thread
    /// and the flag is written only after its closure has returned, so no two accesses
    /// overlap, and the runtime's check (`swift_beginAccess`) cost each point read a call.
    @usableFromInline @exclusivity(unchecked) final var isOpen = true
    let internals: InternalDatabases

    init(txn: OpaquePointer, internals: InternalDatabases) {
        self.txn = txn
        self.internals = internals
    }

    @usableFromInline
    @inline(__always)
    func checkOpen() throws(StoreError) {
        if !isOpen { throw StoreError(.closed, "transaction used outside its closure") }
    }

    /// LMDB's id for this snapshot (increases with every commit).
    public var snapshotId: UInt64 { UInt64(mdb_txn_id(txn)) }

    /// The change feed's head as this snapshot sees it: the sequence of the last change it
    /// holds (0 before the first). What is read in this transaction is the store as of that change.
    public func feedHead() throws -> UInt64 {
        try rawGet(internals.meta, InternalDatabases.MetaKey.head.bytes).map { try UInt64(binary: $0) } ?? 0
    }

    /// Called with every failing LMDB code; a write transaction watches for `MDB_MAP_FULL`.
    func noteFailure(_ rc: Int32) {}

    // MARK: Raw access, shared by collections, indexes, the feed and counters.

    /// The stored bytes for `key`, borrowed from the map: valid until this transaction ends.
    /// Final, so a point read calls it directly rather than through the class's table.
    @usableFromInline
    final func rawGet(_ dbi: MDB_dbi, _ key: UnsafeRawBufferPointer) throws(StoreError) -> UnsafeRawBufferPointer? {
        try checkOpen()
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(txn, dbi, &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        if rc != MDB_SUCCESS {
            noteFailure(rc)
            throw StoreError.lmdb(rc, context: "get")
        }
        return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
    }

    func rawGet(_ dbi: MDB_dbi, _ key: [UInt8]) throws -> [UInt8]? {
        try key.withUnsafeBytes { buffer in try rawGet(dbi, buffer).map { Array($0) } }
    }

    /// The number of entries in a named database.
    func entryCount(_ dbi: MDB_dbi) throws(StoreError) -> Int {
        try checkOpen()
        var stat = MDB_stat()
        try StoreError.check(mdb_stat(txn, dbi, &stat), "stat")
        return Int(stat.ms_entries)
    }

    /// Visits entries of `dbi` in key order (or reverse) between `lower` (inclusive) and
    /// `upper` (exclusive), starting after `after` when given. `visit` returns false to stop.
    ///
    /// Keys and values passed to `visit` are borrowed from the map and valid only during the call.
    func scanRaw(
        _ dbi: MDB_dbi,
        lower: [UInt8]? = nil,
        upper: [UInt8]? = nil,
        after: [UInt8]? = nil,
        reverse: Bool = false,
        _ visit: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try checkOpen()
        var cursor: OpaquePointer?
        try StoreError.check(mdb_cursor_open(txn, dbi, &cursor), "cursor open")
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()

        func position(_ bound: [UInt8]) -> Int32 {
            bound.withUnsafeBytes { b in
                k = MDB_val(mv_size: b.count, mv_data: UnsafeMutableRawPointer(mutating: b.baseAddress))
                return mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
            }
        }
        func current() -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size) }

        var rc: Int32
        if !reverse {
            // The first key >= lower, and > after.
            let start: [UInt8]? = [lower, after].compactMap { $0 }.max { compareBytes($0, $1) < 0 }
            if let start {
                rc = position(start)
                if rc == MDB_SUCCESS, let after, compareBytes(current(), after) == 0 {
                    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)
                }
            } else {
                rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
            }
            while rc == MDB_SUCCESS {
                let key = current()
                if let upper, compareBytes(key, upper) >= 0 { break }
                if try !visit(key, UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)) { break }
                rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)
            }
        } else {
            // The last key < min(upper, after).
            let bound: [UInt8]? = [upper, after].compactMap { $0 }.min { compareBytes($0, $1) < 0 }
            if let bound {
                rc = position(bound)
                if rc == MDB_SUCCESS {
                    rc = mdb_cursor_get(cursor, &k, &v, MDB_PREV)
                } else if rc == MDB_NOTFOUND {
                    rc = mdb_cursor_get(cursor, &k, &v, MDB_LAST)
                }
            } else {
                rc = mdb_cursor_get(cursor, &k, &v, MDB_LAST)
            }
            while rc == MDB_SUCCESS {
                let key = current()
                if let lower, compareBytes(key, lower) < 0 { break }
                if try !visit(key, UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)) { break }
                rc = mdb_cursor_get(cursor, &k, &v, MDB_PREV)
            }
        }
        if rc != MDB_SUCCESS && rc != MDB_NOTFOUND {
            noteFailure(rc)
            throw StoreError.lmdb(rc, context: "cursor")
        }
    }

    // MARK: Counters

    /// The value of an aggregate counter (0 when never added to).
    public func counter(_ key: OrderedKey) throws -> Int64 {
        // Decoded from the borrowed bytes: a write reads a dozen counters, each without a copy.
        try key.bytes.withUnsafeBytes { k in
            guard let bytes = try rawGet(internals.counters, k) else { return 0 }
            return try Int64(binary: bytes)
        }
    }

    /// The counters whose keys fall in `lower..<upper`, in key order.
    public func counters(from lower: OrderedKey?, to upper: OrderedKey?, limit: Int = .max) throws -> [(key: OrderedKey, value: Int64)] {
        var out: [(key: OrderedKey, value: Int64)] = []
        try forEachCounter(from: lower, to: upper) { key, value in
            out.append((OrderedKey(bytes: Array(key)), value))
            return out.count < limit
        }
        return out
    }

    /// Visits the counters in `lower..<upper` in key order, the key borrowed from the map,
    /// until `visit` returns false: for summing many counters without copying their keys.
    public func forEachCounter(from lower: OrderedKey?, to upper: OrderedKey?, _ visit: (UnsafeRawBufferPointer, Int64) throws -> Bool) throws {
        try scanRaw(internals.counters, lower: lower?.bytes, upper: upper?.bytes) { k, v in
            var reader = BinaryReader(v)
            return try visit(k, try reader.readSigned())
        }
    }
}

/// Compares byte strings the way LMDB's default comparator does: bytewise, shorter first on a tie.
@usableFromInline
func compareBytes(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Int {
    b.withUnsafeBytes { bb in
        let n = min(a.count, bb.count)
        if n > 0, let pa = a.baseAddress, let pb = bb.baseAddress {
            let c = memcmp(pa, pb, n)
            if c != 0 { return Int(c) }
        }
        return a.count - bb.count
    }
}

@usableFromInline
func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { compareBytes($0, b) }
}

@available(*, unavailable, message: "a transaction belongs to the closure that received it")
extension ReadTransaction: Sendable {}
