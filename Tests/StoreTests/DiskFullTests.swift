import Foundation
import Testing
@testable import Store

/// A small tmpfs mounted for the test: a disk that really fills up. Mounting needs root,
/// which CI and the developer machines have; elsewhere the suite is skipped with that reason.
private let isRoot = getuid() == 0

@Suite(.enabled(if: isRoot, "mounting a small tmpfs needs root"), .timeLimit(.minutes(1)))
struct DiskFullTests {
    private func run(_ arguments: [String]) throws -> Int32 {
        let process = try SpawnedProcess(arguments[0], Array(arguments.dropFirst()), output: "/dev/null", errors: "/dev/null")
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test func aFullDiskGivesAClearErrorAndHarmsNothingCommitted() async throws {
        let mountPoint = makeTemporaryFolder()
        #expect(try run(["/bin/mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint]) == 0)
        defer {
            _ = try? run(["/bin/umount", "-l", mountPoint])
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        var configuration = StoreConfiguration()  // full durability: commits really reach the file
        configuration.mapSize = 64 << 20          // the map is virtual; the disk is the limit
        let env = try await Environment.open(at: mountPoint + "/store", configuration: configuration)
        let items = try await env.items()
        for i in 1...20 as ClosedRange<UInt64> {
            try await env.write { txn in try items.put(txn, i, Item(name: "kept\(i)", price: Int64(i))) }
        }
        let headBefore = env.head

        let blobs = try await env.collection("blobs", key: UInt64Key.self, value: BytesCodec.self)
        await #expect(throws: StoreError(.storageFull, "")) {
            try await env.write { txn in
                for i in 0..<32 { try blobs.put(txn, UInt64(i), [UInt8](repeating: 7, count: 256 << 10)) }
            }
        }
        #expect(env.head == headBefore)
        #expect(env.storage.isFull)
        try env.read { txn throws in
            #expect(try items.count(txn) == 20)
            #expect(try items.get(txn, 20)?.name == "kept20")
            #expect(try blobs.count(txn) == 0)
        }
        // Small writes go on working once the big one is refused.
        try await env.write { txn in try items.put(txn, 21, Item(name: "after")) }
        #expect(!env.storage.isFull)  // refreshed by the write that reached the disk: no flag blocks writes
        await env.close()

        let reopened = try await Environment.open(at: mountPoint + "/store", configuration: configuration)
        let again = try await reopened.items()
        try reopened.read { txn throws in
            #expect(try again.count(txn) == 21)
            #expect(try again.get(txn, 1)?.name == "kept1")
        }
        #expect(try reopened.changes(after: 0).count == 21)
        await reopened.close()
    }
}
