import Foundation
import Synchronization
import Testing
@testable import Store

/// Collections opened with `logsChanges: false`, and actions run after a commit: what a
/// program's own bookkeeping (the bot's outbox) needs to share the store without being in its feed.
@Suite(.timeLimit(.minutes(1))) struct UnloggedCollectionTests {
    @Test func anUnloggedCollectionStoresAndIndexesButWritesNoChangeRecord() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        let queue = try await env.collection("queue", key: UInt64Key.self, value: BinaryCodec<Item>.self,
                                             indexes: [.multi("category") { [OrderedKey($0.category)] }], logsChanges: false)
        #expect(!queue.logsChanges && items.logsChanges)

        try await env.write { txn in
            try queue.put(txn, 1, Item(name: "a", category: "x"))
            try queue.put(txn, 2, Item(name: "b", category: "y"))
        }
        try await env.write { txn in try queue.put(txn, 1, Item(name: "a2", category: "x")) }
        try await env.write { txn in try queue.delete(txn, 2) }
        #expect(env.head == 0)
        #expect(try env.changes(after: 0).isEmpty)
        let (version, count, inX, inY) = try env.read { txn in
            (try queue.version(txn, 1), try queue.count(txn),
             try queue.lookup(txn, index: "category", equals: OrderedKey("x")).items.map(\.value.name),
             try queue.lookup(txn, index: "category", equals: OrderedKey("y")).items.count)
        }
        #expect(version == 2 && count == 1 && inX == ["a2"] && inY == 0)

        // In a write with a logged collection, only the logged records are in the feed, with no gap.
        try await env.write { txn in
            try items.put(txn, 1, Item(name: "pastel"))
            try queue.put(txn, 3, Item(name: "c"))
            try items.put(txn, 2, Item(name: "suco"))
        }
        let changes = try env.changes(after: 0)
        #expect(changes.map(\.sequence) == [1, 2])
        #expect(changes.allSatisfy { $0.collection == "items" })
        #expect(env.head == 2)
        await store.discard()
    }

    @Test func anUnloggedWriteWakesNoFollower() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        let queue = try await env.collection("queue", key: UInt64Key.self, value: BinaryCodec<Item>.self, logsChanges: false)
        let follower = Task { () -> [String] in
            var seen: [String] = []
            for try await change in env.follow(after: 0) {
                seen.append(change.collection)
                if change.collection == "items" { break }
            }
            return seen
        }
        for i in 0..<50 {
            try await env.write { txn in try queue.put(txn, UInt64(i), Item(name: "q\(i)")) }
        }
        try await env.write { txn in try items.put(txn, 1, Item(name: "pastel")) }
        #expect(try await follower.value == ["items"])
        await store.discard()
    }

    @Test func storesOpenedWithAnUnloggedCollectionKeepTheirLoggedHistory() async throws {
        // A data folder written when the collection still logged its changes opens as it was:
        // the old records stay in the feed (until trimmed), new ones are not added.
        let folder = makeTemporaryFolder()
        let before = try await Environment.open(at: folder, configuration: .testing)
        let logged = try await before.collection("queue", key: UInt64Key.self, value: BinaryCodec<Item>.self)
        try await before.write { txn in try logged.put(txn, 1, Item(name: "old")) }
        await before.close()

        let env = try await Environment.open(at: folder, configuration: .testing)
        let queue = try await env.collection("queue", key: UInt64Key.self, value: BinaryCodec<Item>.self, logsChanges: false)
        try await env.write { txn in try queue.put(txn, 1, Item(name: "new")) }
        #expect(try env.changes(after: 0).map(\.sequence) == [1])
        #expect(env.head == 1)
        #expect(try env.read { txn in try queue.record(txn, 1) }.map { [$0.value.name: $0.version] } == ["new": 2])
        await env.close()
        try? FileManager.default.removeItem(atPath: folder)
    }

    @Test func afterCommitActionsRunOnceDurableAndNeverForARolledBackCall() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        let ran = ActionLog()
        try await env.write { txn in
            try items.put(txn, 1, Item(name: "pastel"))
            txn.afterCommit { ran.add("first") }
        }
        // Seen by the time the write returns.
        #expect(ran.names == ["first"])

        // A batch in which one call fails: only the others' actions run.
        let gate = await WriterGate(env)
        let good = Task {
            try await env.write { txn in
                try items.put(txn, 2, Item(name: "suco"))
                txn.afterCommit { ran.add("good") }
            }
        }
        let bad = Task {
            try await env.write { txn in
                txn.afterCommit { ran.add("bad") }
                try items.put(txn, 3, Item(name: "pastel"))  // the unique name index refuses it
            }
        }
        try await gate.open(whenQueued: 2, on: env)
        try await good.value
        await #expect(throws: StoreError.self) { try await bad.value }
        #expect(ran.names == ["first", "good"])
        await store.discard()
    }
}

/// The names of the after-commit actions that ran, in order.
private final class ActionLog: Sendable {
    private let state = Mutex<[String]>([])
    func add(_ name: String) { state.withLock { $0.append(name) } }
    var names: [String] { state.withLock { $0 } }
}
