import Foundation
import Testing
@testable import Store

/// A store in a fresh temporary folder, removed when the test is done with it.
struct TemporaryStore {
    let folder: String
    let environment: Environment

    /// Opens a new store; `configure` adjusts the test configuration (no fsync, 8 MiB map).
    static func make(_ configure: (inout StoreConfiguration) -> Void = { _ in }) async throws -> TemporaryStore {
        let folder = makeTemporaryFolder()
        var configuration = StoreConfiguration.testing
        configure(&configuration)
        return TemporaryStore(folder: folder, environment: try await Environment.open(at: folder, configuration: configuration))
    }

    /// Closes the store and deletes its folder.
    func discard() async {
        await environment.close()
        try? FileManager.default.removeItem(atPath: folder)
    }
}

func makeTemporaryFolder() -> String {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("tenda-store-tests-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder
}

/// A small record with a field for each kind of index key the tests exercise.
struct Item: BinaryCodable, Equatable, Sendable {
    var name: String
    var category: String
    var price: Int64
    var at: Date
    var tags: [String] = []

    func encode(to w: inout BinaryWriter) {
        w.write(name); w.write(category); w.write(price); w.write(at); w.write(tags)
    }

    init(from r: inout BinaryReader) throws {
        name = try r.read(); category = try r.read(); price = try r.read(); at = try r.read(); tags = try r.read()
    }

    init(name: String, category: String = "misc", price: Int64 = 100, at: Date = Date(timeIntervalSince1970: 1_700_000_000), tags: [String] = []) {
        self.name = name; self.category = category; self.price = price; self.at = at; self.tags = tags
    }
}

typealias Items = TypedCollection<UInt64Key, BinaryCodec<Item>>

extension Environment {
    /// The `items` collection with a unique name index, a category index, a (category, price)
    /// composite, a time index and a multi-valued tag index.
    func items() async throws -> Items {
        try await collection("items", key: UInt64Key.self, value: BinaryCodec<Item>.self, indexes: [
            .unique("name") { OrderedKey($0.name) },
            .multi("category") { [OrderedKey($0.category)] },
            .multi("categoryPrice") { [OrderedKey($0.category, $0.price)] },
            .multi("time") { [OrderedKey($0.at)] },
            .multi("tags") { $0.tags.map { OrderedKey($0) } },
        ])
    }
}

/// Holds the writer thread inside a write call until opened, so that the calls submitted
/// meanwhile queue up and are then taken together as one batch.
final class WriterGate: Sendable {
    private let release = DispatchSemaphore(value: 0)
    private let held: Task<Void, any Error>

    /// Returns once the writer thread is inside the gate's call, having done `work` there:
    /// what `work` wrote stays uncommitted until the gate opens.
    init(_ env: Environment, doing work: @escaping @Sendable (WriteTransaction) throws -> Void = { _ in }) async {
        let entered = DispatchSemaphore(value: 0)
        let release = self.release
        held = Task { try await env.write { txn in try work(txn); entered.signal(); release.wait() } }
        await withCheckedContinuation { continuation in
            Thread { entered.wait(); continuation.resume() }.start()
        }
    }

    /// Opens the gate and waits for its call to commit.
    func open() async throws {
        release.signal()
        try await held.value
    }

    /// Waits (at most ten seconds) until `count` calls are queued behind the gate, then opens it.
    func open(whenQueued count: Int, on env: Environment) async throws {
        do {
            try await waitUntil("\(count) write calls queued behind the gate", seeing: { env.writer.queuedCount }) { $0 >= count }
        } catch {
            try? await open()  // let the writer go, so the store can still close
            throw error
        }
        try await open()
    }
}
