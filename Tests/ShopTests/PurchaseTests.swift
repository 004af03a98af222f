import Foundation
import Store
import Testing
@testable import Shop

@Suite(.timeLimit(.minutes(1))) struct PurchaseTests {
    @Test func aPurchaseTakesStockAddsToDebtAndIsCounted() async throws {
        let t = try await TestShop.make()
        let coxinha = try await t.product("Coxinha", price: 650, stock: 10)
        let suco = try await t.product("Suco", price: 500, stock: 4)
        let sale = try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: coxinha.id, quantity: 2),
                                                                           .init(productId: suco.id, quantity: 1)]), as: t.asAdmin)
        #expect(sale.total == 1_800 && sale.lines.map(\.unitPrice) == [650, 500] && sale.actorId == t.admin.id)
        #expect(try t.shop.product(coxinha.id, as: t.asAna).value.stock == 8)
        #expect(try t.shop.debt(of: t.ana.id, as: t.asAna).amount == 1_800)
        let dashboard = try t.shop.dashboard(as: t.asAdmin)
        #expect(dashboard.todaySales == 1 && dashboard.todayRevenue == 1_800 && dashboard.outstandingDebt == 1_800)
        #expect(dashboard.topBuyers.first?.label == "Ana Souza")
        #expect(try t.shop.sales(as: t.asAna).items.map(\.key) == [sale.id])
        #expect(try t.shop.sales(as: t.asBruno).items.isEmpty)
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }

    @Test func aShortPurchaseNamesEveryShortLineAndWritesNothingButItsAuditEntry() async throws {
        let t = try await TestShop.make()
        let a = try await t.product("A", stock: 1), b = try await t.product("B", stock: 5), c = try await t.product("C", stock: 0)
        let head = t.shop.feedHead
        let error = await refusal {
            try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: a.id, quantity: 2), .init(productId: b.id, quantity: 5),
                                                                     .init(productId: c.id, quantity: 1)]), as: t.asAdmin)
        }
        #expect(error?.code == .insufficientStock)
        #expect(error?.shortItems == [.init(productId: a.id, requested: 2, available: 1), .init(productId: c.id, requested: 1, available: 0)])
        #expect(t.shop.feedHead == head + 1)  // the audit entry of the refusal
        #expect(try t.shop.product(b.id, as: t.asAdmin).value.stock == 5)
        #expect(try t.shop.sales(as: t.asAdmin).items.isEmpty)
        #expect(try t.shop.auditTrail(as: t.asOwner).items.first?.value.outcome == "insufficient_stock")
        await t.discard()
    }

    @Test func badPurchaseInputIsRefusedBeforeTheStore() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("A")
        let cases: [(Buy, ShopError.Code, String)] = [
            (Buy(buyerId: t.ana.id, items: []), .invalidInput, "items"),
            (Buy(buyerId: t.ana.id, items: [.init(productId: p.id, quantity: 0)]), .invalidInput, "items[0].quantity"),
            (Buy(buyerId: t.ana.id, items: [.init(productId: p.id, quantity: 1), .init(productId: p.id, quantity: 1)]), .ruleBroken, "items[1].productId"),
        ]
        for (command, code, field) in cases {
            let error = await refusal { try await t.shop.execute(command, as: t.asAdmin) }
            #expect(error?.code == code && error?.field == field)
        }
        let unknownProduct = await refusal { try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: 99, quantity: 1)]), as: t.asAdmin) }
        #expect(unknownProduct?.code == .notFound && unknownProduct?.field == "items[0].productId")
        let unknownBuyer = await refusal { try await t.shop.execute(Buy(buyerId: 99, items: [.init(productId: p.id, quantity: 1)]), as: t.asAdmin) }
        #expect(unknownBuyer?.code == .notFound && unknownBuyer?.field == "buyerId")
        await t.discard()
    }

    @Test func aHundredConcurrentBuyersRacingForTenUnitsBuyExactlyTen() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("Última fornada", stock: 10, threshold: 0)
        let outcomes = await withTaskGroup(of: ShopError.Code?.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    do {
                        try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: p.id, quantity: 1)]), as: t.asAdmin)
                        return nil
                    } catch let error as ShopError {
                        return error.code
                    } catch {
                        return .storeFailure
                    }
                }
            }
            var all: [ShopError.Code?] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.filter { $0 == nil }.count == 10)
        #expect(outcomes.filter { $0 == .insufficientStock }.count == 90)
        #expect(try t.shop.product(p.id, as: t.asAdmin).value.stock == 0)
        #expect(try t.shop.sales(as: t.asAdmin).items.count == 10)
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }

    @Test func theSameIdempotencyKeyReplaysTheFirstAnswerAndWritesNothingNew() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("A", stock: 10)
        let buy = Buy(buyerId: t.ana.id, items: [.init(productId: p.id, quantity: 3)])
        let first = try await t.shop.execute(buy, as: t.asAdmin, idempotencyKey: "k-1")
        let head = t.shop.feedHead
        let replay = try await t.shop.execute(buy, as: t.asAdmin, idempotencyKey: "k-1")
        #expect(replay == first)
        #expect(t.shop.feedHead == head)
        #expect(try t.shop.product(p.id, as: t.asAdmin).value.stock == 7)
        let reused = await refusal {
            try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: p.id, quantity: 4)]), as: t.asAdmin, idempotencyKey: "k-1")
        }
        #expect(reused?.code == .idempotencyKeyReused)
        // Keys belong to their caller: the owner's "k-1" is another key.
        let owners = try await t.shop.execute(buy, as: t.asOwner, idempotencyKey: "k-1")
        #expect(owners.id != first.id)
        let payment = RecordPayment(userId: t.ana.id, amount: 650, method: "pix")
        let paid = try await t.shop.execute(payment, as: t.asAdmin, idempotencyKey: "p-1")
        #expect(try await t.shop.execute(payment, as: t.asAdmin, idempotencyKey: "p-1") == paid)
        #expect(try t.shop.payments(as: t.asAdmin).items.count == 1)
        await t.discard()
    }

    @Test func paymentsLowerDebtButNeverBelowZeroAndTellThePayer() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("A", price: 1_000, stock: 10)
        try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: p.id, quantity: 2)]), as: t.asAdmin)
        let payment = try await t.shop.execute(RecordPayment(userId: t.ana.id, amount: 1_500, method: "dinheiro"), as: t.asAdmin)
        #expect(payment.amount == 1_500 && payment.currency == "BRL")
        #expect(try t.shop.debt(of: t.ana.id, as: t.asAna).amount == 500)
        let over = await refusal { try await t.shop.execute(RecordPayment(userId: t.ana.id, amount: 501), as: t.asAdmin) }
        #expect(over?.code == .ruleBroken && over?.field == "amount")
        let zero = await refusal { try await t.shop.execute(RecordPayment(userId: t.ana.id, amount: 0), as: t.asAdmin) }
        #expect(zero?.code == .invalidInput && zero?.field == "amount")
        #expect(try t.shop.notifications(as: t.asAna).page.items.first?.value.kind == "payment_recorded")
        #expect(try t.shop.dashboard(as: t.asAdmin).todayReceived == 1_500)
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }

    @Test func refundsGiveBackUnitsAndMoneyOnlyOnce() async throws {
        let t = try await TestShop.make()
        let a = try await t.product("A", price: 300, stock: 10), b = try await t.product("B", price: 200, stock: 10)
        let sale = try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: a.id, quantity: 3), .init(productId: b.id, quantity: 2)]), as: t.asAdmin)
        let partial = try await t.shop.execute(Refund(saleId: sale.id, items: [.init(productId: a.id, quantity: 1)]), as: t.asAdmin)
        #expect(partial.refundedQuantities == [1, 0])
        #expect(try t.shop.debt(of: t.ana.id, as: t.asAdmin).amount == 1_300 - 300)
        #expect(try t.shop.product(a.id, as: t.asAdmin).value.stock == 8)
        let tooMany = await refusal { try await t.shop.execute(Refund(saleId: sale.id, items: [.init(productId: a.id, quantity: 3)]), as: t.asAdmin) }
        #expect(tooMany?.code == .ruleBroken)
        let rest = try await t.shop.execute(Refund(saleId: sale.id, restock: false), as: t.asAdmin)
        #expect(rest.refundedQuantities == [3, 2])
        #expect(try t.shop.debt(of: t.ana.id, as: t.asAdmin).amount == 0)
        #expect(try t.shop.product(b.id, as: t.asAdmin).value.stock == 8)  // not restocked
        let again = await refusal { try await t.shop.execute(Refund(saleId: sale.id), as: t.asAdmin) }
        #expect(again?.code == .ruleBroken)
        #expect(try t.shop.dashboard(as: t.asAdmin).todayRevenue == 0)
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }
}
