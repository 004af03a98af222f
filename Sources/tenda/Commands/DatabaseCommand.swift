import ArgumentParser
import Foundation
import Store

/// `tenda db …`: look after the store file.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Inspect and back up the store.",
        subcommands: [Stats.self, Backup.self]
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
            abstract: "Write a compacted, consistent copy of the store while it is in use.")

        @Option(name: .long, help: "The store's folder.")
        var dataDir: String = "./tenda-data"

        @Option(name: .long, help: "The folder to write the copy into (created; must not hold a store).")
        var to: String

        func run() async throws {
            let environment = try await DatabaseCommand.openExisting(dataDir)
            let started = Date()
            do {
                try await environment.backup(to: to)
            } catch {
                await environment.close()
                throw error
            }
            await environment.close()
            let size = (try? FileManager.default.attributesOfItem(atPath: to + "/data.mdb")[.size] as? Int) ?? 0
            print("backup of \(dataDir) written to \(to): \(Stats.bytes(size)) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        }
    }
}
