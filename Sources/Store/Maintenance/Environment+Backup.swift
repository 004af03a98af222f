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

extension Environment {
    /// Takes one complete backup into the new folder `destination`: the compacted hot copy
    /// (`data.mdb`), the data folder's token secret (mode 0600) when `tokenSecretFile` names
    /// one that exists, and last the manifest, computed from the copy (its feed head, epoch,
    /// records per collection and the SHA-256 of `data.mdb`).
    ///
    /// The one backup of the program: `tenda db backup`, the bot's `/backup` and the
    /// scheduled backups of `serve` all call it. A folder without a manifest is an unfinished
    /// backup (the manifest is written last, whole), and ``BackupFolders`` ignores it.
    @discardableResult
    public func writeBackup(to destination: String, tokenSecretFile: String?, at now: Date = Date()) async throws -> BackupManifest {
        try await backup(to: destination)
        if let tokenSecretFile, FileManager.default.fileExists(atPath: tokenSecretFile) {
            try Self.copySecret(from: tokenSecretFile, to: destination + "/" + BackupManifest.tokenSecretFileName)
        }
        try await BackupManifest.describe(copyIn: destination, createdAt: now).write(to: destination)
        // As a reader will see it (the time to the millisecond).
        return try BackupManifest.read(from: destination)
    }

    /// ``writeBackup(to:tokenSecretFile:at:)`` into a new dated folder inside `parent`
    /// (created when missing): `tenda-backup-20261203T174500Z`, with `-2`, `-3`… added when a
    /// backup of the same second is there already. Returns the folder and its manifest.
    @discardableResult
    public func writeBackup(into parent: String, tokenSecretFile: String?, at now: Date = Date()) async throws -> (path: String, manifest: BackupManifest) {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.io, "cannot create \(parent): \(error.localizedDescription)")
        }
        let name = BackupFolders.name(for: now)
        var destination = parent + "/" + name
        var suffix = 2
        while fm.fileExists(atPath: destination) {
            destination = "\(parent)/\(name)-\(suffix)"
            suffix += 1
        }
        return (destination, try await writeBackup(to: destination, tokenSecretFile: tokenSecretFile, at: now))
    }

    /// Copies a secret file so that it is never readable by others, not even for a moment:
    /// the new file is created with mode 0600 before its bytes are written.
    static func copySecret(from source: String, to destination: String) throws {
        guard let bytes = FileManager.default.contents(atPath: source) else {
            throw StoreError(.io, "cannot read \(source)")
        }
        guard FileManager.default.createFile(atPath: destination, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
            throw StoreError(.io, "cannot write \(destination)")
        }
        // A file that already existed keeps its mode through createFile: set it again.
        do {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: destination)
        } catch {
            throw StoreError(.io, "cannot make \(destination) private: \(error.localizedDescription)")
        }
    }
}

extension BackupManifest {
    /// The manifest of the store copy in `folder`, read from the copy itself: opened
    /// read-only (the lock file LMDB makes for that is removed again, when it was not there
    /// before), its feed head, epoch and records per collection, and its file's checksum.
    /// `checksum`, when given, is taken as the file's (already computed) instead of reading it again.
    public static func describe(copyIn folder: String, createdAt: Date, checksum known: String? = nil) async throws -> BackupManifest {
        let dataFile = folder + "/" + dataFileName
        guard FileManager.default.fileExists(atPath: dataFile) else {
            throw StoreError(.notFound, "no \(dataFileName) in \(folder)")
        }
        let lockFile = folder + "/lock.mdb"
        let hadLockFile = FileManager.default.fileExists(atPath: lockFile)
        var configuration = StoreConfiguration()
        configuration.access = .readOnly
        configuration.createIfMissing = false
        configuration.mapSize = 1 << 20  // adopts the file's own size
        let copy = try await Environment.open(at: folder, configuration: configuration)
        let statistics: StoreStatistics
        do {
            statistics = try await copy.statistics()
        } catch {
            await copy.close()
            throw error
        }
        let epoch = copy.epoch
        await copy.close()
        if !hadLockFile { try? FileManager.default.removeItem(atPath: lockFile) }
        return BackupManifest(
            createdAt: createdAt, feedHead: statistics.feedHead, epoch: epoch,
            counts: Dictionary(uniqueKeysWithValues: statistics.collections.map { ($0.name, $0.records) }),
            checksum: try known ?? checksum(ofFile: dataFile))
    }
}
