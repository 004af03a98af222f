import Foundation
import Testing
@testable import Store

@Suite(.timeLimit(.minutes(1))) struct MapGrowthTests {
    @Test func theMapGrowsFromOneMebibyteToHoldAHundredWithoutTheCallerSeeingIt() async throws {
        let store = try await TemporaryStore.make {
            $0.mapSize = 1 << 20
            $0.feedRetention = FeedRetention(maxCount: 16)
        }
        let env = store.environment
        let blobs = try await env.collection("blobs", key: UInt64Key.self, value: BytesCodec.self)
        let chunk = [UInt8](repeating: 0xAB, count: 256 << 10)

        // 400 × 256 KiB = 100 MiB, from 8 concurrent writers.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<8 {
                group.addTask {
                    for i in 0..<50 {
                        var value = chunk
                        value[0] = UInt8(w); value[1] = UInt8(i)
                        try await env.write { [value] txn in try blobs.put(txn, UInt64(w * 100 + i), value) }
                    }
                }
            }
            try await group.waitForAll()
        }
        // One call far larger than the map at that moment (24 MiB at once).
        try await env.write { txn in
            for i in 0..<96 { try blobs.put(txn, UInt64(10_000 + i), chunk) }
        }
        let stats = try await env.statistics()
        #expect(stats.mapSize >= 124 << 20)
        try env.read { txn throws in
            #expect(try blobs.count(txn) == 496)
            let sample = try #require(try blobs.get(txn, 703))
            #expect(sample.count == chunk.count && sample[0] == 7 && sample[1] == 3)
        }
        await store.discard()
    }

    @Test func aStoreGrownByOneProcessReopensAtItsSize() async throws {
        let folder = makeTemporaryFolder()
        var small = StoreConfiguration.testing
        small.mapSize = 1 << 20
        let env = try await Environment.open(at: folder, configuration: small)
        let blobs = try await env.collection("blobs", key: UInt64Key.self, value: BytesCodec.self)
        try await env.write { txn in
            for i in 0..<16 { try blobs.put(txn, UInt64(i), [UInt8](repeating: 1, count: 256 << 10)) }
        }
        await env.close()
        // Reopened with the small setting, the map adopts the file's size and reads work.
        let reopened = try await Environment.open(at: folder, configuration: small)
        let again = try await reopened.collection("blobs", key: UInt64Key.self, value: BytesCodec.self)
        #expect(try reopened.read { txn in try again.get(txn, 15)?.count } == 256 << 10)
        await reopened.close()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
