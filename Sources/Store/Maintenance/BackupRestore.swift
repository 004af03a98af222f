import Foundation

/// Puts a backup folder back as a store's data folder (`tenda db restore`), after checking it.
///
/// ```swift
/// let restored = try await BackupRestore.restore(from: "/backups/tenda-backup-20261203T174500Z",
///                                                into: "/var/lib/tenda", force: false)
/// ```
///
/// Every refusal is a ``StoreError`` whose message is one line for people: a folder a
/// running writer holds (``StoreError/Code/locked``), a folder that is not empty without
/// `force` (``StoreError/Code/alreadyExists``), a backup with no manifest
/// (``StoreError/Code/notFound``), a copy that does not match its manifest
/// (``StoreError/Code/corrupted``). A refused restore changes nothing in the data folder.
public enum BackupRestore {
    /// What a restore did.
    public struct Outcome: Sendable, Equatable {
        /// The backup's manifest, as checked.
        public let manifest: BackupManifest
        /// The restored store's new epoch (the backup's was ``BackupManifest/epoch``).
        public let epoch: String
        /// Where the data folder's earlier contents were moved (with `force`), or nil.
        public let movedAside: String?
    }

    /// Checks the backup in `backup` against its manifest and returns it: the SHA-256 of its
    /// `data.mdb`, then the copy opened read-only (its feed head, epoch and records per
    /// collection). Changes nothing in the folder.
    public static func verify(_ backup: String) async throws -> BackupManifest {
        let manifest = try BackupManifest.read(from: backup)
        let dataFile = backup + "/" + BackupManifest.dataFileName
        guard FileManager.default.fileExists(atPath: dataFile) else {
            throw StoreError(.notFound, "\(backup) has a manifest but no \(BackupManifest.dataFileName)")
        }
        let checksum = try BackupManifest.checksum(ofFile: dataFile)
        guard checksum == manifest.checksum else {
            throw StoreError(.corrupted, "\(dataFile) does not match its manifest: its checksum is \(checksum), the manifest says \(manifest.checksum)")
        }
        let found = try await BackupManifest.describe(copyIn: backup, createdAt: manifest.createdAt, checksum: checksum)
        guard found.feedHead == manifest.feedHead else {
            throw StoreError(.corrupted, "\(dataFile) does not match its manifest: its feed head is \(found.feedHead), the manifest says \(manifest.feedHead)")
        }
        guard found.epoch == manifest.epoch else {
            throw StoreError(.corrupted, "\(dataFile) does not match its manifest: its epoch is \(found.epoch), the manifest says \(manifest.epoch)")
        }
        guard found.counts == manifest.counts else {
            throw StoreError(.corrupted, "\(dataFile) does not match its manifest: records differ in \(differences(found.counts, manifest.counts))")
        }
        return manifest
    }

    /// "sales 310 (manifest 311), …": the collections whose counts differ.
    private static func differences(_ found: [String: Int], _ expected: [String: Int]) -> String {
        var parts: [String] = []
        for name in Set(found.keys).union(expected.keys).sorted() where found[name] != expected[name] {
            parts.append("\(name) \(found[name] ?? 0) (manifest \(expected[name] ?? 0))")
        }
        return parts.joined(separator: ", ")
    }

