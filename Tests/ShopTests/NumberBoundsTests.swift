import Foundation
import Store
import Testing
@testable import Shop

/// Every number from outside is bounded before any arithmetic, and every sum that grows
/// across commands is checked: the extremes of Int64 are refused with a clear error and
/// change nothing, where they used to stop the process (`abs(Int64.min)` traps).
@Suite(.timeLimit(.minutes(2))) struct NumberBoundsTests {
    @Test func theExtremesOfInt64AreRefusedByEveryCommandThatTakesANumber() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("Coxinha", price: 650, stock: 10)
        let head = t.shop.feedHead
        for extreme in [Int64.min, Int64.min + 1, -1_000_001, 1_000_001, Int64.max] {
            let cases: [(String, Principal, () async throws -> Void)] = [
                ("delta", t.asAdmin, { _ = try await t.shop.execute(AdjustStock(productId: p.id, delta: extreme, reason: .adjustment), as: t.asAdmin) }),
                ("quantity", t.asAdmin, { _ = try await t.shop.execute(Restock(productId: p.id, quantity: extreme), as: t.asAdmin) }),
                ("threshold", t.asAdmin, { _ = try await t.shop.execute(SetThreshold(productId: p.id, threshold: extreme), as: t.asAdmin) }),
                ("stock", t.asAdmin, { _ = try await t.shop.execute(CreateProduct(name: "X", price: 1, stock: extreme), as: t.asAdmin) }),
                ("lowStockThreshold", t.asAdmin, {
                    _ = try await t.shop.execute(UpdateProduct(productId: p.id, lowStockThreshold: extreme), as: t.asAdmin)
                }),
                ("items[0].quantity", t.asAdmin, {
                    _ = try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: p.id, quantity: extreme)]), as: t.asAdmin)
                }),
                ("items[0].quantity", t.asAna, { _ = try await t.shop.execute(PlaceOrder(items: [.init(productId: p.id, quantity: extreme)]), as: t.asAna) }),
            ]
            for (field, principal, run) in cases {
                let error = await refusal(run)
                #expect(error?.code == .invalidInput && error?.field == field, "\(field) = \(extreme) as \(principal)")
            }
        }
        for extreme in [Int64.min, -100_000_000_001, 100_000_000_001, Int64.max] {
            let price = await refusal { _ = try await t.shop.execute(UpdateProduct(productId: p.id, price: extreme), as: t.asAdmin) }
            #expect(price?.code == .invalidInput && price?.field == "price")
            let payment = await refusal { _ = try await t.shop.execute(RecordPayment(userId: t.ana.id, amount: extreme), as: t.asAdmin) }
            #expect(payment?.code == .invalidInput && payment?.field == "amount")
            let balance = await refusal { _ = try await t.shop.execute(AdjustBalance(userId: t.ana.id, amount: extreme, note: "fix"), as: t.asOwner) }
            #expect(balance?.code == .invalidInput && balance?.field == "amount")
        }
        // Refusals write their audit entries and nothing else.
        #expect(try t.shop.product(p.id, as: t.asAdmin).value.stock == 10)
        #expect(try t.shop.debt(of: t.ana.id, as: t.asAdmin).amount == 0)
        #expect(try t.shop.sales(as: t.asAdmin).items.isEmpty)
        #expect(t.shop.feedHead > head)
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }

    @Test func theLargestBoundedPurchaseFitsWithRoomToSpare() async throws {
        let t = try await TestShop.make()
        var products: [Product] = []
        for i in 0..<Bounds.lines.upperBound {
            products.append(try await t.product("P\(i)", price: Bounds.price.upperBound, stock: Bounds.quantity.upperBound))
        }
        let sale = try await t.shop.execute(Buy(buyerId: t.ana.id, items: products.map { .init(productId: $0.id, quantity: Bounds.quantity.upperBound) }),
                                            as: t.asAdmin)
        #expect(sale.total == Int64(Bounds.lines.upperBound) * Bounds.quantity.upperBound * Bounds.price.upperBound)
        #expect(try t.shop.debt(of: t.ana.id, as: t.asAdmin).amount == sale.total)
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }

    @Test func aDebtThatWouldPassInt64IsRefusedWithOutOfRangeAndNothingIsWritten() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("Coxinha", price: 650, stock: 10)
        // A debt a hair below the largest Int64, as no sequence of bounded commands could reach in a test.
        let nearMax = Int64.max - 100
        let ana = t.ana.id
        try await t.environment.write { txn in try txn.add(toCounter: Aggregates.debt(ana), nearMax) }
        let error = await refusal { _ = try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: p.id, quantity: 1)]), as: t.asAdmin) }
        #expect(error?.code == .outOfRange)
        #expect(try t.shop.product(p.id, as: t.asAdmin).value.stock == 10)
        #expect(try t.shop.debt(of: t.ana.id, as: t.asAdmin).amount == nearMax)
        #expect(try t.shop.sales(as: t.asAdmin).items.isEmpty)
        // The shop goes on: another buyer's purchase in the same moment succeeds.
        let sale = try await t.shop.execute(Buy(buyerId: t.bruno.id, items: [.init(productId: p.id, quantity: 1)]), as: t.asAdmin)
        #expect(sale.total == 650)
        await t.discard()
    }

    @Test func stockCannotGrowPastItsBound() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("Parafuso", stock: Bounds.openingStock.upperBound)
        var level = Bounds.openingStock.upperBound
        while level < Bounds.stockLevel.upperBound {
            level = try await t.shop.execute(Restock(productId: p.id, quantity: Bounds.restock.upperBound), as: t.asAdmin).stock
        }
        #expect(level == Bounds.stockLevel.upperBound)
        let error = await refusal { _ = try await t.shop.execute(AdjustStock(productId: p.id, delta: 1, reason: .return), as: t.asAdmin) }
        #expect(error?.code == .outOfRange && error?.field == "stock")
        #expect(try t.shop.product(p.id, as: t.asAdmin).value.stock == Bounds.stockLevel.upperBound)
        await t.discard()
    }

    @Test func aReportWhoseTotalWouldPassInt64IsRefusedNotTrapped() async throws {
        let t = try await TestShop.make()
        let day = Aggregates.day(Date())
        try await t.environment.write { txn in
            try txn.add(toCounter: Aggregates.revenue(day), Int64.max - 1)
            try txn.add(toCounter: Aggregates.revenue(day - 1), Int64.max - 1)
        }
        let error = await refusal { _ = try t.shop.report(from: Date().addingTimeInterval(-86_400), to: Date(), groupBy: .day, as: t.asAdmin) }
        #expect(error?.code == .outOfRange)
        let monthly = await refusal { _ = try t.shop.report(from: Date().addingTimeInterval(-86_400), to: Date(), groupBy: .month, as: t.asAdmin) }
        #expect(monthly?.code == .outOfRange)
        await t.discard()
    }
}
