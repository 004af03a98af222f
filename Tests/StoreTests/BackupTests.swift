import Foundation
import Testing
@testable import Store

@Suite(.timeLimit(.minutes(1))) struct BackupTests {
    @Test func aBackupTakenDuringWritesReopensAndMatchesASnapshot() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        for i in 1...2_000 as ClosedRange<UInt64> where i % 100 == 0 {
            try await env.write { txn in
                for k in (i - 99)...i { try items.put(txn, k, Item(name: "n\(k)", category: k % 2 == 0 ? "even" : "odd", price: Int64(k))) }
            }
        }
        // Writers keep going while the backup runs.
        let writing = Task {
            for k in 2_001...4_000 as ClosedRange<UInt64> {
                try await env.write { txn in
                    try items.put(txn, k, Item(name: "n\(k)", price: Int64(k)))
                    try items.put(txn, 1, Item(name: "n1", price: Int64(k)))  // an update racing the copy
                }
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        let destination = store.folder + "-backup"
        try await env.backup(to: destination)
        try await writing.value
        await #expect(throws: StoreError(.alreadyExists, "")) { try await env.backup(to: destination) }

        let copy = try await Environment.open(at: destination, configuration: .testing)
        let copied = try await copy.items()
        try copy.read { copyTxn throws in
            let count = try copied.count(copyTxn)
            #expect(count >= 2_000 && count <= 4_000)
            // The copy is one consistent snapshot: it holds exactly the keys 1...count, record
            // 1's price says which write was last in, the feed ends at the same write, and every
            // index agrees with the records.
            let all = try copied.scan(copyTxn).items
            #expect(all.map(\.key) == Array(1...UInt64(count)))
            let lastWrite = all[0].value.price
            #expect(count == 2_000 ? lastWrite == 1 : Int(lastWrite) == count)
            #expect(try copied.indexEntryCount(copyTxn, index: "name") == count)
            #expect(try copied.lookup(copyTxn, index: "category", equals: OrderedKey("even")).items.count == 1_000)
        }
        let copyHead = try #require(try copy.changes(after: 0, limit: .max).last?.sequence)
        #expect(copy.head == copyHead)
        #expect(try env.changes(after: 0, limit: Int(copyHead)) == copy.changes(after: 0, limit: Int(copyHead)))
        await copy.close()
        try? FileManager.default.removeItem(atPath: destination)
        await store.discard()
    }
}