    /// Restores the backup in `backup` into the data folder `dataDir`, with a new epoch, or,
    /// with `newEpoch: false`, in the backup's own: for a replica's first copy of its primary,
    /// whose history it continues (a restore proper never does: see ``Environment/epoch``).
    ///
    /// `dataDir` must be missing or empty, or, with `force`, its contents are moved aside to
    /// `<dataDir>.before-restore-<UTC stamp>` (never deleted). A folder a running writer holds
    /// is refused either way. The backup is checked first (``verify(_:)``), then copied into
    /// a sibling folder (`data.mdb` and, when the backup has one, `token-secret` with mode
    /// 0600), opened to write there and given a new epoch, and only then moved into place,
    /// under the data folder's writer lock.
    public static func restore(from backup: String, into dataDir: String, force: Bool, newEpoch: Bool = true,
                               at now: Date = Date()) async throws -> Outcome {
        let fm = FileManager.default
        let dataDir = dataDir.count > 1 && dataDir.hasSuffix("/") ? String(dataDir.dropLast()) : dataDir
        try refuseIfHeldOrFull(dataDir, force: force)
        let manifest = try await verify(backup)

        let stamp = BackupFolders.stamp(now)
        let staging = freeName(dataDir + ".restoring-" + stamp)
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.io, "cannot create \(staging): \(error.localizedDescription)")
        }
        do {
            let epoch = try await stage(backup, manifest: manifest, in: staging, newEpoch: newEpoch)
            let movedAside = try moveIntoPlace(staging, dataDir, force: force, stamp: stamp)
            return Outcome(manifest: manifest, epoch: epoch, movedAside: movedAside)
        } catch {
            // Ours alone: the data folder is as it was, or already replaced by it.
            try? fm.removeItem(atPath: staging)
            throw error
        }
    }

    /// Under the data folder's writer lock: checks it again, moves its contents aside (or
    /// removes it when it holds nothing), and renames `staging` to it. Returns where the old
    /// contents went.
    private static func moveIntoPlace(_ staging: String, _ dataDir: String, force: Bool, stamp: String) throws -> String? {
        let fm = FileManager.default
        let lock = try takeWriterLock(dataDir)
        defer { lock?.release() }
        try refuseIfHeldOrFull(dataDir, force: force, lockHeldHere: true)
        let exists = fm.fileExists(atPath: dataDir)
        let empty = try !exists || isEmptyStoreFolder(dataDir)
        let aside: String? = empty ? nil : freeName(dataDir + ".before-restore-" + stamp)
        do {
            if let aside {
                try fm.moveItem(atPath: dataDir, toPath: aside)
            } else if exists {
                try fm.removeItem(atPath: dataDir)
            }
            try fm.moveItem(atPath: staging, toPath: dataDir)
        } catch {
            throw StoreError(.io, "cannot move the restored store into \(dataDir): \(error.localizedDescription)")
        }
        return aside
    }

    /// Copies the checked backup into `staging`, checks the copy's head again, and gives it a
    /// new epoch (unless told not to); returns the copy's epoch.
    private static func stage(_ backup: String, manifest: BackupManifest, in staging: String, newEpoch: Bool) async throws -> String {
        let fm = FileManager.default
        do {
            try fm.copyItem(atPath: backup + "/" + BackupManifest.dataFileName, toPath: staging + "/" + BackupManifest.dataFileName)
        } catch {
            throw StoreError(.io, "cannot copy \(backup)/\(BackupManifest.dataFileName): \(error.localizedDescription)")
        }
        let secret = backup + "/" + BackupManifest.tokenSecretFileName
        if fm.fileExists(atPath: secret) {
            try Environment.copySecret(from: secret, to: staging + "/" + BackupManifest.tokenSecretFileName)
        }
        var configuration = StoreConfiguration()
        configuration.createIfMissing = false
        configuration.mapSize = 1 << 20  // adopts the file's own size
        let restored = try await Environment.open(at: staging, configuration: configuration)
        let head = restored.head
        let epoch = head != manifest.feedHead ? nil : newEpoch ? try? await restored.beginNewEpoch() : restored.epoch
        await restored.close()
        guard head == manifest.feedHead else {
            throw StoreError(.corrupted, "the copied store's feed head is \(head), the manifest says \(manifest.feedHead)")
        }
        guard let epoch else { throw StoreError(.io, "cannot give the restored store in \(staging) a new epoch") }
        return epoch
    }

    /// Refuses a data folder a running writer holds, or one that is not empty without `force`.
    private static func refuseIfHeldOrFull(_ dataDir: String, force: Bool, lockHeldHere: Bool = false) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataDir, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else { throw StoreError(.io, "\(dataDir) is not a folder") }
        if !lockHeldHere {
            // Taken and let go at once: only to learn whether a server holds it now. The move
            // itself happens under the lock.
            try takeWriterLock(dataDir)?.release()
        }
        if !force, try !isEmptyStoreFolder(dataDir) {
            throw StoreError(.alreadyExists, "\(dataDir) is not empty; restore into an empty folder, or pass --force to move it aside")
        }
    }

    /// Takes `dataDir`'s writer lock (when the folder exists), so that no server starts on it
    /// meanwhile; throws ``StoreError/Code/locked`` when a writer holds it.
    private static func takeWriterLock(_ dataDir: String) throws -> WriterLock? {
        guard FileManager.default.fileExists(atPath: dataDir) else { return nil }
        // Typed throws with a `catch where` here crashed Swift 6.3.1 (MandatoryAllocBoxToStack).
        let result = Result { () throws(StoreError) -> WriterLock in try WriterLock(folder: dataDir) }
        if case .failure(let error) = result, error.code == .locked {
            throw StoreError(.locked, "a running tenda holds \(dataDir) (\(dataDir)/\(WriterLock.fileName) is locked); stop it first")
        }
        return try result.get()
    }

    /// Whether a folder holds nothing but, at most, a writer lock file.
    private static func isEmptyStoreFolder(_ path: String) throws -> Bool {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path).allSatisfy { $0 == WriterLock.fileName }
        } catch {
            throw StoreError(.io, "cannot list \(path): \(error.localizedDescription)")
        }
    }

    /// `path`, or `path-2`, `path-3`… when it is taken.
    private static func freeName(_ path: String) -> String {
        var candidate = path
        var suffix = 2
        while FileManager.default.fileExists(atPath: candidate) {
            candidate = "\(path)-\(suffix)"
            suffix += 1
        }
        return candidate
    }
}
