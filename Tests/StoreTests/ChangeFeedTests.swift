import Foundation
import Synchronization
import Testing
@testable import Store

@Suite(.timeLimit(.minutes(1))) struct ChangeFeedTests {
    @Test func changeRecordsCarryBeforeAfterVersionAndMetadata() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        try await env.write(metadata: ["actor": "u9"]) { txn in
            try items.put(txn, 1, Item(name: "pastel", price: 500))
            try items.put(txn, 2, Item(name: "suco", price: 300))
        }
        try await env.write(metadata: ["actor": "u1"]) { txn in
            try items.put(txn, 1, Item(name: "pastel", price: 550))
        }
        try await env.write { txn in
            txn.metadata["actor"] = "cli"
            try items.delete(txn, 2)
        }
        let changes = try env.changes(after: 0)
        #expect(changes.map(\.sequence) == [1, 2, 3, 4])
        #expect(changes.map(\.transactionId) == [1, 1, 3, 4])
        #expect(changes.map { $0.metadata["actor"] } == ["u9", "u9", "u1", "cli"])
        #expect(changes.map(\.operation) == [.put, .put, .put, .delete])
        #expect(changes.map(\.version) == [1, 1, 2, 1])

        let update = try items.decode(changes[2])
        #expect(update.key == 1)
        #expect(update.value?.price == 550)
        #expect(update.previous?.price == 500)
        let deletion = try items.decode(changes[3])
        #expect(deletion.key == 2 && deletion.value == nil && deletion.previous?.name == "suco")
        #expect(try env.changes(after: 2, limit: 1).map(\.sequence) == [3])
        #expect(env.head == 4)
        await store.discard()
    }

    @Test func thirtyTwoConcurrentWritersGiveAGapFreeFeedInCommitOrder() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        let writers = 32, writesEach = 40, total = writers * writesEach

        // A follower that is live from the start sees exactly what history later shows.
        let follower = Task { () -> [ChangeRecord] in
            var seen: [ChangeRecord] = []
            for try await change in env.follow(after: 0) {
                seen.append(change)
                if seen.count == total { break }
            }
            return seen
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<writers {
                group.addTask {
                    for i in 0..<writesEach {
                        try await env.write(metadata: ["writer": "\(w)", "i": "\(i)"]) { txn in
                            try items.put(txn, UInt64(w * 1_000 + i), Item(name: "w\(w)-\(i)"))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let live = try await follower.value
        var history: [ChangeRecord] = []
        while history.count < total {
            let page = try env.changes(after: history.last?.sequence ?? 0, limit: 100)
            if page.isEmpty { break }
            history += page
        }
        #expect(live.map(\.sequence) == Array(1...UInt64(total)))
        let liveEqualsHistory = live == history  // compared whole, reported briefly
        #expect(liveEqualsHistory)
        // Each writer awaited its previous write, so its writes appear in its own order.
        for w in 0..<writers {
            let mine = live.filter { $0.metadata["writer"] == "\(w)" }.compactMap { Int($0.metadata["i"] ?? "") }
            #expect(mine == Array(0..<writesEach))
        }
        await store.discard()
    }

    @Test func followersStartingAtAnyPointWhileWritesGoOnMissNothingAndRepeatNothing() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        let total: UInt64 = 600
        let writer = Task {
            for i in 1...total {
                try await env.write { txn in try items.put(txn, i, Item(name: "i\(i)")) }
            }
        }
        // Followers join at points spread over the run (one each 25 commits), each from a
        // point a little in the past, so that some start inside history and cross into live
        // at the boundary.
        var followers: [Task<[UInt64], any Error>] = []
        for n in 0..<24 {
            try await waitUntil("the writer to pass \(n * 25)", seeing: { env.head }) { $0 >= UInt64(n * 25) }
            let from = env.head >= UInt64(n % 5) ? env.head - UInt64(n % 5) : 0
            followers.append(Task {
                var sequences: [UInt64] = [from]
                for try await change in env.follow(after: from) {
                    sequences.append(change.sequence)
                    if change.sequence == total { break }
                }
                return sequences
            })
        }
        try await writer.value
        for follower in followers {
            let sequences = try await follower.value
            let start = sequences[0]
            #expect(Array(sequences.dropFirst()) == Array((start + 1)...total), "follower from \(start)")
        }
        await store.discard()
    }

    @Test func aRolledBackWriteLeavesNoChangeRecordAndNoGap() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        try await env.write { txn in try items.put(txn, 1, Item(name: "one")) }

        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await env.write { txn in
                try items.put(txn, 2, Item(name: "two"))
                try items.put(txn, 3, Item(name: "three"))
                throw Refused()
            }
        }
        #expect(env.head == 1)
        #expect(try env.changes(after: 1).isEmpty)
        try env.read { txn throws in #expect(try items.count(txn) == 1) }

        try await env.write { txn in try items.put(txn, 4, Item(name: "four")) }
        let changes = try env.changes(after: 0)
        #expect(changes.map(\.sequence) == [1, 2])
        #expect(try changes.map { try items.decode($0).key } == [1, 4])
        await store.discard()
    }

    @Test func asksForTrimmedHistoryAreAnsweredSinceTooOld() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        for i in 1...10 as ClosedRange<UInt64> {
            try await env.write { txn in try items.put(txn, i, Item(name: "i\(i)")) }
        }
        let removed = try await env.trimFeed(keepingLast: 3)
        #expect(removed == 7)
        #expect(try env.trimPoint() == 7)
        #expect(throws: StoreError(.sinceTooOld, "")) { try env.changes(after: 6) }
        #expect(try env.changes(after: 7).map(\.sequence) == [8, 9, 10])
        await #expect(throws: StoreError(.sinceTooOld, "")) {
            for try await _ in env.follow(after: 2) {}
        }
        await store.discard()
    }

    @Test func sequencesKeepRisingAcrossReopenEvenWhenTheFeedWasTrimmedEmpty() async throws {
        let folder = makeTemporaryFolder()
        let first = try await Environment.open(at: folder, configuration: .testing)
        let items = try await first.items()
        for i in 1...5 as ClosedRange<UInt64> {
            try await first.write { txn in try items.put(txn, i, Item(name: "i\(i)")) }
        }
        try await first.trimFeed(keepingLast: 0)
        await first.close()

        let second = try await Environment.open(at: folder, configuration: .testing)
        let reopened = try await second.items()
        #expect(second.head == 5)
        try await second.write { txn in try reopened.put(txn, 6, Item(name: "i6")) }
        #expect(try second.changes(after: 5).map(\.sequence) == [6])
        await second.close()
        try? FileManager.default.removeItem(atPath: folder)
    }

    @Test func aFollowerThatFallsBehindCatchesUpFromHistoryWithoutLosingAnything() async throws {
        let store = try await TemporaryStore.make { $0.followerBufferLimit = 2 }
        let env = store.environment
        let items = try await env.items()
        var iterator = env.follow(after: 0).makeAsyncIterator()
        try await env.write { txn in try items.put(txn, 1, Item(name: "first")) }
        #expect(try await iterator.next()?.sequence == 1)
        // 50 commits while the follower reads nothing: its live buffer (2 commits) overflows.
        for i in 2...51 as ClosedRange<UInt64> {
            try await env.write { txn in try items.put(txn, i, Item(name: "i\(i)")) }
        }
        var sequences: [UInt64] = []
        while sequences.count < 50, let change = try await iterator.next() { sequences.append(change.sequence) }
        #expect(sequences == Array(2...51))
        try await env.write { txn in try items.put(txn, 52, Item(name: "live again")) }
        #expect(try await iterator.next()?.sequence == 52)
        await store.discard()
    }

    @Test func retentionTrimsTheFeedAsCommitsGoOn() async throws {
        let store = try await TemporaryStore.make { $0.feedRetention = FeedRetention(maxCount: 20) }
        let env = store.environment
        let items = try await env.items()
        for i in 1...200 as ClosedRange<UInt64> {
            try await env.write { txn in try items.put(txn, i, Item(name: "i\(i)")) }
        }
        let stats = try await env.statistics()
        #expect(stats.feedTrimPoint > 0)
        // Retention runs every 64 commits, so at most 64 commits' records beyond the limit remain.
        #expect(stats.feedRecords <= 20 + 64)
        #expect(try env.changes(after: stats.feedTrimPoint).first?.sequence == stats.feedTrimPoint + 1)
        await store.discard()
    }

    @Test func followersEndWhenTheStoreCloses() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let follower = Task { () -> Int in
            var n = 0
            for try await _ in env.follow(after: 0) { n += 1 }
            return n
        }
        try await waitUntil("the follower to be following", seeing: { env.feedHub.followerCount }) { $0 == 1 }
        await store.discard()
        #expect(try await follower.value == 0)
    }
}
