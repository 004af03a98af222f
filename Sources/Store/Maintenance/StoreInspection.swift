import CLMDB
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `tenda doctor` reads of a store without opening it as an ``Environment``: the map's size
/// and use, and the reader table with the slots whose process is gone.
///
/// ``Environment/open(at:configuration:)`` clears stale reader slots as it opens (and opens
/// LMDB's file for writing even when ``StoreConfiguration/Access/readOnly``), so it would
/// hide what this is asked to count. ``inspect(at:)`` opens the file with `MDB_RDONLY`,
/// begins no transaction, clears nothing, and so runs beside a serving `tenda`.
public struct StoreInspection: Sendable {
    /// One entry of LMDB's reader table, as `mdb_reader_list` shows it.
    public struct ReaderSlot: Sendable, Equatable {
        public let processIdentifier: Int32
        /// The snapshot the slot holds open, or nil for a slot kept idle between transactions.
        public let transaction: UInt64?
        /// The process that took the slot no longer has the store open: LMDB's own test
        /// (`mdb_reader_check`), which asks whether the process still holds its lock on `lock.mdb`.
        public let isStale: Bool
    }

    public let path: String
    /// The map's size as last committed, in bytes: what the serving writer has grown it to.
    public let mapSize: Int
    /// Bytes of the map in use (pages up to the last one written).
    public let mapUsed: Int
    public let pageSize: Int
    /// The reader table's size as the first process to open the store set it.
    public let maxReaders: Int
    /// The reader table's occupied entries.
    public let readers: [ReaderSlot]

    /// The slots a dead process left behind. Each keeps the pages of its snapshot from being
    /// reused, so the file grows where it need not; `mdb_reader_check` (run by every
    /// `tenda serve` as it opens, or by `mdb_stat -rr`) frees them.
    public var staleReaders: [ReaderSlot] { readers.filter(\.isStale) }

    /// Reads the map and the reader table of the store in `folder`; throws ``StoreError/Code/notFound``
    /// when there is no store there.
    ///
    /// When no other process has the store open, LMDB starts the reader table afresh on open,
    /// so stale slots can only be found (and only matter) beside a process that keeps it open.
    public static func inspect(at folder: String) throws(StoreError) -> StoreInspection {
        guard FileManager.default.fileExists(atPath: folder + "/data.mdb") else { throw StoreError(.notFound, "no store at \(folder)") }
        var envPointer: OpaquePointer?
        try StoreError.check(mdb_env_create(&envPointer), "create environment")
        guard let env = envPointer else { throw StoreError(.lmdb, "create environment returned nothing") }
        var lockDescriptor: Int32 = -1
        defer {
            mdb_env_close(env)
            // Only now: closing any descriptor of lock.mdb drops every fcntl lock this process
            // holds on it, LMDB's own included, and the environment needs those while open.
            if lockDescriptor >= 0 { close(lockDescriptor) }
        }
        try StoreError.check(mdb_env_open(env, folder, UInt32(MDB_RDONLY | MDB_NOTLS), 0o640), "open \(folder) read-only")
        // LMDB maps what the open asked for (its 1 MiB default); 0 adopts the size the writer committed.
        try StoreError.check(mdb_env_set_mapsize(env, 0), "adopt map size")
        var info = MDB_envinfo()
        var stat = MDB_stat()
        try StoreError.check(mdb_env_info(env, &info), "read environment info")
        try StoreError.check(mdb_env_stat(env, &stat), "read environment statistics")
        lockDescriptor = open(folder + "/lock.mdb", O_RDONLY | O_CLOEXEC)
        guard lockDescriptor >= 0 else { throw StoreError(.io, "cannot open \(folder)/lock.mdb: \(String(cString: strerror(errno)))") }
        let readers = readerSlots(env, lockDescriptor: lockDescriptor)
        return StoreInspection(
            path: folder, mapSize: info.me_mapsize, mapUsed: (info.me_last_pgno + 1) * Int(stat.ms_psize),
            pageSize: Int(stat.ms_psize), maxReaders: Int(info.me_maxreaders), readers: readers)
    }

    /// The reader table through `mdb_reader_list`, each slot tested the way `mdb_reader_check` tests it.
    private static func readerSlots(_ env: OpaquePointer, lockDescriptor: Int32) -> [ReaderSlot] {
        final class Lines: @unchecked Sendable {
            // Only touched by mdb_reader_list's callback, synchronously, on this thread.
            var text = ""
        }
        let lines = Lines()
        _ = mdb_reader_list(env, { message, context in
            guard let message, let context else { return 0 }
            Unmanaged<Lines>.fromOpaque(context).takeUnretainedValue().text += String(cString: message)
            return 0
        }, Unmanaged.passUnretained(lines).toOpaque())
        // Lines are "pid thread txnid" after a header, or "(no active readers)"; an idle slot shows "-".
        return lines.text.split(separator: "\n").compactMap { line -> ReaderSlot? in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 3, let pid = Int32(fields[0]) else { return nil }
            return ReaderSlot(processIdentifier: pid, transaction: UInt64(fields[2]),
                              isStale: !holdsStoreLock(pid, lockDescriptor))
        }
    }

    /// Whether process `pid` holds the one-byte lock at offset `pid` of `lock.mdb`, which LMDB
    /// takes in every process that reads the store and the kernel drops when that process ends.
    private static func holdsStoreLock(_ pid: Int32, _ descriptor: Int32) -> Bool {
        if pid == getpid() { return true }  // F_GETLK does not report this process's own locks
        var probe = flock()
        probe.l_type = Int16(F_WRLCK)
        probe.l_whence = Int16(SEEK_SET)
        probe.l_start = off_t(pid)
        probe.l_len = 1
        guard fcntl(descriptor, F_GETLK, &probe) == 0 else { return true }  // unknown: never call a live reader dead
        return probe.l_type != Int16(F_UNLCK)
    }
}
