import Foundation
import Store
import Testing

/// `tenda db backup`, `tenda db restore` and `serve --backup-every`, through the real binary:
/// what an operator types, the folders it leaves, and a clear one-line refusal for each thing
/// a restore must not do.
@Suite(.serialized, .timeLimit(.minutes(4))) struct RestoreCommandTests {
    let cli = DatabaseCommandTests()

    static func temporaryFolder(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tenda-\(name)-\(UUID().uuidString)").path
    }

    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
    }

    /// The error output is one line naming the refusal.
    static func refused(_ run: DatabaseCommandTests.Run, saying words: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status != 0, "exit status", sourceLocation: sourceLocation)
        #expect(run.errors.contains(words), "\(run.errors)", sourceLocation: sourceLocation)
        #expect(run.errors.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(run.errors)",
                sourceLocation: sourceLocation)
    }

    @Test func aBackupRestoresIntoAnEmptyFolderAndEveryRefusalIsOneClearLine() async throws {
        let store = try await cli.makeStore()
        let secret = store + "/token-secret"
        #expect(FileManager.default.createFile(atPath: secret, contents: Data(repeating: 9, count: 32), attributes: [.posixPermissions: 0o600]))
        let backups = Self.temporaryFolder("backups")
        let target = Self.temporaryFolder("restored")
        defer {
            for folder in [store, backups, target, target + "-bad"] { try? FileManager.default.removeItem(atPath: folder) }
        }

        let taken = try cli.tenda("db", "backup", "--data-dir", store, "--into", backups)
        #expect(taken.status == 0, "\(taken.errors)")
        let (backup, manifest) = try #require(try BackupFolders.newest(in: backups))
        #expect((backup as NSString).lastPathComponent.hasPrefix("tenda-backup-"))
        #expect(taken.output.contains("written to \(backup)") && taken.output.contains(manifest.checksum))
        #expect(manifest.counts == ["products": 3] && manifest.feedHead == 3)
        #expect(Self.mode(backup + "/token-secret") == 0o600)

        let restored = try cli.tenda("db", "restore", "--from", backup, "--data-dir", target)
        #expect(restored.status == 0, "\(restored.errors)")
        #expect(restored.output.contains("feed head 3") && restored.output.contains("new epoch"))
        #expect(FileManager.default.contents(atPath: target + "/token-secret") == Data(repeating: 9, count: 32))
        #expect(Self.mode(target + "/token-secret") == 0o600)
        let stats = try cli.tenda("db", "stats", "--data-dir", target, "--json")
        #expect(try JSONDecoder().decode(StoreStatistics.self, from: Data(stats.output.utf8)).collections.first?.records == 3)

        // Not empty, no --force: refused, and the folder is as it was.
        let before = try FileManager.default.contentsOfDirectory(atPath: target).sorted()
        Self.refused(try cli.tenda("db", "restore", "--from", backup, "--data-dir", target), saying: "is not empty")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).sorted() == before)

        // A damaged copy: refused before anything is written.
        let data = backup + "/data.mdb"
        let original = try #require(FileManager.default.contents(atPath: data))
        var damaged = original
        damaged[damaged.count - 1] ^= 0xFF
        try damaged.write(to: URL(fileURLWithPath: data))
        Self.refused(try cli.tenda("db", "restore", "--from", backup, "--data-dir", target + "-bad"), saying: "does not match its manifest")
        #expect(!FileManager.default.fileExists(atPath: target + "-bad"))
        try original.write(to: URL(fileURLWithPath: data))

        // Not a backup at all.
        Self.refused(try cli.tenda("db", "restore", "--from", store, "--data-dir", target + "-bad"), saying: "no backup manifest")
    }

    @Test func serveTakesScheduledBackupsKeepsTheNewestAndItsFolderCannotBeRestoredOver() async throws {
        let data = Self.temporaryFolder("served")
        let backups = Self.temporaryFolder("scheduled")
        defer {
            for folder in [data, backups] { try? FileManager.default.removeItem(atPath: folder) }
            let parent = (data as NSString).deletingLastPathComponent
            let name = (data as NSString).lastPathComponent
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where entry.hasPrefix(name + ".before-restore-") {
                try? FileManager.default.removeItem(atPath: parent + "/" + entry)
            }
        }
        let badInterval = try cli.tenda("serve", "--data-dir", data, "--backup-every", "0s")
        #expect(badInterval.status != 0 && badInterval.errors.contains("--backup-every"))

        let server = try await ServerProcess.start(["serve", "--data-dir", data, "--port", String(try ShutdownTests.freePort()),
                                                    "--backup-dir", backups, "--backup-every", "1s", "--backup-keep", "2"])
        // Backups keep coming, and no more than two are kept: wait until the two kept are both
        // newer than the first one seen.
        var first: Date?
        let deadline = ContinuousClock.now + .seconds(90)
        while true {
            let found = try BackupFolders.all(in: backups)
            #expect(found.count <= 2, "--backup-keep 2")
            if first == nil { first = found.first?.manifest.createdAt }
            if let first, found.count == 2, found.allSatisfy({ $0.manifest.createdAt > first }) { break }
            guard ContinuousClock.now < deadline else {
                Issue.record("no two newer scheduled backups within 90 s: \(found.map(\.path)); \(server.output)")
                await server.stop()
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let (backup, manifest) = try #require(try BackupFolders.newest(in: backups))
        #expect(FileManager.default.fileExists(atPath: backup + "/token-secret"), "serve's token secret goes with each backup")
        #expect(manifest.epoch.count == 32)

        // The served folder is held: refused even with --force, and nothing is moved.
        Self.refused(try cli.tenda("db", "restore", "--from", backup, "--data-dir", data, "--force"), saying: "a running tenda holds")
        #expect(FileManager.default.fileExists(atPath: data + "/data.mdb"))
        await server.stop()

        // Stopped: --force moves the folder aside whole and restores in its place.
        let forced = try cli.tenda("db", "restore", "--from", backup, "--data-dir", data, "--force")
        #expect(forced.status == 0, "\(forced.errors)")
        let aside = try #require(forced.output.split(separator: "\n").first { $0.contains("moved to") }.map { String($0.split(separator: " ").last ?? "") })
        #expect(aside.hasPrefix(data + ".before-restore-"))
        #expect(FileManager.default.fileExists(atPath: aside + "/data.mdb") && FileManager.default.fileExists(atPath: aside + "/token-secret"))
        #expect(FileManager.default.fileExists(atPath: data + "/data.mdb"))
        // The restored folder serves again.
        let again = try await ServerProcess.start(["serve", "--data-dir", data, "--port", String(try ShutdownTests.freePort())])
        await again.stop()
    }
}
