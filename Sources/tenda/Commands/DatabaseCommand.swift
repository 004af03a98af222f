import ArgumentParser
import Foundation
import Store

/// `tenda db …`: look after the store file.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Inspect, back up and restore the store.",
        subcommands: [Stats.self, Digest.self, Backup.self, Restore.self]
    )

    /// Opens an existing store (never creates one) for a maintenance command: read-only, so
    /// that it runs beside a serving `tenda` (which holds the folder's writer lock).
    static func openExisting(_ dataDir: String) async throws -> Environment {
        var configuration = StoreConfiguration()
        configuration.createIfMissing = false
        configuration.access = .readOnly
        configuration.mapSize = 1 << 20  // adopts the file's own size when larger
        return try await Environment.open(at: dataDir, configuration: configuration)
    }

    /// `tenda db digest`: one line per named database, for telling whether a replica holds its
    /// primary's copy (`diff <(tenda db digest --data-dir A) <(tenda db digest --data-dir B)`).
    struct Digest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A SHA-256 of each database in the store (collections, indexes, feed, counters), to compare two copies.")

        @Option(name: .long, help: "The store's folder.")
        var dataDir: String = "./tenda-data"

        func run() async throws {
            let environment = try await DatabaseCommand.openExisting(dataDir)
            let digests = try await environment.databaseDigests()
            let (head, epoch) = (environment.head, environment.epoch)
            await environment.close()
            print("epoch \(epoch) head \(head)")
            // _meta holds the copy's own facts (its trim point), so it is left out of the comparison.
            for name in digests.keys.sorted() where name != "_meta" {
                guard let digest = digests[name] else { continue }
                print("\(name) \(digest.entries) \(digest.sha256)")
            }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Collections, record and index counts, the change feed, the map and reader slots.")

        @Option(name: .long, help: "The store's folder.")
        var dataDir: String = "./tenda-data"

        @Flag(name: .long, help: "Print JSON instead of a table.")
        var json = false

        func run() async throws {
            let environment = try await DatabaseCommand.openExisting(dataDir)
            let stats = try await environment.statistics()
            await environment.close()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(stats), as: UTF8.self))
            } else {
                print(Self.render(stats))
            }
        }

        static func render(_ s: StoreStatistics) -> String {
            var lines = ["store \(s.path)", ""]
            lines.append(pad("collection", 28) + pad("records", 12, right: true))
            for c in s.collections {
                lines.append(pad(c.name, 28) + pad("\(c.records)", 12, right: true))
                for i in c.indexes {
                    lines.append(pad("  index \(i.name)", 28) + pad("\(i.entries)", 12, right: true) + " entries")
                }
            }
            if s.collections.isEmpty { lines.append("(no collections)") }
            lines += [
                "",
                "change feed   head \(s.feedHead), trimmed through \(s.feedTrimPoint), \(s.feedRecords) records kept",
                "counters      \(s.counters)",
                "map           \(bytes(s.mapUsed)) used of \(bytes(s.mapSize)) (page \(s.pageSize) B)",
                "reader slots  \(s.readersInUse) in use of \(s.maxReaders)",
            ]
            return lines.joined(separator: "\n")
        }

        static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, width - s.count))
            return right ? fill + s : s + fill
        }

        static func bytes(_ n: Int) -> String {
            let units = ["B", "KiB", "MiB", "GiB", "TiB"]
            var value = Double(n)
            var unit = 0
            while value >= 1024, unit < units.count - 1 {
                value /= 1024
                unit += 1
            }
            return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
        }
    }

    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a backup while the store is in use: a compacted, consistent copy, the token secret and a manifest.",
            discussion: """
                The folder gets data.mdb, token-secret (mode 0600, when the data folder has one) and \
                manifest.json (feed head, epoch, records per collection, SHA-256 of data.mdb). \
                Give --to for the exact folder, or --into for a dated tenda-backup-<UTC time> folder inside it.
                """)

        @Option(name: .long, help: "The store's folder.")
        var dataDir: String = "./tenda-data"

        @Option(name: .long, help: "The folder to write the backup into (created; must not hold a store).")
        var to: String?

        @Option(name: .long, help: "A backup folder to write a new dated backup folder into (created when missing).")
        var into: String?

        func validate() throws {
            guard (to == nil) != (into == nil) else { throw ValidationError("give one of --to or --into") }
        }

        func run() async throws {
            let environment = try await DatabaseCommand.openExisting(dataDir)
            let started = Date()
            do {
                let written = try await write(environment)
                await environment.close()
                let size = (try? FileManager.default.attributesOfItem(atPath: written.path + "/data.mdb")[.size] as? Int) ?? 0
                print("backup of \(dataDir) written to \(written.path): \(Stats.bytes(size)) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s, "
                      + "feed head \(written.manifest.feedHead), \(written.manifest.checksum)")
            } catch {
                await environment.close()
                throw error
            }
        }

        /// The one backup (``Environment/writeBackup(to:tokenSecretFile:at:)``), where the flags say.
        private func write(_ environment: Environment) async throws -> (path: String, manifest: BackupManifest) {
            let secret = dataDir + "/" + BackupManifest.tokenSecretFileName
            if let to { return (to, try await environment.writeBackup(to: to, tokenSecretFile: secret)) }
            return try await environment.writeBackup(into: into ?? "", tokenSecretFile: secret)
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a backup into a data folder, after checking it against its manifest.",
            discussion: """
                Checks the backup (the SHA-256 of data.mdb, then the copy opened read-only: its feed head, \
                epoch and records per collection against manifest.json), refuses a data folder a running \
                tenda holds, and restores into an empty or missing folder; with --force the folder's \
                contents are moved aside to DIR.before-restore-<UTC time>, never deleted. The restored \
                store gets a new epoch, so live clients of the old one start again rather than resume.
                """)

        @Option(name: .long, help: "The backup folder (holding data.mdb and manifest.json).")
        var from: String

        @Option(name: .long, help: "The data folder to restore into (missing or empty, unless --force).")
        var dataDir: String

        @Flag(name: .long, help: "Move a data folder that is not empty aside (to DIR.before-restore-<UTC time>) instead of refusing.")
        var force = false

        func run() async throws {
            do {
                let outcome = try await BackupRestore.restore(from: from, into: dataDir, force: force)
                if let aside = outcome.movedAside { print("the earlier contents of \(dataDir) were moved to \(aside)") }
                print("restored \(from) into \(dataDir): feed head \(outcome.manifest.feedHead), "
                      + "\(outcome.manifest.counts.values.reduce(0, +)) records, new epoch \(outcome.epoch)")
            } catch let error as StoreError {
                // One line, in the command line's words (the store's code is for programs).
                throw ValidationFailure("restore refused: \(error.message)")
            }
        }
    }
}
