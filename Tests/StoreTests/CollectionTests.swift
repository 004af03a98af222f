import Foundation
import Testing
@testable import Store

@Suite(.timeLimit(.minutes(1))) struct CollectionTests {
    @Test func putGetDeleteExistsAndCount() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()

        let version = try await env.write { txn in try items.put(txn, 7, Item(name: "coxinha", price: 650)) }
        #expect(version == 1)
        try env.read { txn throws in
            #expect(try items.get(txn, 7) == Item(name: "coxinha", price: 650))
            #expect(try items.exists(txn, 7))
            #expect(try !items.exists(txn, 8))
            #expect(try items.get(txn, 8) == nil)
            #expect(try items.count(txn) == 1)
        }
        let deleted = try await env.write { txn in try items.delete(txn, 7) }
        let deletedAgain = try await env.write { txn in try items.delete(txn, 7) }
        #expect(deleted && !deletedAgain)
        try env.read { txn throws in
            #expect(try items.get(txn, 7) == nil)
            #expect(try items.count(txn) == 0)
            #expect(try items.indexEntryCount(txn, index: "name") == 0)
        }
        await store.discard()
    }

    @Test func iterationFollowsKeyOrderBothWaysAndPagesWithCursors() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        // Inserted out of order; big-endian keys must come back sorted, 255 < 256 included.
        let keys: [UInt64] = [300, 1, 256, 255, 2, 70_000, 3]
        try await env.write { txn in
            for k in keys { try items.put(txn, k, Item(name: "item\(k)")) }
        }
        try env.read { txn throws in
            #expect(try items.scan(txn).items.map(\.key) == keys.sorted())
            #expect(try items.scan(txn, options: ScanOptions(reverse: true)).items.map(\.key) == keys.sorted().reversed())
            #expect(try items.scan(txn, from: 3, to: 300).items.map(\.key) == [3, 255, 256])
            #expect(try items.scan(txn, from: 3, to: 300, options: ScanOptions(reverse: true)).items.map(\.key) == [256, 255, 3])

            var seen: [UInt64] = []
            var cursor: PageCursor?
            repeat {
                let page = try items.scan(txn, options: ScanOptions(limit: 3, after: cursor))
                seen += page.items.map(\.key)
                // The cursor survives a round trip through its token.
                cursor = page.next.flatMap { PageCursor(token: $0.token) }
            } while cursor != nil
            #expect(seen == keys.sorted())

            let firstPage = try items.scan(txn, options: ScanOptions(limit: 2, reverse: true))
            let secondPage = try items.scan(txn, options: ScanOptions(limit: 2, reverse: true, after: firstPage.next))
            #expect(firstPage.items.map(\.key) == [70_000, 300])
            #expect(secondPage.items.map(\.key) == [256, 255])
            #expect(try items.scan(txn, options: ScanOptions(limit: 7)).next == nil)
        }
        #expect(PageCursor(token: "not base64 !!") == nil)
        await store.discard()
    }

    @Test func versionsGoUpByOneAndStaleWritesAreRefused() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        try await env.write { txn in try items.put(txn, 1, Item(name: "a"), expecting: .absent) }
        let v2 = try await env.write { txn in try items.put(txn, 1, Item(name: "a", price: 200), expecting: .version(1)) }
        #expect(v2 == 2)

        await #expect(throws: StoreError(.versionConflict, "")) {
            try await env.write { txn in try items.put(txn, 1, Item(name: "a", price: 999), expecting: .version(1)) }
        }
        await #expect(throws: StoreError(.alreadyExists, "")) {
            try await env.write { txn in try items.put(txn, 1, Item(name: "a", price: 999), expecting: .absent) }
        }
        await #expect(throws: StoreError(.versionConflict, "")) {
            try await env.write { txn in try items.delete(txn, 1, expecting: .version(7)) }
        }
        try env.read { txn throws in
            let record = try #require(try items.record(txn, 1))
            #expect(record.version == 2)
            #expect(record.value.price == 200)
        }
        await store.discard()
    }

    /// Found by the `records` fuzz target (Tests/Fuzz): overwriting a stored record whose
    /// version bytes are all `FF` (a corrupt record) trapped on the version's overflow.
    @Test func aCorruptRecordAtTheLastVersionIsAnErrorNotACrash() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        let stored = [UInt8](repeating: 0xFF, count: 8) + Item(name: "a").binaryEncoded()
        try await env.write { txn in try txn.rawPut(items.dbi, UInt64Key.encode(1), stored) }
        try env.read { txn throws in #expect(try items.record(txn, 1)?.version == .max) }
        await #expect(throws: StoreError(.corrupted, "")) {
            try await env.write { txn in try items.put(txn, 1, Item(name: "b")) }
        }
        // It can still be deleted, which is how an owner gets rid of it.
        #expect(try await env.write { txn in try items.delete(txn, 1) })
        await store.discard()
    }

    @Test func aTransactionKeptPastItsClosureRefusesToWork() async throws {
        let store = try await TemporaryStore.make()
        let items = try await store.environment.items()
        let escaped = try store.environment.read { txn in txn }
        #expect(throws: StoreError(.closed, "")) { try items.get(escaped, 1) }
        await store.discard()
    }

    @Test func recordsSurviveReopening() async throws {
        let folder = makeTemporaryFolder()
        let env = try await Environment.open(at: folder, configuration: .testing)
        let items = try await env.items()
        try await env.write { txn in try items.put(txn, 1, Item(name: "kept", tags: ["x", "y"])) }
        await env.close()
        await #expect(throws: StoreError(.closed, "")) { try await env.write { _ in } }

        let reopened = try await Environment.open(at: folder, configuration: .testing)
        let again = try await reopened.items()
        try reopened.read { txn throws in
            #expect(try again.get(txn, 1) == Item(name: "kept", tags: ["x", "y"]))
            #expect(try again.first(txn, index: "name", equals: OrderedKey("kept"))?.key == 1)
        }
        await reopened.close()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
