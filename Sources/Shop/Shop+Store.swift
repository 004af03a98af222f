import Foundation
import Store

/// What the shop's callers may ask of the store it lives in, without holding the store:
/// the change feed (its head, its history, following it), whether there is room for writes,
/// figures for monitoring, a hot backup, and syncing and closing it.
///
/// The feed carries the shop's own changes only: other parts of the program that keep
/// records in the same store (the bot's outbox and dialogues) use collections that log no
/// changes, so what a client replays and what the hub fans out is the shop and nothing else.
extension Shop {
    /// The sequence of the shop's last committed change (0 before the first).
    public var feedHead: UInt64 { environment.head }

    /// Up to `limit` committed changes after `after`, in order; throws
    /// ``StoreError/Code/sinceTooOld`` when some were trimmed.
    public func changes(after: UInt64, limit: Int = 256) throws -> [ChangeRecord] {
        try environment.changes(after: after, limit: limit)
    }

    /// Every committed change after `after`: history first, then live as commits happen.
    public func follow(after: UInt64) -> ChangeStream {
        environment.follow(after: after)
    }

    /// Whether the store has room for writes, as the last write found it.
    public var storage: StorageCondition { environment.storage }

    /// Calls `observer` each time ``storage`` turns full or back to ok, on the store's writer
    /// thread: it must be quick and must not write.
    public func observeStorage(_ observer: @escaping @Sendable (StorageCondition) -> Void) {
        environment.observeStorage(observer)
    }

    /// The store's figures: records per collection, the feed, the map, reader slots.
    public func storeStatistics() async throws -> StoreStatistics {
        try await environment.statistics()
    }

    /// Takes one complete backup into the new folder `destination` while reads and writes go
    /// on: the compacted copy, the token secret file (mode 0600) when `tokenSecretFile` names
    /// one, and the manifest read from the copy (``Environment/writeBackup(to:tokenSecretFile:at:)``).
    @discardableResult
    public func backup(to destination: String, tokenSecretFile: String?, at now: Date = Date()) async throws -> BackupManifest {
        try await environment.writeBackup(to: destination, tokenSecretFile: tokenSecretFile, at: now)
    }

    /// ``backup(to:tokenSecretFile:at:)`` into a new dated folder (`tenda-backup-<UTC stamp>`)
    /// inside `folder`: what the bot's `/backup` and the scheduled backups take.
    @discardableResult
    public func backup(into folder: String, tokenSecretFile: String?, at now: Date = Date()) async throws -> (path: String, manifest: BackupManifest) {
        try await environment.writeBackup(into: folder, tokenSecretFile: tokenSecretFile, at: now)
    }

    /// The store's epoch: which history the feed's sequences belong to (new on every restore).
    public var epoch: String { environment.epoch }

    /// Flushes every commit to disk now (for a store opened without fsync, as an import is).
    public func sync() async throws {
        try await environment.sync()
    }

    /// Closes the store after the writes already queued. It is a programmer error to use the
    /// shop afterwards; its calls then throw ``StoreError/Code/closed``.
    public func close() async {
        await environment.close()
    }
}
