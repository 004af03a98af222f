import Foundation
import Store
import Testing
@testable import Shop

/// Refunds: a whole sale or some of its units, with the units put back in stock or not; the
/// buyer's debt and the ledger follow, the audit trail and the buyer hear of it, and no sale is
/// ever refunded beyond what was sold, however many refunds race.
@Suite(.timeLimit(.minutes(2))) struct RefundTests {
    /// A sale to Ana of 3 × A at 300 and 2 × B at 200 (1,300), from 10 units of each.
    static func sale(_ t: TestShop) async throws -> (sale: Sale, a: Product, b: Product) {
        let a = try await t.product("Coxinha", price: 300, stock: 10), b = try await t.product("Suco", price: 200, stock: 10)
        let sale = try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: a.id, quantity: 3), .init(productId: b.id, quantity: 2)]),
                                            as: t.asAdmin)
        return (sale, a, b)
    }

    func ledger(_ t: TestShop) throws -> [LedgerEntry] {
        try t.shop.ledger(userId: t.ana.id, page: PageRequest(limit: 100), as: t.asOwner).items.map(\.value)
    }

    @Test func aPartialRefundGivesBackThoseUnitsTheirPriceAndTellsTheBuyer() async throws {
        let t = try await TestShop.make()
        let (sale, a, _) = try await Self.sale(t)
        let refunded = try await t.shop.execute(Refund(saleId: sale.id, items: [.init(productId: a.id, quantity: 2)], note: "queimadas"), as: t.asAdmin)
        #expect(refunded.refundedQuantities == [2, 0])
        #expect(try t.shop.sale(sale.id, as: t.asAdmin).value.refundedQuantities == [2, 0], "the sale keeps what was refunded")
        #expect(try t.shop.debt(of: t.ana.id, as: t.asAdmin).amount == 1_300 - 600)
        #expect(try t.shop.product(a.id, as: t.asAdmin).value.stock == 10 - 3 + 2)
        let movement = try #require(try t.shop.stockMovements(of: a.id, page: PageRequest(limit: 1), as: t.asAdmin).items.first?.value)
        #expect(movement.delta == 2 && movement.reason == .return && movement.reference == sale.publicId && movement.note == "queimadas")

        let refund = try #require(try ledger(t).first { $0.kind == .refund })
        #expect(refund.amount == -600 && refund.reference == sale.publicId && refund.actorId == t.admin.id && refund.note == "queimadas")

        let audit = try #require(try t.shop.auditTrail(page: PageRequest(limit: 1), as: t.asOwner).items.first?.value)
        #expect(audit.command == "refund" && audit.outcome == "ok" && audit.actorId == t.admin.id)
        #expect(audit.summary.contains(sale.publicId) && audit.summary.contains("2×\(a.publicId)"))

        let notice = try #require(try t.shop.notifications(page: PageRequest(limit: 10), as: t.asAna).page.items.map(\.value).first { $0.kind == "sale_refunded" })
        #expect(notice.params?["sale"] == sale.publicId)
        #expect(notice.params?["items"] == "2× Coxinha")
        #expect(notice.link == "sales/\(sale.publicId)")
        #expect(notice.words(in: .pt).title == "Estorno da venda \(sale.publicId)")
        #expect(notice.words(in: .en).body == "We refunded 2× Coxinha: \(Money.format(600, "BRL")). queimadas")
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }

    @Test func aWholeRefundWithoutRestockClearsTheDebtAndLeavesTheStock() async throws {
        let t = try await TestShop.make()
        let (sale, a, b) = try await Self.sale(t)
        let refunded = try await t.shop.execute(Refund(saleId: sale.id, restock: false), as: t.asOwner)
        #expect(refunded.refundedQuantities == [3, 2])
        #expect(try t.shop.debt(of: t.ana.id, as: t.asAdmin).amount == 0)
        #expect(try t.shop.product(a.id, as: t.asAdmin).value.stock == 7, "not put back")
        #expect(try t.shop.product(b.id, as: t.asAdmin).value.stock == 8, "not put back")
        #expect(try t.shop.stockMovements(of: a.id, page: PageRequest(limit: 10), as: t.asAdmin).items.allSatisfy { $0.value.reason != .return })
        #expect(try ledger(t).filter { $0.kind == .refund }.map(\.amount) == [-1_300])
        #expect(try t.shop.dashboard(as: t.asAdmin).todayRevenue == 0, "refunds count against the day of the sale")
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }

    @Test func aRefundOfAPaidSaleLeavesTheBuyerInCredit() async throws {
        let t = try await TestShop.make()
        let (sale, _, b) = try await Self.sale(t)
        try await t.shop.execute(RecordPayment(userId: t.ana.id, amount: 1_300), as: t.asAdmin)
        try await t.shop.execute(Refund(saleId: sale.id, items: [.init(productId: b.id, quantity: 1)]), as: t.asAdmin)
        // The ledger says the shop owes Ana the unit she gave back.
        #expect(try t.shop.debt(of: t.ana.id, as: t.asAdmin).amount == -200)
        #expect(try ledger(t).map(\.amount).reduce(0, +) == -200)
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }

    @Test func moreThanWasSoldIsRefusedAndChangesNothing() async throws {
        let t = try await TestShop.make()
        let (sale, a, b) = try await Self.sale(t)
        try await t.shop.execute(Refund(saleId: sale.id, items: [.init(productId: a.id, quantity: 2)]), as: t.asAdmin)
        let head = t.shop.feedHead
        let tooMany = await refusal { try await t.shop.execute(Refund(saleId: sale.id, items: [.init(productId: b.id, quantity: 1), .init(productId: a.id, quantity: 2)]), as: t.asAdmin) }
        #expect(tooMany?.code == .ruleBroken && tooMany?.field == "items[1].quantity")
        let notSold = await refusal { try await t.shop.execute(Refund(saleId: sale.id, items: [.init(productId: 999, quantity: 1)]), as: t.asAdmin) }
        #expect(notSold?.code == .ruleBroken && notSold?.field == "items[0].productId")
        let zero = await refusal { try await t.shop.execute(Refund(saleId: sale.id, items: [.init(productId: a.id, quantity: 0)]), as: t.asAdmin) }
        #expect(zero?.code == .invalidInput && zero?.field == "items[0].quantity")
        let huge = await refusal { try await t.shop.execute(Refund(saleId: sale.id, items: [.init(productId: a.id, quantity: .max)]), as: t.asAdmin) }
        #expect(huge?.code == .invalidInput && huge?.field == "items[0].quantity")
        let twice = await refusal { try await t.shop.execute(Refund(saleId: sale.id, items: [.init(productId: a.id, quantity: 1), .init(productId: a.id, quantity: 1)]), as: t.asAdmin) }
        #expect(twice?.code == .ruleBroken && twice?.field == "items[1].productId")
        let unknown = await refusal { try await t.shop.execute(Refund(saleId: 9_999), as: t.asAdmin) }
        #expect(unknown?.code == .notFound && unknown?.field == "saleId")
        // Only the refusals' audit entries were written.
        #expect(try t.shop.changes(after: head, limit: 100).allSatisfy { $0.collection == "audit" })
        #expect(try t.shop.sale(sale.id, as: t.asAdmin).value.refundedQuantities == [2, 0])
        try await t.shop.execute(Refund(saleId: sale.id), as: t.asAdmin)
        let again = await refusal { try await t.shop.execute(Refund(saleId: sale.id), as: t.asAdmin) }
        #expect(again?.code == .ruleBroken)
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }

    @Test func onlyAdminsAndOwnersRefund() async throws {
        let t = try await TestShop.make()
        let (sale, a, _) = try await Self.sale(t)
        let byBuyer = await refusal { try await t.shop.execute(Refund(saleId: sale.id), as: t.asAna) }
        #expect(byBuyer?.code == .forbidden)
        let byOther = await refusal { try await t.shop.execute(Refund(saleId: sale.id, items: [.init(productId: a.id, quantity: 1)]), as: t.asBruno) }
        #expect(byOther?.code == .forbidden)
        #expect(try t.shop.sale(sale.id, as: t.asAdmin).value.refundedQuantities == [0, 0])
        let refused = try t.shop.auditTrail(page: PageRequest(limit: 2), as: t.asOwner).items.map(\.value)
        #expect(refused.allSatisfy { $0.command == "refund" && $0.outcome == "forbidden" })
        await t.discard()
    }

    /// Twenty whole refunds of one sale at once: exactly one gives anything back, the rest are
    /// refused, and the books show the sale refunded once.
    @Test func concurrentWholeRefundsOfOneSaleRefundItOnce() async throws {
        let t = try await TestShop.make()
        let (sale, a, b) = try await Self.sale(t)
        let outcomes = await withTaskGroup(of: ShopError?.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    do { try await t.shop.execute(Refund(saleId: sale.id), as: t.asAdmin); return nil } catch let error as ShopError { return error } catch {
                        return ShopError(.storeFailure, "\(error)")
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == nil }.count == 1)
        #expect(outcomes.compactMap { $0?.code }.allSatisfy { $0 == .ruleBroken })
        #expect(try t.shop.sale(sale.id, as: t.asAdmin).value.refundedQuantities == [3, 2])
        #expect(try t.shop.debt(of: t.ana.id, as: t.asAdmin).amount == 0)
        #expect(try t.shop.product(a.id, as: t.asAdmin).value.stock == 10)
        #expect(try t.shop.product(b.id, as: t.asAdmin).value.stock == 10)
        #expect(try ledger(t).filter { $0.kind == .refund }.count == 1)
        #expect(try t.shop.notifications(page: PageRequest(limit: 50), as: t.asAna).page.items.filter { $0.value.kind == "sale_refunded" }.count == 1)
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }

    /// Thirty one-unit refunds of a line of three race: three succeed, and never a fourth unit.
    @Test func concurrentPartialRefundsNeverGiveBackMoreThanWasSold() async throws {
        let t = try await TestShop.make()
        let (sale, a, _) = try await Self.sale(t)
        let succeeded = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<30 {
                group.addTask { (try? await t.shop.execute(Refund(saleId: sale.id, items: [.init(productId: a.id, quantity: 1)]), as: t.asAdmin)) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(succeeded == 3)
        #expect(try t.shop.sale(sale.id, as: t.asAdmin).value.refundedQuantities == [3, 0])
        #expect(try t.shop.debt(of: t.ana.id, as: t.asAdmin).amount == 1_300 - 900)
        #expect(try t.shop.product(a.id, as: t.asAdmin).value.stock == 10)
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }

    @Test func aRetryWithTheSameKeyRefundsOnce() async throws {
        let t = try await TestShop.make()
        let (sale, a, _) = try await Self.sale(t)
        let command = Refund(saleId: sale.id, items: [.init(productId: a.id, quantity: 1)])
        let first = try await t.shop.run(command, as: t.asAdmin, idempotencyKey: "r-1")
        let again = try await t.shop.run(command, as: t.asAdmin, idempotencyKey: "r-1")
        #expect(first.value == again.value && first.version == again.version && first.sequence == again.sequence)
        #expect(try t.shop.sale(sale.id, as: t.asAdmin).value.refundedQuantities == [1, 0])
        #expect(try t.shop.debt(of: t.ana.id, as: t.asAdmin).amount == 1_000)
        let other = await refusal { try await t.shop.execute(Refund(saleId: sale.id), as: t.asAdmin, idempotencyKey: "r-1") }
        #expect(other?.code == .idempotencyKeyReused)
        await t.discard()
    }
}
