import CLMDB
import Foundation
import Synchronization
import Testing
@testable import Store

/// 8 KiB whose bytes say which blob it is.
private func blob(_ i: UInt64) -> [UInt8] { [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 8 << 10) }

@Suite(.timeLimit(.minutes(1))) struct MapCeilingTests {
    /// The storage conditions an observer was told of, in order.
    final class Conditions: Sendable {
        private let seen = Mutex<[StorageCondition]>([])
        func add(_ condition: StorageCondition) { seen.withLock { $0.append(condition) } }
        var all: [StorageCondition] { seen.withLock { $0 } }
    }

    @Test func aWriteBeyondTheMapCeilingIsRefusedWithStorageFullAndEverythingAcknowledgedStays() async throws {
        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var configuration = StoreConfiguration.testing
        configuration.mapSize = 256 << 10
        configuration.maxMapSize = 1 << 20
        let env = try await Environment.open(at: folder, configuration: configuration)
        let conditions = Conditions()
        env.observeStorage { conditions.add($0) }
        let blobs = try await env.collection("blobs", key: UInt64Key.self, value: BytesCodec.self)

        // 8 KiB blobs, one write each, until the 1 MiB map has no room for the next.
        var acknowledged: [UInt64] = []
        var refusal: StoreError?
        for i in 1...200 as ClosedRange<UInt64> {
            do {
                try await env.write { txn in try blobs.put(txn, i, blob(i)) }
                acknowledged.append(i)
            } catch let error as StoreError {
                refusal = error
                break
            }
        }
        let refused = try #require(refusal, "200 blobs fitted in a 1 MiB map")
        #expect(refused.code == .storageFull)
        #expect(refused.lmdbCode == MDB_MAP_FULL)
        #expect(acknowledged.count > 10)
        let headAtRefusal = env.head
        #expect(env.storage.isFull && env.storage.since != nil)

        // Refused again, and again: the observer heard of it once; the refusals are counted.
        for i in 1...3 as ClosedRange<UInt64> {
            await #expect(throws: StoreError(.storageFull, "")) {
                try await env.write { txn in try blobs.put(txn, 1_000 + i, blob(i)) }
            }
        }
        #expect(env.storage.refusals == 4)
        #expect(conditions.all.map(\.isFull) == [true])
        // Several calls refused together in one batch are each refused, and nothing of theirs stays.
        await withTaskGroup(of: Void.self) { group in
            for i in 1...4 as ClosedRange<UInt64> {
                group.addTask { _ = try? await env.write { txn in try blobs.put(txn, 2_000 + i, blob(i)) } }
            }
        }
        #expect(env.head == headAtRefusal)

        // The writer goes on: a write that changes nothing is answered, and does not count as room.
        #expect(try await env.write { txn in try blobs.count(txn) } == acknowledged.count)
        #expect(env.storage.isFull)

        // Every acknowledged write is there, whole; nothing of the refused ones is.
        try env.read { txn throws in
            #expect(try blobs.count(txn) == acknowledged.count)
            for i in acknowledged { #expect(try blobs.get(txn, i) == blob(i)) }
            #expect(try blobs.get(txn, 1_001) == nil)
        }
        #expect(try env.changes(after: 0).count == acknowledged.count)
        await env.close()

        // A higher ceiling makes room: the same store takes writes again, and kept everything.
        configuration.maxMapSize = 4 << 20
        let raised = try await Environment.open(at: folder, configuration: configuration)
        let again = try await raised.collection("blobs", key: UInt64Key.self, value: BytesCodec.self)
        for i in 1...20 as ClosedRange<UInt64> {
            try await raised.write { txn in try again.put(txn, 1_000 + i, blob(i)) }
        }
        try raised.read { txn throws in
            #expect(try again.count(txn) == acknowledged.count + 20)
            #expect(try again.get(txn, acknowledged.last ?? 0) == blob(acknowledged.last ?? 0))
        }
        #expect(!raised.storage.isFull)
        await raised.close()
    }

    @Test func deletingMakesRoomAndTheNextWriteThatReachesTheDiskSaysSo() async throws {
        let store = try await TemporaryStore.make {
            $0.mapSize = 256 << 10
            $0.maxMapSize = 1 << 20
        }
        let env = store.environment
        let conditions = Conditions()
        env.observeStorage { conditions.add($0) }
        let blobs = try await env.collection("blobs", key: UInt64Key.self, value: BytesCodec.self)
        let small = try await env.collection("small", key: UInt64Key.self, value: BytesCodec.self)
        var count: UInt64 = 0
        while count < 200 {
            do {
                try await env.write { [count] txn in try blobs.put(txn, count + 1, [UInt8](repeating: 1, count: 8 << 10)) }
                count += 1
            } catch let error as StoreError where error.code == .storageFull {
                break
            }
        }
        #expect(env.storage.isFull)

        // Trimming the change feed (which holds a copy of every blob) frees most of the map.
        // LMDB reuses a commit's freed pages from the commit after next, so room shows after two.
        try await env.write { txn in _ = try txn.trimFeed(through: txn.batch.nextSequence - 1) }
        var written = 0
        for i in 1...3 as ClosedRange<UInt64> {
            if (try? await env.write { txn in try small.put(txn, i, [UInt8(i)]) }) != nil { written += 1 }
        }
        #expect(written >= 2)
        try await env.write { txn in try blobs.put(txn, 10_000, [UInt8](repeating: 2, count: 8 << 10)) }
        #expect(!env.storage.isFull)
        #expect(conditions.all.map(\.isFull) == [true, false])
        try env.read { txn throws in
            #expect(try blobs.count(txn) == Int(count) + 1)
        }
        await store.discard()
    }
}
