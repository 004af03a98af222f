import Foundation
@testable import Realtime
import Shop
import Store
import Testing

@Suite(.timeLimit(.minutes(1)))
struct SlowConsumerTests {
    @Test func aStalledSubscriberIsCutOffWhileAHealthyOneGetsEverything() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha", stock: 1_000)
            let start = live.hub.position
            let stalled = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["sales"], queueLimit: 8)
            let healthy = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["sales"])
            let reader = Task { await read(healthy, count: 40) }
            for _ in 0..<20 { try await live.buy(live.ana, coxinha) }
            let frames = await reader.value
            let expected = try live.events(after: start).filter { $0.topic == .sales }
            #expect(expected.count == 40)
            #expect(frames.map(\.sequence) == expected.map(\.sequence))

            let cutOff = await read(stalled) { _ in false }  // reads until the subscription ends
            #expect(cutOff.map(\.text) == [#"{"type":"resync","reason":"slow_consumer","epoch":"\#(live.hub.epoch)"}"#])
            #expect(live.hub.statistics.slowConsumersCut == 1)
            #expect(live.hub.subscriberCount == 1)
        }
    }

    @Test func queuedStockLevelsOfOneProductCollapseToTheNewestInCommitOrder() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha", stock: 50)
            let pastel = try await live.product("Pastel", stock: 50)
            let subscription = live.hub.subscribe(user: live.ana.id, role: .user, topics: ["inventory"])
            for _ in 0..<5 { try await live.shop.execute(Restock(productId: coxinha.id, quantity: 1), as: live.asAdmin) }
            try await live.shop.execute(UpdateProduct(productId: coxinha.id, price: 700), as: live.asAdmin)
            for _ in 0..<5 { try await live.shop.execute(Restock(productId: coxinha.id, quantity: 1), as: live.asAdmin) }
            try await live.shop.execute(Restock(productId: pastel.id, quantity: 1), as: live.asAdmin)
            try await live.hubCaughtUp()

            let frames = await read(subscription, count: 3)
            #expect(frames.map(\.name) == ["product_update", "inventory_update", "inventory_update"])
            guard frames.count == 3 else { return }
            #expect(data(frames[1])["productId"] as? String == "p\(coxinha.id)" && data(frames[1])["stock"] as? Int == 60)
            #expect(data(frames[2])["productId"] as? String == "p\(pastel.id)" && data(frames[2])["stock"] as? Int == 51)
            let sequences = frames.compactMap(\.sequence)
            #expect(sequences == sequences.sorted())
            let extra = await read(subscription, within: 0.1, failOnTimeout: false) { !$0.isEmpty }
            #expect(extra.isEmpty)
        }
    }

    @Test func eachEventIsEncodedOnceHoweverManySubscribersGetIt() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha", stock: 3, threshold: 2)
            let readers: [(UInt64, Role)] = [(live.owner.id, .owner), (live.admin.id, .admin), (live.admin.id, .admin),
                                             (live.ana.id, .user), (live.ana.id, .user), (live.bruno.id, .user)]
            let subscriptions = readers.map { live.hub.subscribe(user: $0.0, role: $0.1, topics: Topic.allNames) }
            try await live.hubCaughtUp()
            let before = live.hub.statistics
            let start = live.hub.position
            try await live.buy(live.ana, coxinha, 1)  // also crosses the threshold: low_stock and notifications
            try await live.hubCaughtUp()

            let after = live.hub.statistics
            let events = try live.events(after: start)
            #expect(events.contains { $0.name == "low_stock" } && events.contains { $0.name == "notification" })
            #expect(after.liveFramesEncoded - before.liveFramesEncoded == events.count)
            let visible = readers.map { reader in events.filter { $0.audience.canSee(userId: reader.0, role: reader.1) }.count }
            #expect(after.framesDelivered - before.framesDelivered == visible.reduce(0, +))
            #expect(visible.reduce(0, +) > events.count)
            for subscription in subscriptions { subscription.unsubscribe() }
        }
    }

    @Test func theQueueKeepsOrderAcrossCollapsesAndCompaction() {
        var queue = FrameQueue()
        func level(_ seq: UInt64, product: Int) -> Frame {
            Frame.event(HubEvent(sequence: seq, topic: .inventory, name: "inventory_update", data: Array("{}".utf8),
                                 audience: .everyone, at: Date(), supersedesKey: "p\(product)"))
        }
        func sale(_ seq: UInt64) -> Frame {
            Frame.event(HubEvent(sequence: seq, topic: .sales, name: "new_sale", data: Array("{}".utf8), audience: .everyone, at: Date()))
        }
        var seq: UInt64 = 0
        for round in 0..<500 {
            seq += 1
            queue.append(level(seq, product: round % 3))
            if round.isMultiple(of: 100) {
                seq += 1
                queue.append(sale(seq))
            }
        }
        #expect(queue.count == 3 + 5)
        var out: [Frame] = []
        while let frame = queue.popFirst() { out.append(frame) }
        let sequences = out.compactMap(\.sequence)
        #expect(sequences == sequences.sorted())
        #expect(out.filter { $0.name == "new_sale" }.count == 5)
        #expect(Array(sequences.suffix(3)) == [seq - 2, seq - 1, seq])
        #expect(queue.isEmpty)
    }
    /// The queue looks for an older frame with the same key while it is short and keeps an index
    /// once long: appends and takes that cross that length both ways give what a plain list would.
    @Test func theQueueMatchesAPlainListAcrossItsIndexedLength() {
        var queue = FrameQueue()
        var model: [Frame] = []
        var random = SplitMix64(state: 18)
        var seq: UInt64 = 0
        for step in 0..<20_000 {
            // Long stretches of appends grow the queue past the indexed length; stretches of takes empty it.
            let appending = (step / 200).isMultiple(of: 2) ? random.next() % 4 != 0 : random.next() % 4 == 0
            if appending {
                seq += 1
                let product = random.next() % 24
                let key: String? = product < 20 ? "p\(product)" : nil
                let frame = Frame.event(HubEvent(sequence: seq, topic: .inventory, name: "inventory_update", data: Array("{}".utf8),
                                                 audience: .everyone, at: Date(), supersedesKey: key))
                if let key { model.removeAll { $0.supersedesKey == key } }
                model.append(frame)
                queue.append(frame)
            } else {
                let asked = Int(random.next() % 3) + 1
                let taken = queue.popFirst(asked)
                #expect(taken.count == min(asked, model.count))
                #expect(taken.map(\.sequence) == model.prefix(taken.count).map(\.sequence))
                model.removeFirst(taken.count)
            }
            #expect(queue.count == model.count)
        }
    }
}
