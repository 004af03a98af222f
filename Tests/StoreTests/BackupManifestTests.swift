import Foundation
import Testing
@testable import Store

/// One backup is a folder with the copy, the token secret and a manifest read from the copy;
/// a restore checks the copy against it, refuses what it must, and begins a new epoch.
@Suite(.timeLimit(.minutes(2))) struct BackupManifestTests {
    /// A store with `count` items written one per commit, and a token secret file beside it.
    static func filledStore(_ count: UInt64) async throws -> (TemporaryStore, secret: String) {
        let store = try await TemporaryStore.make()
        let items = try await store.environment.items()
        for k in 1...count {
            try await store.environment.write { txn in try items.put(txn, k, Item(name: "n\(k)", price: Int64(k))) }
        }
        let secret = store.folder + "/token-secret"
        #expect(FileManager.default.createFile(atPath: secret, contents: Data(repeating: 7, count: 32), attributes: [.posixPermissions: 0o600]))
        return (store, secret)
    }

    static func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func aBackupFolderHoldsTheCopyThePrivateSecretAndAManifestReadFromTheCopy() async throws {
        let (store, secret) = try await Self.filledStore(30)
        let parent = makeTemporaryFolder()
        let at = Date(timeIntervalSince1970: 1_796_319_900.25)  // 2026-12-03T17:45:00.25Z
        let (path, manifest) = try await store.environment.writeBackup(into: parent, tokenSecretFile: secret, at: at)

        #expect((path as NSString).lastPathComponent == "tenda-backup-20261203T174500Z")
        #expect(manifest.format == 1)
        #expect(manifest.createdAt == at)
        #expect(manifest.feedHead == store.environment.head)
        #expect(manifest.epoch == store.environment.epoch && manifest.epoch.count == 32)
        #expect(manifest.counts["items"] == 30)
        #expect(manifest.checksum == (try BackupManifest.checksum(ofFile: path + "/data.mdb")))
        #expect(manifest.checksum.hasPrefix("sha256:") && manifest.checksum.count == 7 + 64)
        #expect(try BackupManifest.read(from: path) == manifest)
        #expect(FileManager.default.contents(atPath: path + "/token-secret") == FileManager.default.contents(atPath: secret))
        #expect(try Self.mode(path + "/token-secret") == 0o600)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: path)) == ["data.mdb", "token-secret", "manifest.json"])
        let json = String(decoding: FileManager.default.contents(atPath: path + "/manifest.json") ?? Data(), as: UTF8.self)
        #expect(json.contains(#""createdAt" : "2026-12-03T17:45:00.250Z""#))

        // A second backup of the same second gets a folder of its own, and is the newest.
        let second = try await store.environment.writeBackup(into: parent, tokenSecretFile: nil, at: at.addingTimeInterval(0.5))
        #expect((second.path as NSString).lastPathComponent == "tenda-backup-20261203T174500Z-2")
        #expect(!FileManager.default.fileExists(atPath: second.path + "/token-secret"))
        #expect(try BackupFolders.newest(in: parent)?.path == second.path)
        // Something else in the backup folder is neither a backup nor pruned.
        try FileManager.default.createDirectory(atPath: parent + "/notes", withIntermediateDirectories: true)
        #expect(try BackupFolders.prune(in: parent, keep: 1) == [path])
        #expect(try BackupFolders.all(in: parent).map(\.path) == [second.path])
        #expect(FileManager.default.fileExists(atPath: parent + "/notes"))
        #expect(try BackupFolders.newest(in: parent + "/missing") == nil)

        try? FileManager.default.removeItem(atPath: parent)
        await store.discard()
    }

    @Test func theEpochIsKeptAcrossOpensAndAnOldStoreGetsOneOnce() async throws {
        let store = try await TemporaryStore.make()
        let first = store.environment.epoch
        #expect(first.count == 32 && first.allSatisfy(\.isHexDigit))
        // A store from before epochs: its meta has none.
        let meta = store.environment.internals.meta
        try await store.environment.write { txn in _ = try txn.rawDelete(meta, InternalDatabases.MetaKey.epoch.bytes) }
        await store.environment.close()

        var readOnly = StoreConfiguration.testing
        readOnly.access = .readOnly
        let reader = try await Environment.open(at: store.folder, configuration: readOnly)
        #expect(reader.epoch == "", "a reader does not write one")
        await reader.close()

        let upgraded = try await Environment.open(at: store.folder, configuration: .testing)
        let given = upgraded.epoch
        #expect(given.count == 32 && given != first)
        await upgraded.close()
        let again = try await Environment.open(at: store.folder, configuration: .testing)
        #expect(again.epoch == given, "written once, then kept")
        await again.close()
        try? FileManager.default.removeItem(atPath: store.folder)
    }

    @Test func aRestoreChecksTheCopyAndBeginsANewEpochWithTheSameHistory() async throws {
        let (store, secret) = try await Self.filledStore(40)
        let parent = makeTemporaryFolder()
        let (backup, manifest) = try await store.environment.writeBackup(into: parent, tokenSecretFile: secret)
        let target = makeTemporaryFolder() + "/data"

        let outcome = try await BackupRestore.restore(from: backup, into: target, force: false)
        #expect(outcome.manifest == manifest)
        #expect(outcome.movedAside == nil)
        #expect(outcome.epoch != manifest.epoch && outcome.epoch.count == 32)
        #expect(try Self.mode(target + "/token-secret") == 0o600)
        let restored = try await Environment.open(at: target, configuration: .testing)
        #expect(restored.epoch == outcome.epoch)
        #expect(restored.head == manifest.feedHead)
        #expect(try restored.changes(after: 0, limit: 100) == store.environment.changes(after: 0, limit: 100))
        let items = try await restored.items()
        #expect(try restored.read { txn in try items.count(txn) } == 40)
        // The backup folder is as it was: no lock file left by the check.
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: backup)) == ["data.mdb", "token-secret", "manifest.json"])

        // Held by a writer: refused, whatever the flags, and nothing moved.
        await #expect(throws: StoreError(.locked, "")) { try await BackupRestore.restore(from: backup, into: target, force: true) }
        await restored.close()
        // Not empty: refused without force.
        await #expect(throws: StoreError(.alreadyExists, "")) { try await BackupRestore.restore(from: backup, into: target, force: false) }
        // With force: the old folder is moved aside whole, never deleted.
        let forced = try await BackupRestore.restore(from: backup, into: target, force: true)
        let aside = try #require(forced.movedAside)
        #expect(aside.hasPrefix(target + ".before-restore-"))
        #expect(FileManager.default.fileExists(atPath: aside + "/data.mdb"))
        #expect(forced.epoch != outcome.epoch)

        // A copy that does not match its manifest is refused before anything is touched.
        var wrong = manifest
        wrong.counts["items"] = 41
        try wrong.write(to: backup)
        await #expect(throws: StoreError(.corrupted, "")) { try await BackupRestore.restore(from: backup, into: target + "-2", force: false) }
        wrong = manifest
        wrong.checksum = "sha256:" + String(repeating: "0", count: 64)
        try wrong.write(to: backup)
        await #expect(throws: StoreError(.corrupted, "")) { try await BackupRestore.restore(from: backup, into: target + "-2", force: false) }
        #expect(!FileManager.default.fileExists(atPath: target + "-2"))
        try FileManager.default.removeItem(atPath: backup + "/manifest.json")
        await #expect(throws: StoreError(.notFound, "")) { try await BackupRestore.restore(from: backup, into: target + "-2", force: false) }

        for path in [parent, (target as NSString).deletingLastPathComponent] { try? FileManager.default.removeItem(atPath: path) }
        await store.discard()
    }
}
