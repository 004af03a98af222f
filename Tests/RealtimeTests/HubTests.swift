import Foundation
@testable import Realtime
import Shop
import Store
import Testing

@Suite(.timeLimit(.minutes(1)))
struct DeliveryTests {
    @Test func aPurchaseReachesAnAdminAsNewSaleInventoryUpdateAndDebtUpdate() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha", stock: 12, threshold: 2)
            let admin = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["inventory", "sales"])
            let sale = try await live.buy(live.ana, coxinha, 2)

            let frames = await read(admin, count: 3)
            #expect(frames.map(\.name) == ["new_sale", "inventory_update", "debt_update"])
            guard frames.count == 3 else { return }
            for frame in frames {
                let object = json(frame)
                #expect(Set(object.keys) == ["type", "seq", "topic", "event", "data", "at"])
                #expect(object["type"] as? String == "event")
                #expect((object["seq"] as? NSNumber)?.uint64Value == frame.sequence)
                #expect(object["event"] as? String == frame.name)
                #expect((object["at"] as? String)?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil)
            }
            #expect(json(frames[0])["topic"] as? String == "sales")
            let saleJSON = data(frames[0])["sale"] as? [String: Any] ?? [:]
            #expect(saleJSON["id"] as? String == "s\(sale.id)")
            #expect(saleJSON["buyerId"] as? String == "u\(live.ana.id)")
            #expect(saleJSON["total"] as? Int == 1_300 && saleJSON["currency"] as? String == "BRL")
            #expect(saleJSON["actorId"] as? String == "u\(live.admin.id)")
            let line = (saleJSON["lines"] as? [[String: Any]])?.first ?? [:]
            #expect(line["productId"] as? String == "p\(coxinha.id)" && line["quantity"] as? Int == 2 && line["unitPrice"] as? Int == 650)

            #expect(json(frames[1])["topic"] as? String == "inventory")
            #expect(data(frames[1])["productId"] as? String == "p\(coxinha.id)")
            #expect(data(frames[1])["stock"] as? Int == 10)

            let debt = data(frames[2])
            #expect(debt["userId"] as? String == "u\(live.ana.id)" && debt["change"] as? Int == 1_300)
            #expect((debt["entryId"] as? String)?.hasPrefix("l") == true)
            admin.unsubscribe()
        }
    }

    @Test func aUserSeesStockButOnlyTheirOwnSales() async throws {
        try await withLiveShop { live in
            // Two products, so neither stock level supersedes the other in a queue.
            let coxinha = try await live.product("Coxinha")
            let pastel = try await live.product("Pastel")
            let bruno = live.hub.subscribe(user: live.bruno.id, role: .user, topics: ["inventory", "sales"])
            let ana = live.hub.subscribe(user: live.ana.id, role: .user, topics: ["inventory", "sales"])
            try await live.buy(live.ana, coxinha)
            try await live.buy(live.bruno, pastel)

            // Bruno: stock of both purchases, but only his own sale and debt.
            let brunoFrames = await read(bruno, count: 4)
            #expect(brunoFrames.map(\.name) == ["inventory_update", "new_sale", "inventory_update", "debt_update"])
            #expect((data(brunoFrames[1])["sale"] as? [String: Any])?["buyerId"] as? String == "u\(live.bruno.id)")

            let anaFrames = await read(ana, count: 4)
            #expect(anaFrames.map(\.name) == ["new_sale", "inventory_update", "debt_update", "inventory_update"])
            #expect((data(anaFrames[0])["sale"] as? [String: Any])?["buyerId"] as? String == "u\(live.ana.id)")
        }
    }

    @Test func framesArriveInCommitOrderExactlyAsTheFeedHoldsThem() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha", stock: 100)
            let pastel = try await live.product("Pastel", stock: 100)
            let start = live.hub.position
            // Stock levels may collapse in a queue (see SlowConsumerTests), so this exact
            // comparison leaves the inventory topic out.
            let topics = Topic.allNames.subtracting(["inventory"])
            let owner = live.hub.subscribe(user: live.owner.id, role: .owner, topics: topics)
            for round in 0..<8 {
                try await live.buy(round.isMultiple(of: 2) ? live.ana : live.bruno, round.isMultiple(of: 3) ? coxinha : pastel, 2)
            }
            try await live.shop.execute(RecordPayment(userId: live.ana.id, amount: 650), as: live.asAdmin)
            try await live.hubCaughtUp()

            let expected = try live.events(after: start).filter {
                topics.contains($0.topic.rawValue) && $0.audience.canSee(userId: live.owner.id, role: .owner)
            }
            let frames = await read(owner, count: expected.count)
            #expect(frames.map(\.name) == expected.map(\.name))
            #expect(frames.map(\.sequence) == expected.map(\.sequence))
            #expect(frames.map(\.bytes) == expected.map { Frame.event($0).bytes })
            // Commit order: sequences never go back, and only events of one change share one.
            let sequences = frames.compactMap(\.sequence)
            #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $0 <= $1 })
            #expect(Set(sequences).count == Set(expected.map(\.sequence)).count)
            #expect(frames.contains { $0.name == "payment_recorded" } && frames.contains { $0.name == "user_action" })
        }
    }

    @Test func aNotificationReachesOnlyItsAddressee() async throws {
        try await withLiveShop { live in
            let ana = live.hub.subscribe(user: live.ana.id, role: .user, topics: ["notifications"])
            let bruno = live.hub.subscribe(user: live.bruno.id, role: .user, topics: ["notifications"])
            let admin = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["notifications"])
            try await live.shop.execute(Notify(recipient: .user(live.ana.id), title: "Oi Ana", body: "só pra você"), as: live.asAdmin)
            try await live.shop.execute(Notify(recipient: .user(live.bruno.id), title: "Oi Bruno", body: ""), as: live.asAdmin)
            try await live.shop.execute(Notify(recipient: .user(live.admin.id), title: "Oi Adão", body: ""), as: live.asOwner)

            let anaFrames = await read(ana, count: 1)
            let notice = data(anaFrames.first ?? Frame.resync(.unavailable, epoch: ""))["notification"] as? [String: Any] ?? [:]
            #expect(notice["title"] as? String == "Oi Ana" && notice["userId"] as? String == "u\(live.ana.id)")
            #expect(notice["read"] as? Bool == false && (notice["id"] as? String)?.hasPrefix("n") == true)
            // The next frame each other reader gets is their own: Ana's went to nobody else.
            let brunoFrames = await read(bruno, count: 1)
            #expect((data(brunoFrames.first ?? Frame.resync(.unavailable, epoch: ""))["notification"] as? [String: Any])?["title"] as? String == "Oi Bruno")
            let adminFrames = await read(admin, count: 1)
            #expect((data(adminFrames.first ?? Frame.resync(.unavailable, epoch: ""))["notification"] as? [String: Any])?["title"] as? String == "Oi Adão")
        }
    }

    @Test func ordersGoToTheirCustomerAndAdminsAndActivityOnlyToOwners() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            let ana = live.hub.subscribe(user: live.ana.id, role: .user, topics: ["orders", "activity"])
            let bruno = live.hub.subscribe(user: live.bruno.id, role: .user, topics: ["orders", "activity"])
            let admin = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["orders", "activity"])
            let owner = live.hub.subscribe(user: live.owner.id, role: .owner, topics: ["activity"])
            let order = try await live.shop.execute(PlaceOrder(items: [LineItem(productId: coxinha.id, quantity: 1)]),
                                                     as: .user(live.ana.id, via: .ws))
            let brunos = try await live.shop.execute(PlaceOrder(items: [LineItem(productId: coxinha.id, quantity: 1)]),
                                                      as: .user(live.bruno.id, via: .bot))

            let anaFrames = await read(ana, count: 1)
            let placed = data(anaFrames.first ?? Frame.resync(.unavailable, epoch: ""))["order"] as? [String: Any] ?? [:]
            #expect(placed["id"] as? String == "o\(order.id)" && placed["state"] as? String == "pending_payment")
            #expect((placed["history"] as? [[String: Any]])?.first?["to"] as? String == "pending_payment")
            let brunoFrames = await read(bruno, count: 1)
            #expect((data(brunoFrames.first ?? Frame.resync(.unavailable, epoch: ""))["order"] as? [String: Any])?["id"] as? String == "o\(brunos.id)")
            let adminFrames = await read(admin, count: 2)
            #expect(adminFrames.map(\.name) == ["order_update", "order_update"])

            let ownerFrames = await read(owner, count: 2)
            #expect(ownerFrames.map(\.name) == ["user_action", "user_action"])
            let action = data(ownerFrames.first ?? Frame.resync(.unavailable, epoch: ""))
            #expect(action["actorId"] as? String == "u\(live.ana.id)" && action["command"] as? String == "placeOrder")
            #expect(action["outcome"] as? String == "ok" && action["channel"] as? String == "ws")
        }
    }

    @Test func aDeletedProductReachesEveryoneAllowedAndTheFilterStillHolds() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            let ana = live.hub.subscribe(user: live.ana.id, role: .user, topics: ["inventory", "activity"])
            let owner = live.hub.subscribe(user: live.owner.id, role: .owner, topics: ["inventory"])
            // No command deletes products (the API's delete archives), so delete in the store
            // itself, as a maintenance script could: the hub must still tell clients.
            let products = try await live.environment.collection("products", key: UInt64Key.self, value: BinaryCodec<Product>.self)
            try await live.environment.write { txn in try products.delete(txn, coxinha.id) }
            try await live.shop.execute(Notify(recipient: .user(live.ana.id), title: "fence", body: ""), as: live.asAdmin)

            let ownerFrames = await read(owner, count: 1)
            #expect(ownerFrames.first?.name == "product_update")
            let gone = data(ownerFrames.first ?? Frame.resync(.unavailable, epoch: ""))
            #expect(gone["productId"] as? String == "p\(coxinha.id)" && gone["deleted"] as? Bool == true)
            // Ana sees the deletion, and not the owner-only activity of the notify that followed.
            let anaFrames = await read(ana, count: 1)
            #expect(anaFrames.map(\.name) == ["product_update"])
            try await live.hubCaughtUp()
            let more = await read(ana, within: 0.2, failOnTimeout: false) { !$0.isEmpty }
            #expect(more.isEmpty)
        }
    }

    @Test func raisingTheThresholdToTheStockIsOneCrossingForTheEventAndTheNotificationAlike() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha", stock: 5, threshold: 2)
            let before = live.environment.head
            try await live.shop.execute(SetThreshold(productId: coxinha.id, threshold: 5), as: live.asAdmin)  // 5 left, limit 5: low
            try await live.shop.execute(SetThreshold(productId: coxinha.id, threshold: 8), as: live.asAdmin)  // still low
            try await live.buy(live.ana, coxinha)                                                             // still low

            let lows = try live.events(after: before).filter { $0.name == "low_stock" }
            #expect(lows.count == 1)
            let low = (try? JSONSerialization.jsonObject(with: Data(lows.first?.data ?? []))) as? [String: Any] ?? [:]
            #expect(low["stock"] as? Int == 5 && low["threshold"] as? Int == 5)
            for principal in [live.asAdmin, live.asOwner] {
                #expect(try live.shop.notifications(as: principal).page.items.filter { $0.value.kind == "low_stock" }.count == 1)
            }
        }
    }

    @Test func archivingAndRepricingAreProductUpdatesAndCrossingTheThresholdIsLowStockForAdmins() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha", stock: 5, threshold: 2)
            let user = live.hub.subscribe(user: live.ana.id, role: .user, topics: ["inventory"])
            let admin = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["inventory"])
            try await live.shop.execute(UpdateProduct(productId: coxinha.id, price: 700), as: live.asAdmin)
            try await live.buy(live.bruno, coxinha, 3)
            try await live.shop.execute(ArchiveProduct(productId: coxinha.id), as: live.asAdmin)

            let adminFrames = await read(admin, count: 4)
            #expect(adminFrames.map(\.name) == ["product_update", "inventory_update", "low_stock", "product_update"])
            let repriced = data(adminFrames.first ?? Frame.resync(.unavailable, epoch: ""))["product"] as? [String: Any] ?? [:]
            #expect(repriced["price"] as? Int == 700 && repriced["id"] as? String == "p\(coxinha.id)" && repriced["version"] != nil)
            let low = data(adminFrames.count > 2 ? adminFrames[2] : Frame.resync(.unavailable, epoch: ""))
            #expect(low["stock"] as? Int == 2 && low["threshold"] as? Int == 2)
            let archived = data(adminFrames.last ?? Frame.resync(.unavailable, epoch: ""))["product"] as? [String: Any] ?? [:]
            #expect(archived["active"] as? Bool == false)

            let userFrames = await read(user, count: 3)
            #expect(userFrames.map(\.name) == ["product_update", "inventory_update", "product_update"])
        }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct AudienceTests {
    @Test func contractsGoToTheirPartiesAndOwnersOnly() async throws {
        try await withLiveShop { live in
            let ana = live.hub.subscribe(user: live.ana.id, role: .user, topics: ["contracts"])
            let bruno = live.hub.subscribe(user: live.bruno.id, role: .user, topics: ["contracts", "inventory"])
            let admin = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["contracts", "inventory"])
            let owner = live.hub.subscribe(user: live.owner.id, role: .owner, topics: ["contracts"])
            let contract = try await live.shop.execute(CreateContract(
                title: "Rateio", terms: "metade cada", amount: 10_000,
                parties: [.init(userId: live.owner.id, part: "compra"), .init(userId: live.ana.id, part: "metade")],
                requiredConfirmations: 2), as: live.asOwner)
            try await live.shop.execute(ConfirmContract(contractId: contract.id), as: .user(live.ana.id, via: .rest))

            let anaFrames = await read(ana, count: 2)
            #expect(anaFrames.map(\.name) == ["contract_update", "contract_update"])
            let confirmed = data(anaFrames.last ?? Frame.resync(.unavailable, epoch: ""))["contract"] as? [String: Any] ?? [:]
            #expect(confirmed["id"] as? String == "c\(contract.id)" && confirmed["confirmations"] as? Int == 1)
            #expect((confirmed["parties"] as? [[String: Any]])?.map { $0["userId"] as? String } == ["u\(live.owner.id)", "u\(live.ana.id)"])
            #expect(await read(owner, count: 2).map(\.name) == ["contract_update", "contract_update"])

            // Neither Bruno nor the admin is a party: the fence is their first frame.
            _ = try await live.product("Fence")
            #expect(await read(bruno, count: 1).map(\.name) == ["product_update"])
            #expect(await read(admin, count: 1).map(\.name) == ["product_update"])
        }
    }

    @Test func aPaymentGoesToItsPayerAndAdmins() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            try await live.buy(live.ana, coxinha, 2)
            try await live.hubCaughtUp()
            let ana = live.hub.subscribe(user: live.ana.id, role: .user, topics: ["sales"])
            let bruno = live.hub.subscribe(user: live.bruno.id, role: .user, topics: ["sales"])
            let payment = try await live.shop.execute(RecordPayment(userId: live.ana.id, amount: 500, method: "pix"), as: live.asAdmin)
            try await live.buy(live.bruno, coxinha)

            let anaFrames = await read(ana, count: 2)
            #expect(anaFrames.map(\.name) == ["payment_recorded", "debt_update"])
            let paid = data(anaFrames.first ?? Frame.resync(.unavailable, epoch: ""))["payment"] as? [String: Any] ?? [:]
            #expect(paid["id"] as? String == "y\(payment.id)" && paid["amount"] as? Int == 500 && paid["method"] as? String == "pix")
            #expect(data(anaFrames.last ?? Frame.resync(.unavailable, epoch: ""))["change"] as? Int == -500)
            #expect(await read(bruno, count: 1).map(\.name) == ["new_sale"])
        }
    }

    @Test func aRoleChangedInTheStoreAndNewTopicsTakeEffectForLaterEvents() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            let ana = live.hub.subscribe(user: live.ana.id, role: .user, topics: ["sales"])
            _ = try await live.shop.execute(GrantRole(userId: live.ana.id, role: .admin), as: live.asOwner)
            #expect(await read(ana, count: 1).map(\.name) == ["admin"], "the access frame")
            ana.update(topics: ["sales", "inventory"])
            try await live.buy(live.bruno, coxinha)
            #expect(await read(ana, count: 3).map(\.name) == ["new_sale", "inventory_update", "debt_update"])
            _ = try await live.shop.execute(GrantRole(userId: live.ana.id, role: .user), as: live.asOwner)
            ana.update(topics: ["inventory"])
            try await live.buy(live.bruno, coxinha)
            #expect(await read(ana, count: 2).map(\.name) == ["user", "inventory_update"])
        }
    }

    @Test func aHistoryPageHoldsWhatTheCallerMaySee() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            let start = live.environment.head
            try await live.buy(live.ana, coxinha)
            try await live.buy(live.bruno, coxinha)
            var frames: [Frame] = []
            var cursor = start
            for _ in 0..<100 {
                let page = try live.hub.history(after: cursor, user: live.bruno.id, role: .user, topics: ["sales", "inventory"], limit: 3)
                frames += page.frames
                guard page.next > cursor else { break }
                cursor = page.next
            }
            #expect(cursor == live.environment.head)
            #expect(frames.map(\.name) == ["inventory_update", "new_sale", "inventory_update", "debt_update"])
        }
    }
}
