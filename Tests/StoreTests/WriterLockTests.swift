import Foundation
import Testing
@testable import Store

/// One writer per folder: the environment that writes a folder holds its writer lock from open
/// to close; a reader may look beside it.
@Suite(.timeLimit(.minutes(1))) struct WriterLockTests {
    @Test func aSecondWriterIsRefusedUntilTheFirstCloses() async throws {
        let store = try await TemporaryStore.make()
        let items = try await store.environment.items()
        try await store.environment.write { txn in try items.put(txn, 1, Item(name: "first")) }

        await #expect(throws: StoreError(.locked, "")) { try await Environment.open(at: store.folder, configuration: .testing) }
        // The refused open changed nothing: the writer goes on.
        try await store.environment.write { txn in try items.put(txn, 2, Item(name: "second")) }

        await store.environment.close()
        let next = try await Environment.open(at: store.folder, configuration: .testing)
        let reopened = try await next.items()
        #expect(try next.read { txn in try reopened.count(txn) } == 2)
        await next.close()
        try? FileManager.default.removeItem(atPath: store.folder)
    }

    @Test func aReadOnlyOpenLooksBesideTheWriterAndRefusesToWrite() async throws {
        let store = try await TemporaryStore.make()
        let items = try await store.environment.items()
        try await store.environment.write { txn in try items.put(txn, 1, Item(name: "first")) }

        var configuration = StoreConfiguration.testing
        configuration.access = .readOnly
        let reader = try await Environment.open(at: store.folder, configuration: configuration)
        #expect(try await reader.statistics().collections.first { $0.name == "items" }?.records == 1)
        // Opened, not created (it exists); without its indexes, which an empty one would have the reader build.
        let seen = try await reader.collection("items", key: UInt64Key.self, value: BinaryCodec<Item>.self)
        await #expect(throws: StoreError(.invalidArgument, "")) { try await reader.write { txn in try seen.put(txn, 2, Item(name: "no")) } }
        await #expect(throws: StoreError(.notFound, "")) {
            try await reader.collection("new", key: UInt64Key.self, value: BinaryCodec<Item>.self)
        }
        #expect(reader.head == 1, "nothing was written through the reader")
        await reader.close()
        await store.discard()
    }
}
