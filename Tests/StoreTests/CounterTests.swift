import Foundation
import Testing
@testable import Store

@Suite(.timeLimit(.minutes(1))) struct CounterTests {
    @Test func countersChangeWithTheirWriteAndReadByRange() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        let day1 = OrderedKey("revenue", Date(timeIntervalSince1970: 1_763_683_200))
        let day2 = OrderedKey("revenue", Date(timeIntervalSince1970: 1_763_769_600))
        try await env.write { txn in
            try items.put(txn, 1, Item(name: "a", price: 650))
            try txn.add(toCounter: day1, 650)
            try txn.add(toCounter: OrderedKey("sales", "count"), 1)
        }
        try await env.write { txn in
            try txn.add(toCounter: day2, 1_300)
            try txn.add(toCounter: day1, 100)
        }
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await env.write { txn in
                try txn.add(toCounter: day2, 999_999)
                throw Refused()
            }
        }
        try env.read { txn throws in
            #expect(try txn.counter(day1) == 750)
            #expect(try txn.counter(day2) == 1_300)
            #expect(try txn.counter(OrderedKey("never")) == 0)
            let revenue = try txn.counters(from: OrderedKey("revenue"), to: OrderedKey("revenue").prefixEnd)
            #expect(revenue.map(\.value) == [750, 1_300])
            #expect(revenue.map(\.key) == [day1, day2])
        }
        // Back to zero removes the counter.
        try await env.write { txn in try txn.add(toCounter: day1, -750) }
        #expect(try env.read { txn in try txn.counters(from: nil, to: nil).count } == 2)
        await #expect(throws: StoreError(.outOfRange, "")) {
            try await env.write { txn in try txn.add(toCounter: day2, .max) }
        }
        #expect(try env.read { txn in try txn.counter(day2) } == 1_300)
        await store.discard()
    }

    /// Each change is checked against the value it sees; the pending changes in between may
    /// pass Int64's range (they wrap), and the stored value is still exact.
    @Test func aCounterCrossingTheWholeRangeInOneWriteIsExactAndNeverTraps() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let key = OrderedKey("balance")
        try await env.write { txn in try txn.add(toCounter: key, .min + 1) }
        let seen = try await env.write { txn in
            [try txn.add(toCounter: key, .max), try txn.add(toCounter: key, .max), try txn.add(toCounter: key, -5)]
        }
        #expect(seen == [0, .max, .max - 5])
        #expect(try env.read { txn in try txn.counter(key) } == .max - 5)
        await #expect(throws: StoreError(.outOfRange, "")) {
            try await env.write { txn in try txn.add(toCounter: key, 6) }
        }
        await #expect(throws: StoreError(.outOfRange, "")) {
            try await env.write { txn in
                try txn.add(toCounter: key, -.max)
                try txn.add(toCounter: key, -.max)
            }
        }
        #expect(try env.read { txn in try txn.counter(key) } == .max - 5)
        await store.discard()
    }

    /// Calls of one group commit share the batch's running sums: each sees its own changes and
    /// those of the calls before it, and a call that throws midway takes exactly its own back out.
    @Test func concurrentCallsThatThrowMidwayLeaveOnlyTheCommittedCallsInTheirCounters() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let shared = OrderedKey("shared")
        struct Refused: Error {}
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for n in 1...300 {
                group.addTask {
                    do {
                        try await env.write { txn in
                            let before = try txn.counter(shared)
                            try txn.add(toCounter: shared, Int64(n))
                            try txn.add(toCounter: OrderedKey("own", UInt64(n)), 1)
                            // The same counter twice in one call, and the call reads its own sum.
                            let after = try txn.add(toCounter: shared, Int64(n))
                            #expect(after == before + 2 * Int64(n))
                            if n % 3 == 0 { throw Refused() }
                        }
                        return (n, true)
                    } catch {
                        return (n, false)
                    }
                }
            }
            var all: [(Int, Bool)] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        let committed = outcomes.filter(\.1).map(\.0)
        #expect(committed.count == 200)
        try env.read { txn throws in
            #expect(try txn.counter(shared) == committed.reduce(0) { $0 + 2 * Int64($1) })
            for n in 1...300 {
                #expect(try txn.counter(OrderedKey("own", UInt64(n))) == (n % 3 == 0 ? 0 : 1))
            }
        }
        await store.discard()
    }
}
