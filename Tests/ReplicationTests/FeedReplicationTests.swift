import Foundation
import Logging
import NATSClient
import Replication
import Store
import Testing

/// The feed shipper and the replica follower over a real `nats-server`: a primary store under
/// load, a follower made from its backup mid-load, NATS stopped and started again, a second
/// shipper after the first, another epoch. The follower's copy is compared with the primary's
/// database by database.
@Suite(.serialized, .timeLimit(.minutes(3))) struct FeedReplicationTests {
    struct Item: BinaryCodable, Sendable {
        var name: String
        var owner: UInt64
        func encode(to w: inout BinaryWriter) { w.write(name); w.write(owner) }
        init(from r: inout BinaryReader) throws { name = try r.read(); owner = try r.read() }
        init(name: String, owner: UInt64) { self.name = name; self.owner = owner }
    }
    typealias Items = TypedCollection<UInt64Key, BinaryCodec<Item>>

    static func items(_ env: Environment) async throws -> Items {
        try await env.collection("items", key: UInt64Key.self, value: BinaryCodec<Item>.self, indexes: [
            .unique("name") { OrderedKey($0.name) }, .multi("owner") { [OrderedKey($0.owner)] },
        ])
    }

    /// A store in a temporary folder (no fsync: the tests are about order and content).
    static func open(_ folder: String, create: Bool = true) async throws -> Environment {
        var configuration = StoreConfiguration()
        configuration.durability = .noSync
        configuration.mapSize = 16 << 20
        configuration.createIfMissing = create
        return try await Environment.open(at: folder, configuration: configuration)
    }

    /// A sale-like write: an item, its owner's counter, now and then a rename and a delete.
    static func write(_ n: UInt64, _ env: Environment, _ items: Items) async throws {
        try await env.write(metadata: ["actor": "u\(n % 7)"]) { txn in
            try items.put(txn, n, Item(name: "item \(n)", owner: n % 7))
            try txn.add(toCounter: OrderedKey("owned", n % 7), 1)
            if n % 5 == 0, n > 5 {
                _ = try items.delete(txn, n - 5)
                try txn.add(toCounter: OrderedKey("owned", (n - 5) % 7), -1)
            }
        }
    }

    static let logger = Logger(label: "replication-tests")

    /// A primary with a shipper, and followers made from its backups on demand.
    final class Rig: @unchecked Sendable {
        let folder = makeNATSTemporaryFolder("replication")
        let nats: NATSServerProcess
        let settings: FeedStreamSettings
        let primary: Environment
        let items: Items
        let shipperStatus = ReplicationStatus(role: .primary)
        var tasks: [Task<Void, Never>] = []
        var followers: [Environment] = []
        var written: UInt64 = 0

        init() async throws {
            nats = try NATSServerProcess()
            settings = FeedStreamSettings(servers: [nats.url], maxRecordsPerMessage: 16)
            primary = try await FeedReplicationTests.open(folder + "/primary")
            items = try await FeedReplicationTests.items(primary)
        }

        func startShipper() {
            let shipper = FeedShipper(environment: primary, settings: settings, status: shipperStatus, logger: FeedReplicationTests.logger)
            tasks.append(Task { await shipper.run() })
        }

        /// A follower from a backup of the primary taken now, following the stream.
        func startFollower(newEpoch: Bool = false) async throws -> (Environment, ReplicationStatus) {
            let name = "follower-\(followers.count)"
            try await primary.backup(to: folder + "/" + name)
            let env = try await FeedReplicationTests.open(folder + "/" + name, create: false)
            if newEpoch { try await env.beginNewEpoch() }
            _ = try await FeedReplicationTests.items(env)
            env.becomeFollower()
            followers.append(env)
            let status = ReplicationStatus(role: .replica)
            let primary = self.primary
            let follower = ReplicaFollower(environment: env, settings: settings, status: status,
                                           primaryStatus: { (primary.epoch, primary.head) }, logger: FeedReplicationTests.logger)
            tasks.append(Task { await follower.run() })
            return (env, status)
        }

        func write(_ count: UInt64) async throws {
            for _ in 0..<count {
                written += 1
                try await FeedReplicationTests.write(written, primary, items)
            }
        }

        func stop() async {
            for task in tasks { task.cancel() }
            for task in tasks { await task.value }
            tasks = []
            for env in followers { await env.close() }
            await primary.close()
            nats.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    /// Waits until `follower` holds everything the primary committed, then compares the copies.
    static func expectSameCopy(_ follower: Environment, _ primary: Environment, seconds: Double = 60) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while follower.head != primary.head {
            guard Date() < deadline else {
                Issue.record("the follower is at \(follower.head), the primary at \(primary.head) after \(seconds) s")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let expected = try await primary.databaseDigests()
        let found = try await follower.databaseDigests()
        for (name, digest) in expected where name != "_meta" {
            #expect(found[name] == digest, "\(name) differs")
        }
    }

    @Test func aFollowerMadeMidLoadEndsWithThePrimarysCopy() async throws {
        let rig = try await Rig()
        rig.startShipper()
        try await rig.write(150)
        let (follower, _) = try await rig.startFollower()
        async let more: Void = rig.write(150)
        let live = Task {
            // The follower's own followers (its clients) see every change once, in order.
            var sequences: [UInt64] = []
            for try await change in follower.follow(after: follower.head) {
                sequences.append(change.sequence)
                if sequences.count == 150 + 30 { break }  // 150 puts and 30 deletes
            }
            return sequences
        }
        try await more
        try await Self.expectSameCopy(follower, rig.primary)
        let seen = try await live.value
        #expect(seen == Array((seen.first ?? 0)...(seen.last ?? 0)))
        await rig.stop()
    }

    @Test func natsStoppedUnderLoadThenStartedLosesNothingAndDoublesNothing() async throws {
        let rig = try await Rig()
        rig.startShipper()
        let (follower, status) = try await rig.startFollower()
        try await rig.write(50)
        try await Self.expectSameCopy(follower, rig.primary)
        rig.nats.stop()
        // The primary keeps selling for ten seconds with NATS away.
        let stopped = Date()
        while Date().timeIntervalSince(stopped) < 10 { try await rig.write(10); try await Task.sleep(for: .milliseconds(100)) }
        #expect(follower.head < rig.primary.head)
        try rig.nats.start()
        try await Self.expectSameCopy(follower, rig.primary)
        #expect(status.report.stopped == nil)
        // The stream holds each write call once, in order, without a gap.
        let client = try await eventually("connect") { try JetStreamClient.connect(servers: [rig.nats.url], name: "check") }
        let state = try await off { try client.streamState(rig.settings.stream) }
        var next: UInt64 = 1
        for sequence in state.firstSequence...state.lastSequence {
            let message = try #require(try await off { try client.message(stream: rig.settings.stream, sequence: sequence) })
            let batch = try FeedBatch(decoding: message.payload)
            if sequence > state.firstSequence { #expect(batch.firstSequence == next) }
            next = batch.lastSequence + 1
        }
        #expect(next == rig.primary.head + 1)
        client.close()
        await rig.stop()
    }

    @Test func aSecondShipperGoesOnWhereTheStreamEnds() async throws {
        let rig = try await Rig()
        rig.startShipper()
        let (follower, _) = try await rig.startFollower()
        try await rig.write(60)
        try await Self.expectSameCopy(follower, rig.primary)
        // The primary restarts: a new shipper reads where the stream ends from the stream.
        rig.tasks.first?.cancel()
        await rig.tasks.first?.value
        try await rig.write(40)
        rig.startShipper()
        try await rig.write(40)
        try await Self.expectSameCopy(follower, rig.primary)
        await rig.stop()
    }

    @Test func aFollowerOfAnotherEpochRefusesTheStreamWithAClearReason() async throws {
        let rig = try await Rig()
        rig.startShipper()
        try await rig.write(10)
        let (follower, status) = try await rig.startFollower(newEpoch: true)
        let head = follower.head
        try await rig.write(10)
        let deadline = Date().addingTimeInterval(30)
        while status.report.stopped == nil, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let reason = try #require(status.report.stopped)
        #expect(reason.contains("epoch"))
        #expect(reason.contains("fresh snapshot"))
        #expect(!status.isFit)
        #expect(follower.head == head)
        await rig.stop()
    }
}
