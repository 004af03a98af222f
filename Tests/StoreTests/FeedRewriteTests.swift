import Foundation
import Testing
@testable import Store

/// Rewriting retained change records in place (an erasure's scrub of the replayable history)
/// and finding which databases hold some bytes.
@Suite(.timeLimit(.minutes(1))) struct FeedRewriteTests {
    @Test func aRewriteKeepsSequencesAndTimesAndChangesOnlyWhatItIsGiven() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        try await env.write(metadata: ["actor": "u9"]) { txn in
            try items.put(txn, 1, Item(name: "secret-name", price: 500))
            try items.put(txn, 2, Item(name: "suco", price: 300))
        }
        try await env.write { txn in try items.put(txn, 1, Item(name: "secret-name 2", price: 550)) }
        let before = try env.changes(after: 0)
        let holding = try await env.databases(containing: Array("secret-name".utf8))
        #expect(holding.contains("_feed") && holding.contains("c:items"), "\(holding)")

        let rewritten = try await env.write { txn -> Int in
            try items.put(txn, 1, Item(name: "x", price: 550))
            return try txn.rewriteRetainedChanges { record in
                let change = try items.decode(record)
                guard change.key == 1 else { return nil }
                let plain = { (item: Item?) in item.map { Item(name: "x", price: $0.price).binaryEncoded() } }
                return (plain(change.value), plain(change.previous))
            }
        }
        #expect(rewritten == 3, "the two older records of item 1 and this call's own")
        let after = try env.changes(after: 0)
        #expect(after.map(\.sequence) == [1, 2, 3, 4])
        #expect(Array(after.prefix(3)).map(\.at) == before.map(\.at) && after.map(\.transactionId) == [1, 1, 3, 4])
        #expect(after[0].metadata == ["actor": "u9"] && after[1] == before[1], "untouched records stay byte for byte")
        #expect(try items.decode(after[2]).previous?.name == "x" && (try items.decode(after[3])).previous?.name == "x")
        #expect(try await env.databases(containing: Array("secret-name".utf8)) == [])
        let suco = try await env.databases(containing: Array("suco".utf8))
        #expect(suco.contains("_feed") && suco.contains("c:items"), "\(suco)")
        await store.discard()
    }
}
