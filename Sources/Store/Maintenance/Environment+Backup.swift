import CLMDB
import Foundation

extension Environment {
    /// Writes a compacted copy of the store into the folder `destination` while reads and
    /// writes go on; the copy opens as a normal environment.
    ///
    /// The copy is one consistent snapshot (`mdb_env_copy2` with `MDB_CP_COMPACT`, which
    /// runs its own read transaction). `destination` is created when missing and must not
    /// already hold a store. The map cannot grow while a backup runs, so a write that
    /// needs more room waits for it.
    public func backup(to destination: String) async throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: destination + "/data.mdb") {
            throw StoreError(.alreadyExists, "\(destination) already holds a store")
        }
        do {
            try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.io, "cannot create \(destination): \(error.localizedDescription)")
        }
        try await Self.runBlocking { [self] in
            try mapLock.withReadLock { () throws(StoreError) in
                if isClosedForMaintenance { throw StoreError(.closed, "the store is closed") }
                try StoreError.check(mdb_env_copy2(env, destination, UInt32(MDB_CP_COMPACT)), "backup to \(destination)")
            }
        }
    }
}

extension Environment {
    /// Flushes every commit to disk now: for environments opened with ``StoreConfiguration/Durability/noSync``
    /// (a bulk import) at the point where their data must be safe.
    public func sync() async throws {
        try await Self.runBlocking { [self] in
            try mapLock.withReadLock { () throws(StoreError) in
                if isClosedForMaintenance { throw StoreError(.closed, "the store is closed") }
                try StoreError.check(mdb_env_sync(env, 1), "sync")
            }
        }
    }
}
