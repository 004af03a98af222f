import Foundation
import Synchronization
import Testing
@testable import Store

@Suite(.timeLimit(.minutes(1))) struct GroupCommitTests {
    @Test func concurrentCallsShareOneCommitAndAFailingCallRollsBackAlone() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        let gate = await WriterGate(env)

        struct Refused: Error {}
        // Ten calls queue behind the gate; call 5 writes, then throws.
        async let opened: Void = gate.open(whenQueued: 10, on: env)
        let outcomes = await withTaskGroup(of: (Int, Result<UInt64, any Error>).self) { group in
            for i in 0..<10 {
                group.addTask {
                    do {
                        let snapshot = try await env.write { txn -> UInt64 in
                            try items.put(txn, UInt64(i), Item(name: "item\(i)"))
                            if i == 5 { throw Refused() }
                            return txn.snapshotId
                        }
                        return (i, .success(snapshot))
                    } catch {
                        return (i, .failure(error))
                    }
                }
            }
            var all: [Int: Result<UInt64, any Error>] = [:]
            for await (i, outcome) in group { all[i] = outcome }
            return all
        }
        try await opened

        var snapshots = Set<UInt64>()
        for (i, outcome) in outcomes {
            switch outcome {
            case .success(let snapshot):
                #expect(i != 5)
                snapshots.insert(snapshot)
            case .failure(let error):
                #expect(i == 5 && error is Refused)
            }
        }
        #expect(snapshots.count == 1, "the nine calls were committed as one transaction")
        try env.read { txn throws in
            #expect(try items.count(txn) == 9)
            #expect(try items.get(txn, 5) == nil)
            #expect(try items.first(txn, index: "name", equals: OrderedKey("item5")) == nil)
        }
        #expect(try env.changes(after: 0).count == 9)
        #expect(env.head == 9)
        await store.discard()
    }

    @Test func aCallerResumesOnlyAfterItsBatchIsCommitted() async throws {
        let store = try await TemporaryStore.make { $0.durability = .full }
        let env = store.environment
        let items = try await env.items()
        // Every write, once returned, is visible to a fresh read on another thread.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<64 {
                group.addTask {
                    try await env.write { txn in try items.put(txn, UInt64(i), Item(name: "d\(i)")) }
                    let seen = try env.read { txn in try items.exists(txn, UInt64(i)) }
                    #expect(seen)
                }
            }
            try await group.waitForAll()
        }
        await store.discard()
    }

    @Test func writesQueuedBeforeCloseStillCommit() async throws {
        let folder = makeTemporaryFolder()
        let env = try await Environment.open(at: folder, configuration: .testing)
        let items = try await env.items()
        let gate = await WriterGate(env)
        let queued = (0..<20).map { i in
            Task { try await env.write { txn in try items.put(txn, UInt64(i), Item(name: "q\(i)")) } }
        }
        // Close is asked for while the 20 wait behind the gate, and the gate then opens.
        try await waitUntil("20 write calls queued behind the gate", seeing: { env.writer.queuedCount }) { $0 >= 20 }
        async let closed: Void = env.close()
        try await gate.open(whenQueued: 20, on: env)
        await closed
        var committed = 0
        for task in queued {
            switch await task.result {
            case .success: committed += 1
            case .failure(let error): #expect((error as? StoreError)?.code == .closed)
            }
        }
        let reopened = try await Environment.open(at: folder, configuration: .testing)
        let again = try await reopened.items()
        #expect(try reopened.read { txn in try again.count(txn) } == committed)
        #expect(committed == 20)
        await reopened.close()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
