import Foundation
import Synchronization
import Testing
@testable import Store

/// A backup is one consistent snapshot taken while writes go on: it holds exactly what was
/// committed when its read transaction began, and nothing of a write in progress then.
@Suite(.timeLimit(.minutes(3))) struct BackupTests {
    @Test func aBackupTakenDuringWritesHoldsExactlyWhatWasCommittedWhenItBegan() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        for i in stride(from: 100, through: 2_000, by: 100) as StrideThrough<UInt64> {
            try await env.write { txn in
                for k in (i - 99)...i { try items.put(txn, k, Item(name: "n\(k)", category: k % 2 == 0 ? "even" : "odd", price: Int64(k))) }
            }
        }
        let committedHead = env.head
        // A write in progress when the backup begins: 100 new records and an update of record
        // 1, held uncommitted on the writer thread until the backup's read transaction is open.
        let gate = await WriterGate(env) { txn in
            for k in 2_001...2_100 as ClosedRange<UInt64> { try items.put(txn, k, Item(name: "n\(k)", price: Int64(k))) }
            try items.put(txn, 1, Item(name: "n1", price: 2_100))
        }
        // And writes queued behind it, which commit once it does, while the copy is being made.
        let writing = Task {
            for k in 2_101...4_000 as ClosedRange<UInt64> {
                try await env.write { txn in
                    try items.put(txn, k, Item(name: "n\(k)", price: Int64(k)))
                    try items.put(txn, 1, Item(name: "n1", price: Int64(k)))
                }
            }
        }
        #expect(try env.readersInUse() == 0)
        let destination = store.folder + "-backup"
        let finished = Atomic<Bool>(false)
        let backup = Task {
            try await env.backup(to: destination)
            finished.store(true, ordering: .sequentiallyConsistent)
        }
        // The backup's read transaction is the only reader there is. A small copy may be done
        // before a look sees its reader; either way it began while the gate held the write.
        do {
            try await waitUntil("the backup's read transaction to begin (a reader in use, or the backup done)", seeing: {
                (readers: try env.readersInUse(), backupDone: finished.load(ordering: .sequentiallyConsistent))
            }) { $0.readers == 1 || $0.backupDone }
        } catch {
            try? await gate.open()  // a backup that waits for the writer would wait for ever
            throw error
        }
        try await gate.open()
        try await backup.value
        try await writing.value
        #expect(try env.read { txn in try items.count(txn) } == 4_000, "every write committed in the end")
        await #expect(throws: StoreError(.alreadyExists, "")) { try await env.backup(to: destination) }

        let copy = try await Environment.open(at: destination, configuration: .testing)
        let copied = try await copy.items()
        try copy.read { copyTxn throws in
            // Exactly the 2,000 records committed before it began; record 1 as first written,
            // not as the write in progress or any later one left it; every index agrees.
            let all = try copied.scan(copyTxn).items
            #expect(all.map(\.key) == Array(1...2_000))
            #expect(all.first?.value.price == 1)
            #expect(try copied.indexEntryCount(copyTxn, index: "name") == 2_000)
            #expect(try copied.lookup(copyTxn, index: "category", equals: OrderedKey("even")).items.count == 1_000)
        }
        // The feed ends at the same commit, and matches the store's own feed up to it.
        #expect(copy.head == committedHead)
        let copyHead = try #require(try copy.changes(after: 0, limit: .max).last?.sequence)
        #expect(copyHead == committedHead)
        #expect(try env.changes(after: 0, limit: Int(copyHead)) == copy.changes(after: 0, limit: Int(copyHead)))
        await copy.close()
        try? FileManager.default.removeItem(atPath: destination)
        await store.discard()
    }
}
