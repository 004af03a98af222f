import Foundation
import Store
import Testing
@testable import Shop

@Suite(.timeLimit(.minutes(3))) struct OrderTests {
    @Test func anOrderGoesFromPlacedToFulfilledAndBecomesAPaidSale() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("Bolo de pote", price: 900, stock: 5)
        let order = try await t.shop.execute(PlaceOrder(items: [.init(productId: p.id, quantity: 2)]), as: t.asAna)
        #expect(order.state == .pendingPayment && order.customerId == t.ana.id && order.total == 1_800)
        #expect(try t.shop.product(p.id, as: t.asAdmin).value.stock == 3)  // reserved
        #expect(try t.shop.notifications(as: t.asAdmin).page.items.contains { $0.value.kind == "new_order" })

        try await t.shop.execute(SubmitReceipt(orderId: order.id, mediaId: "m1"), as: t.asAna)
        let verified = try await t.shop.execute(VerifyOrder(orderId: order.id), as: t.asAdmin)
        #expect(verified.state == .verified && verified.reviewerId == t.admin.id)
        let saleId = try #require(verified.saleId)
        #expect(try t.shop.sale(saleId, as: t.asAna).value.orderId == order.id)
        #expect(try t.shop.debt(of: t.ana.id, as: t.asAna).amount == 0)  // paid by the receipt
        let fulfilled = try await t.shop.execute(FulfilOrder(orderId: order.id), as: t.asAdmin)
        #expect(fulfilled.state == .fulfilled)
        #expect(fulfilled.history.map(\.to) == [.pendingPayment, .receiptSubmitted, .verified, .fulfilled])
        #expect(try t.shop.product(p.id, as: t.asAdmin).value.stock == 3)  // taken once, at placing
        #expect(try t.shop.notifications(as: t.asAna).page.items.map(\.value.kind).filter { $0.hasPrefix("order_") }.sorted() == ["order_fulfilled", "order_verified"])
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }

    @Test func rejectingOrCancellingGivesTheReservedUnitsBack() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("Pastel", stock: 4)
        let rejected = try await t.shop.execute(PlaceOrder(items: [.init(productId: p.id, quantity: 3)]), as: t.asAna)
        try await t.shop.execute(SubmitReceipt(orderId: rejected.id, mediaId: "m1"), as: t.asAna)
        let noReason = await refusal { try await t.shop.execute(RejectOrder(orderId: rejected.id, reason: ""), as: t.asAdmin) }
        #expect(noReason?.code == .invalidInput && noReason?.field == "reason")
        let r = try await t.shop.execute(RejectOrder(orderId: rejected.id, reason: "Comprovante ilegível"), as: t.asAdmin)
        #expect(r.state == .rejected && r.reason == "Comprovante ilegível")
        #expect(try t.shop.product(p.id, as: t.asAdmin).value.stock == 4)

        let cancelled = try await t.shop.execute(PlaceOrder(items: [.init(productId: p.id, quantity: 4)]), as: t.asBruno)
        #expect(try t.shop.product(p.id, as: t.asAdmin).value.stock == 0)
        let short = await refusal { try await t.shop.execute(PlaceOrder(items: [.init(productId: p.id, quantity: 1)]), as: t.asAna) }
        #expect(short?.code == .insufficientStock)
        try await t.shop.execute(CancelOrder(orderId: cancelled.id, reason: "mudei de ideia"), as: t.asBruno)
        #expect(try t.shop.product(p.id, as: t.asAdmin).value.stock == 4)
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }

    @Test func illegalStepsAreRefusedAndChangeNothing() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("Suco", stock: 10)
        let order = try await t.shop.execute(PlaceOrder(items: [.init(productId: p.id, quantity: 1)]), as: t.asAna)
        let steps: [(String, () async throws -> Void)] = [
            ("verify before the receipt", { try await t.shop.execute(VerifyOrder(orderId: order.id), as: t.asAdmin) }),
            ("reject before the receipt", { try await t.shop.execute(RejectOrder(orderId: order.id, reason: "x"), as: t.asAdmin) }),
            ("fulfil before verifying", { try await t.shop.execute(FulfilOrder(orderId: order.id), as: t.asAdmin) }),
        ]
        for (name, step) in steps {
            let error = await refusal(step)
            #expect(error?.code == .invalidTransition, "\(name)")
        }
        try await t.shop.execute(SubmitReceipt(orderId: order.id, mediaId: "m"), as: t.asAna)
        try await t.shop.execute(VerifyOrder(orderId: order.id), as: t.asAdmin)
        let cancelVerified = await refusal { try await t.shop.execute(CancelOrder(orderId: order.id), as: t.asAna) }
        #expect(cancelVerified?.code == .invalidTransition)
        let verifyTwice = await refusal { try await t.shop.execute(VerifyOrder(orderId: order.id), as: t.asAdmin) }
        #expect(verifyTwice?.code == .invalidTransition)
        #expect(try t.shop.order(order.id, as: t.asAna).value.state == .verified)
        #expect(try t.shop.sales(as: t.asAdmin).items.count == 1)
        await t.discard()
    }

    @Test func customersSeeAndTouchOnlyTheirOwnOrders() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("Suco", stock: 10)
        let anas = try await t.shop.execute(PlaceOrder(items: [.init(productId: p.id, quantity: 1)]), as: t.asAna)
        _ = try await t.shop.execute(PlaceOrder(items: [.init(productId: p.id, quantity: 2)]), as: t.asBruno)
        #expect(try t.shop.orders(as: t.asAna).items.map(\.key) == [anas.id])
        #expect(try t.shop.orders(as: t.asAdmin).items.count == 2)
        let peek = await refusal { _ = try t.shop.order(anas.id, as: t.asBruno) }
        #expect(peek?.code == .notFound)
        let receipt = await refusal { try await t.shop.execute(SubmitReceipt(orderId: anas.id, mediaId: "m"), as: t.asBruno) }
        #expect(receipt?.code == .notFound)
        let forOther = await refusal { try await t.shop.execute(PlaceOrder(items: [.init(productId: p.id, quantity: 1)], customerId: t.ana.id), as: t.asBruno) }
        #expect(forOther?.code == .forbidden)
        #expect(try t.shop.orders(state: .pendingPayment, as: t.asAdmin).items.count == 2)
        await t.discard()
    }
}
