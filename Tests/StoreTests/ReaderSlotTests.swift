import Foundation
import Testing
@testable import Store

@Suite(.timeLimit(.minutes(1))) struct ReaderSlotTests {
    @Test func tenThousandReadsFromManyTasksLeakNoReaderSlot() async throws {
        let store = try await TemporaryStore.make { $0.maxReaders = 64 }
        let env = store.environment
        let items = try await env.items()
        try await env.write { txn in
            for i in 0..<100 as Range<UInt64> { try items.put(txn, i, Item(name: "r\(i)")) }
        }
        struct Thrown: Error {}
        try await withThrowingTaskGroup(of: Int.self) { group in
            for t in 0..<100 {
                group.addTask {
                    var found = 0
                    for i in 0..<100 {
                        // Every tenth read throws out of its closure: its slot must come back too.
                        do {
                            found += try env.read { txn -> Int in
                                if (t + i) % 10 == 0 { throw Thrown() }
                                return try items.get(txn, UInt64(i)) == nil ? 0 : 1
                            }
                        } catch is Thrown {}
                    }
                    return found
                }
            }
            var total = 0
            for try await found in group { total += found }
            #expect(total == 9_000)
        }
        #expect(try env.readersInUse() == 0)
        // 10,000 reads through 64 slots worked only because every slot was given back.
        #expect(try await env.statistics().maxReaders == 64)
        await store.discard()
    }

    @Test func anOpenReadShowsAsAReaderInUse() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let inside = try env.read { _ in try env.readersInUse() }
        #expect(inside == 1)
        #expect(try env.readersInUse() == 0)
        await store.discard()
    }
}
