import Foundation
import Testing
@testable import Store

/// A follower made from a backup of the primary, fed the primary's feed as encoded batches,
/// ends with the primary's records, versions, index entries, counters and feed, database by
/// database; and refuses what would make the two part ways.
@Suite(.timeLimit(.minutes(1))) struct ReplicationTests {
    /// The primary and a follower made from its backup, both with the items collection open.
    struct Pair {
        let primary: TemporaryStore
        let follower: TemporaryStore
        let primaryItems: Items
        let followerItems: Items

        static func make(before: (Environment, Items) async throws -> Void = { _, _ in }) async throws -> Pair {
            let primary = try await TemporaryStore.make()
            let items = try await primary.environment.items()
            try await before(primary.environment, items)
            let copy = makeTemporaryFolder()
            try await primary.environment.backup(to: copy + "/store")
            var configuration = StoreConfiguration.testing
            configuration.createIfMissing = false
            let follower = TemporaryStore(folder: copy, environment: try await Environment.open(at: copy + "/store", configuration: configuration))
            let followerItems = try await follower.environment.items()
            follower.environment.becomeFollower()
            return Pair(primary: primary, follower: follower, primaryItems: items, followerItems: followerItems)
        }

        /// Ships everything after the follower's head, `maxRecords` at a time, through the wire format.
        func ship(maxRecords: Int = 7) async throws {
            while true {
                let transactions = try primary.environment.feedTransactions(after: follower.environment.head, maxRecords: maxRecords)
                if transactions.isEmpty { return }
                let wire = FeedBatch(epoch: primary.environment.epoch, transactions: transactions).encoded()
                try await follower.environment.apply(try FeedBatch(decoding: wire))
            }
        }

        func discard() async {
            await primary.discard()
            await follower.discard()
        }
    }

    static let keys = [OrderedKey("revenue"), OrderedKey("sales", 1), OrderedKey("sales", 2)]

    /// Puts, updates and deletes with every kind of index, counters, and calls of one batch that fail.
    static func shopLikeLoad(_ env: Environment, _ items: Items, from start: UInt64) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in start..<(start + 40) {
                group.addTask {
                    do {
                        try await env.write(metadata: ["actor": "u\(n % 5)"]) { txn in
                            try items.put(txn, n, Item(name: "item \(n)", category: "c\(n % 3)", price: Int64(n) * 10, tags: ["t\(n % 4)", "all"]))
                            try txn.add(toCounter: keys[0], Int64(n) * 10)
                            try txn.add(toCounter: keys[1 + Int(n % 2)], 1)
                            if n % 7 == 0 { throw StoreError(.invalidArgument, "refused on purpose") }
                        }
                    } catch let error as StoreError where error.code == .invalidArgument {}
                }
            }
            try await group.waitForAll()
        }
        try await env.write { txn in
            try items.put(txn, start + 1, Item(name: "renamed \(start + 1)", category: "c9", price: 1, tags: ["other"]))
            _ = try items.delete(txn, start + 2)
            try txn.add(toCounter: keys[0], -20)
        }
    }

    @Test func aFollowerFedTheFeedHoldsWhatThePrimaryHolds() async throws {
        let pair = try await Pair.make { env, items in try await Self.shopLikeLoad(env, items, from: 1) }
        try await Self.shopLikeLoad(pair.primary.environment, pair.primaryItems, from: 100)
        try await pair.ship()

        #expect(pair.follower.environment.head == pair.primary.environment.head)
        let primary = try await pair.primary.environment.databaseDigests()
        let follower = try await pair.follower.environment.databaseDigests()
        #expect(Set(primary.keys) == Set(follower.keys))
        for (name, digest) in primary where name != "_meta" {
            #expect(follower[name] == digest, "\(name) differs")
        }
        for key in Self.keys {
            #expect(try pair.follower.environment.read { try $0.counter(key) } == pair.primary.environment.read { try $0.counter(key) })
        }
        let renamed = try pair.follower.environment.read { try pair.followerItems.first($0, index: "name", equals: OrderedKey("renamed 101")) }
        #expect(renamed?.version == 2)
        await pair.discard()
    }

    @Test func theFollowersOwnFollowersSeeThePrimarysRecordsLive() async throws {
        let pair = try await Pair.make()
        let start = pair.follower.environment.head
        let live = Task {
            var seen: [ChangeRecord] = []
            for try await change in pair.follower.environment.follow(after: start) {
                seen.append(change)
                if change.sequence == pair.primary.environment.head { break }
            }
            return seen
        }
        try await Self.shopLikeLoad(pair.primary.environment, pair.primaryItems, from: 1)
        try await pair.ship()
        #expect(try await live.value == pair.primary.environment.changes(after: start, limit: 10_000))
        await pair.discard()
    }

    @Test func aFollowerRefusesWritesThatLogChangesButKeepsItsOwnBookkeeping() async throws {
        let pair = try await Pair.make()
        let items = pair.followerItems
        await #expect { try await pair.follower.environment.write { txn in try items.put(txn, 1, Item(name: "local")) } } throws: {
            ($0 as? StoreError)?.code == .follower
        }
        let cursors = try await pair.follower.environment.collection("cursors", key: UInt64Key.self, value: BinaryCodec<Item>.self, logsChanges: false)
        try await pair.follower.environment.write { txn in try cursors.put(txn, 1, Item(name: "mine")) }
        #expect(pair.follower.environment.head == pair.primary.environment.head)
        await pair.discard()
    }

    @Test func aBatchSeenTwiceChangesNothingAndAGapOrAnotherEpochIsRefused() async throws {
        let pair = try await Pair.make()
        try await Self.shopLikeLoad(pair.primary.environment, pair.primaryItems, from: 1)
        let all = try pair.primary.environment.feedTransactions(after: 0, maxRecords: .max)
        let epoch = pair.primary.environment.epoch
        let first = FeedBatch(epoch: epoch, transactions: Array(all.prefix(3)))
        try await pair.follower.environment.apply(first)
        let head = pair.follower.environment.head
        #expect(head == first.lastSequence)
        #expect(try await pair.follower.environment.apply(first) == head)

        await #expect { try await pair.follower.environment.apply(FeedBatch(epoch: epoch, transactions: Array(all.dropFirst(4)))) } throws: {
            ($0 as? StoreError)?.code == .replicationMismatch
        }
        await #expect { try await pair.follower.environment.apply(FeedBatch(epoch: String(repeating: "0", count: 32), transactions: Array(all.dropFirst(3)))) } throws: {
            ($0 as? StoreError)?.code == .replicationMismatch
        }
        #expect(pair.follower.environment.head == head)
        try await pair.ship()
        #expect(pair.follower.environment.head == pair.primary.environment.head)
        await pair.discard()
    }

    @Test func aRecordAtAnotherVersionThanThePrimaryHadItIsRefused() async throws {
        let pair = try await Pair.make { env, items in _ = try await env.write { txn in try items.put(txn, 1, Item(name: "one")) } }
        let items = pair.primaryItems
        _ = try await pair.primary.environment.write { txn in try items.put(txn, 1, Item(name: "one", price: 2)) }
        var change = try #require(pair.primary.environment.feedTransactions(after: pair.follower.environment.head, maxRecords: 1).first?.records.first)
        change = ChangeRecord(sequence: change.sequence, transactionId: change.transactionId, collection: change.collection, key: change.key,
                              operation: .put, version: 5, value: change.value, previous: change.previous, at: change.at, metadata: change.metadata)
        let forged = FeedBatch(epoch: pair.primary.environment.epoch, transactions: [FeedTransaction(records: [change], counterDeltas: [])])
        await #expect { try await pair.follower.environment.apply(forged) } throws: { ($0 as? StoreError)?.code == .replicationMismatch }
        await pair.discard()
    }

    @Test func damagedBatchesAreRefusedNotTrusted() throws {
        #expect(throws: StoreError.self) { try FeedBatch(decoding: []) }
        #expect(throws: StoreError.self) { try FeedBatch(decoding: [1, 200, 1, 2, 3]) }
        let record = ChangeRecord(sequence: 5, transactionId: 5, collection: "items", key: [1], operation: .put, version: 1,
                                  value: [1, 2], previous: nil, at: Date(microsecondsSince1970: 1), metadata: [:])
        let good = FeedBatch(epoch: "e", transactions: [FeedTransaction(records: [record], counterDeltas: [.init(key: [9], delta: -3)])]).encoded()
        #expect(try FeedBatch(decoding: good).transactions.first?.counterDeltas.first?.delta == -3)
        for cut in 0..<good.count {
            #expect(throws: StoreError.self) { try FeedBatch(decoding: Array(good.prefix(cut))) }
        }
    }

    @Test func feedTransactionsNeverSplitACallAndKeepItsCounters() async throws {
        let store = try await TemporaryStore.make()
        let items = try await store.environment.items()
        try await store.environment.write { txn in
            for n: UInt64 in 1...5 { try items.put(txn, n, Item(name: "n\(n)")) }
            try txn.add(toCounter: OrderedKey("x"), 5)
        }
        try await store.environment.write { txn in try items.put(txn, 9, Item(name: "n9")) }
        let taken = try store.environment.feedTransactions(after: 0, maxRecords: 2)
        #expect(taken.map { $0.records.map(\.sequence) } == [[1, 2, 3, 4, 5]])
        #expect(taken.first?.counterDeltas == [.init(key: OrderedKey("x").bytes, delta: 5)])
        #expect(try store.environment.feedTransactions(after: 5, maxRecords: 2).map(\.firstSequence) == [6])
        #expect(throws: StoreError.self) { try store.environment.feedTransactions(after: 2, maxRecords: 2) }
        await store.discard()
    }
}
