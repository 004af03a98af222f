import Foundation
import Store
import Testing

/// Runs the built `tenda` binary, as a shop owner would.
@Suite(.timeLimit(.minutes(3))) struct DatabaseCommandTests {
    struct Run {
        let status: Int32
        let output: String
        let errors: String
    }

    /// The `tenda` executable SwiftPM built next to this test bundle.
    static var tendaBinary: URL {
        let testBinary = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var folder = testBinary.deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("tenda")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
            folder = folder.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: "tenda")
    }

    func tenda(_ arguments: String...) throws -> Run {
        let files = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-cli-run-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: files + ".out"); try? FileManager.default.removeItem(atPath: files + ".err") }
        let process = try SpawnedProcess(Self.tendaBinary.path, arguments, output: files + ".out", errors: files + ".err")
        process.waitUntilExit()
        let output = (try? String(contentsOfFile: files + ".out", encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: files + ".err", encoding: .utf8)) ?? ""
        return Run(status: process.terminationStatus, output: output, errors: errors)
    }

    struct Product: BinaryCodable, Sendable {
        var name: String
        func encode(to w: inout BinaryWriter) { w.write(name) }
        init(name: String) { self.name = name }
        init(from r: inout BinaryReader) throws { name = try r.read() }
    }

    func makeStore() async throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-cli-\(UUID().uuidString)").path
        let env = try await Environment.open(at: folder, configuration: .testing)
        let products = try await env.collection("products", key: UInt64Key.self, value: BinaryCodec<Product>.self,
                                                indexes: [.unique("name") { OrderedKey($0.name) }])
        try await env.write { txn in
            for (i, name) in ["coxinha", "pastel", "suco"].enumerated() { try products.put(txn, UInt64(i + 1), Product(name: name)) }
            try txn.add(toCounter: OrderedKey("sales"), 3)
        }
        try await env.trimFeed(keepingLast: 1)
        await env.close()
        return folder
    }

    @Test func versionIsPrinted() throws {
        let run = try tenda("--version")
        #expect(run.status == 0)
        #expect(run.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }

    @Test func statsDescribeCollectionsIndexesFeedMapAndReaders() async throws {
        let folder = try await makeStore()
        defer { try? FileManager.default.removeItem(atPath: folder) }

        let json = try tenda("db", "stats", "--data-dir", folder, "--json")
        #expect(json.status == 0, "\(json.errors)")
        let stats = try JSONDecoder().decode(StoreStatistics.self, from: Data(json.output.utf8))
        #expect(stats.collections.map(\.name) == ["products"])
        #expect(stats.collections.first?.records == 3)
        #expect(stats.collections.first?.indexes.first?.name == "name")
        #expect(stats.collections.first?.indexes.first?.entries == 3)
        #expect(stats.feedHead == 3 && stats.feedTrimPoint == 2 && stats.feedRecords == 1)
        #expect(stats.counters == 1)
        #expect(stats.mapUsed > 0 && stats.mapUsed <= stats.mapSize)
        #expect(stats.readersInUse == 0 && stats.maxReaders > 0)

        let table = try tenda("db", "stats", "--data-dir", folder)
        #expect(table.status == 0)
        #expect(table.output.contains("products"))
        #expect(table.output.contains("head 3, trimmed through 2"))
        #expect(table.output.contains("reader slots"))
    }

    @Test func backupWritesACopyThatStatsCanRead() async throws {
        let folder = try await makeStore()
        let copy = folder + "-copy"
        defer {
            try? FileManager.default.removeItem(atPath: folder)
            try? FileManager.default.removeItem(atPath: copy)
        }
        let backup = try tenda("db", "backup", "--data-dir", folder, "--to", copy)
        #expect(backup.status == 0, "\(backup.errors)")
        #expect(backup.output.contains("written to \(copy)"))
        let stats = try tenda("db", "stats", "--data-dir", copy, "--json")
        #expect(try JSONDecoder().decode(StoreStatistics.self, from: Data(stats.output.utf8)).collections.first?.records == 3)
        let again = try tenda("db", "backup", "--data-dir", folder, "--to", copy)
        #expect(again.status != 0)
        #expect(again.errors.contains("already holds a store"))
    }

    @Test func aMissingStoreIsAClearErrorAndIsNotCreated() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-none-\(UUID().uuidString)").path
        let run = try tenda("db", "stats", "--data-dir", folder)
        #expect(run.status != 0)
        #expect(run.errors.contains("no store at \(folder)"))
        #expect(!FileManager.default.fileExists(atPath: folder))
    }
}
