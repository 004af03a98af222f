import Foundation
import Testing

/// A primary and two replicas as real `tenda serve` processes, following each other through a
/// real `nats-server` (or a cluster of three): purchases reach subscribers on every node in
/// commit order, a subscriber moves between replicas without a gap, a write sent to a replica
/// is answered once that replica shows it, a replica killed under load catches up, NATS away
/// for ten seconds loses nothing, a restored primary makes its replicas start over, and the
/// copies match the primary's database by database.
@Suite(.serialized, .timeLimit(.minutes(6))) struct ReplicaNodesTests {
    /// Buys `count` units on the primary from `lanes` concurrent buyers; the answers' feed sequences.
    static func sell(_ nodes: ReplicaNodes, _ count: Int, lanes: Int = 4, pause: Duration = .zero) async throws -> [UInt64] {
        let (products, buyer) = try await nodes.catalogue()
        return try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    var sequences: [UInt64] = []
                    for n in stride(from: lane, to: count, by: lanes) {
                        let answer = try await nodes.buy(on: nodes.primary, products[n % products.count], for: buyer)
                        #expect(answer.status == 201, "\(answer.text)")
                        if let seq = answer.headers["feed-sequence"].flatMap(UInt64.init) { sequences.append(seq) }
                        if pause > .zero { try await Task.sleep(for: pause) }
                    }
                    return sequences
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }.sorted()
        }
    }

    /// Every sale's `new_sale` arrived once, in commit order: `seen` is increasing and holds each sold sequence's event.
    static func expectEverySaleOnceInOrder(_ seen: [UInt64], sold: [UInt64], on node: String) {
        #expect(seen == seen.sorted() && Set(seen).count == seen.count, "\(node): \(seen)")
        // A sale writes several records; its new_sale comes with one of them, at or before the answer's sequence.
        #expect(seen.count == sold.count, "\(node) saw \(seen.count) sales of \(sold.count)")
    }

    @Test func salesReachBothReplicasInOrderASubscriberMovesWithoutAGapAndTheCopiesMatch() async throws {
        let nodes = try await ReplicaNodes()
        let (a, b) = (nodes.replicas[0], nodes.replicas[1])
        _ = try await nodes.catalogue()
        let start = try await nodes.feedHead(nodes.primary)
        try await nodes.waitUntilCaughtUp(a, to: start)
        try await nodes.waitUntilCaughtUp(b, to: start)
        let onA = try await SaleSubscriber(nodes, a, since: start)
        let onB = try await SaleSubscriber(nodes, b, since: start)
        let mover = try await SaleSubscriber(nodes, a, since: start)
        // A live query on a replica folds the primary's sales as they are applied there.
        let newest = #"{"type":"watch","id":"q","collection":"sales","order":{"field":"at","direction":"desc"},"limit":50}"#
        let watcherOnB = try await QueryWatcher(nodes, b, watch: newest)

        let firstHalf = try await Self.sell(nodes, 60)
        try await poll("the moving subscriber to see the first sales", seconds: 60) { mover.sequences.count >= 60 }
        await mover.close()
        let moved = try await SaleSubscriber(nodes, b, since: mover.sequences.last ?? start)
        let secondHalf = try await Self.sell(nodes, 60)
        let sold = firstHalf + secondHalf
        try await poll("every sale on both replicas", seconds: 60) { onA.sequences.count >= sold.count && onB.sequences.count >= sold.count }
        try await poll("the moved subscriber to see the rest", seconds: 60) { mover.sequences.count + moved.sequences.count >= sold.count }
        Self.expectEverySaleOnceInOrder(onA.sequences, sold: sold, on: "replica A")
        Self.expectEverySaleOnceInOrder(onB.sequences, sold: sold, on: "replica B")
        #expect(onA.sequences == onB.sequences)
        #expect(mover.sequences + moved.sequences == onA.sequences, "moving from A to B lost or repeated a sale")

        // A write sent to a replica is forwarded and answered once that replica shows it.
        let (products, buyer) = try await nodes.catalogue()
        let forwarded = try await nodes.buy(on: a, products[0], for: buyer)
        #expect(forwarded.status == 201, "\(forwarded.text)")
        let sequence = try #require(forwarded.headers["feed-sequence"].flatMap(UInt64.init))
        #expect(try await nodes.feedHead(a) >= sequence)
        let onReplica = try await nodes.request("GET", a, "/api/products/\(products[0])").json["stock"] as? Int
        let onPrimary = try await nodes.request("GET", nodes.primary, "/api/products/\(products[0])").json["stock"] as? Int
        #expect(onReplica != nil && onReplica == onPrimary, "the replica answered its write before it showed it")

        for subscriber in [onA, onB, moved] { await subscriber.close() }
        try await nodes.waitUntilCaughtUp(a)
        try await nodes.waitUntilCaughtUp(b)
        // What the replica's watcher folded is what the query answers on the primary now.
        let onPrimaryNow = try await QueryWatcher(nodes, nodes.primary, watch: newest)
        let primaryHead = try await nodes.feedHead(nodes.primary)
        try await poll("the replica's watch to fold every sale", seconds: 60) { watcherOnB.records == onPrimaryNow.records }
        #expect(watcherOnB.records.count == 50)
        #expect(watcherOnB.seq <= primaryHead)
        for watcher in [watcherOnB, onPrimaryNow] { await watcher.close() }
        for node in [nodes.primary] + nodes.replicas { await node.stop() }
        let primaryDigest = try nodes.digest(nodes.primary)
        #expect(try nodes.digest(a) == primaryDigest)
        #expect(try nodes.digest(b) == primaryDigest)
        await nodes.stop()
    }

    @Test func aReplicaKilledUnderLoadRestartsCatchesUpAndItsClientsResume() async throws {
        let nodes = try await ReplicaNodes(replicaCount: 1)
        let a = nodes.replicas[0]
        _ = try await nodes.catalogue()
        let start = try await nodes.feedHead(nodes.primary)
        try await nodes.waitUntilCaughtUp(a, to: start)
        let before = try await SaleSubscriber(nodes, a, since: start)
        async let sold = Self.sell(nodes, 120, lanes: 2, pause: .milliseconds(20))
        try await poll("some sales on the replica", seconds: 60) { before.sequences.count >= 20 }
        await nodes.replicas[0].kill9()
        await before.close()
        try await Task.sleep(for: .seconds(1))
        try await a.start()
        let after = try await SaleSubscriber(nodes, a, since: before.sequences.last ?? start)
        let all = try await sold
        try await nodes.waitUntilCaughtUp(a)
        try await poll("the resumed client to see every sale", seconds: 60) { before.sequences.count + after.sequences.count >= all.count }
        Self.expectEverySaleOnceInOrder(before.sequences + after.sequences, sold: all, on: "the replica killed and restarted")
        await after.close()
        await nodes.stop()
    }

    @Test func natsStoppedForTenSecondsUnderLoadLosesNothing() async throws {
        let nodes = try await ReplicaNodes(replicaCount: 1)
        let a = nodes.replicas[0]
        _ = try await nodes.catalogue()
        let start = try await nodes.feedHead(nodes.primary)
        try await nodes.waitUntilCaughtUp(a, to: start)
        let subscriber = try await SaleSubscriber(nodes, a, since: start)
        nodes.natsServers[0].stop()
        // The primary keeps selling with NATS away.
        let sold = try await Self.sell(nodes, 100, lanes: 1, pause: .milliseconds(100))
        try nodes.natsServers[0].start()
        try await nodes.waitUntilCaughtUp(a)
        try await poll("every sale on the replica", seconds: 60) { subscriber.sequences.count >= sold.count }
        Self.expectEverySaleOnceInOrder(subscriber.sequences, sold: sold, on: "the replica")
        let replication = try await nodes.health(a).json["replication"] as? [String: Any]
        #expect(replication?["nats"] as? String == "connected", "\(String(describing: replication))")
        await subscriber.close()
        await nodes.stop()
    }

    @Test func oneOfThreeClusteredNATSServersKilledStopsNothing() async throws {
        let nodes = try await ReplicaNodes(replicaCount: 1, cluster: true)
        let a = nodes.replicas[0]
        var sold = try await Self.sell(nodes, 30)
        try await nodes.waitUntilCaughtUp(a)
        nodes.natsServers[0].kill9()
        sold += try await Self.sell(nodes, 30)
        try await nodes.waitUntilCaughtUp(a, seconds: 90)
        #expect(try await nodes.feedHead(a) == nodes.feedHead(nodes.primary))
        await nodes.stop()
    }

    @Test func withThePrimaryStoppedReplicasServeReadsAndSayThePrimaryIsMissing() async throws {
        let nodes = try await ReplicaNodes(replicaCount: 1)
        let a = nodes.replicas[0]
        _ = try await Self.sell(nodes, 5)
        try await nodes.waitUntilCaughtUp(a)
        await nodes.primary.stop()
        try await poll("the replica to notice") {
            ((try? await nodes.health(a).json["replication"] as? [String: Any])?["primaryReachable"] as? Bool) == false
        }
        #expect(try await nodes.request("GET", a, "/api/products?limit=5").status == 200)
        let (products, buyer) = ("p1", "u2")
        let refused = try await nodes.buy(on: a, products, for: buyer)
        #expect(refused.status == 503, "\(refused.text)")
        #expect(refused.json["error"].flatMap { ($0 as? [String: Any])?["code"] as? String } == "primary_unavailable", "\(refused.text)")
        await nodes.stop()
    }

    @Test func aRestoredPrimaryBeginsANewEpochItsReplicaRefusesTheStreamThenStartsOverFromAFreshSnapshot() async throws {
        let nodes = try await ReplicaNodes(replicaCount: 1)
        let a = nodes.replicas[0]
        _ = try await Self.sell(nodes, 10)
        try await nodes.waitUntilCaughtUp(a)
        let oldEpoch = try #require(try await nodes.health(a).json["epoch"] as? String)
        let backup = nodes.folder + "/backup"
        #expect(try DatabaseCommandTests().tenda("db", "backup", "--data-dir", nodes.primary.dataDir, "--to", backup).status == 0)
        _ = try await Self.sell(nodes, 5)
        await nodes.primary.stop()
        let restore = try DatabaseCommandTests().tenda("db", "restore", "--from", backup, "--data-dir", nodes.primary.dataDir, "--force")
        #expect(restore.status == 0, "\(restore.output) \(restore.errors)")
        try await nodes.primary.start()
        _ = try await Self.sell(nodes, 3)
        try await poll("the replica to refuse the stream of another epoch", seconds: 60) {
            let health = try? await nodes.health(a)
            return health?.status == 503 && ((health?.json["replication"] as? [String: Any])?["stopped"] as? String)?.contains("epoch") == true
        }
        await a.stop()
        try await a.start()
        try await nodes.waitUntilCaughtUp(a)
        let newEpoch = try #require(try await nodes.health(a).json["epoch"] as? String)
        #expect(newEpoch != oldEpoch)
        #expect(newEpoch == (try await nodes.health(nodes.primary).json["epoch"] as? String))
        await nodes.stop()
    }
}
