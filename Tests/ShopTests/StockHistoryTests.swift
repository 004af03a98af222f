import Foundation
import Store
import Testing
@testable import Shop

/// A product's stock history (``Shop/stockHistory(of:page:as:)``): every kind of movement,
/// newest first, with the level each one left, who made it and why; paging; who may read it;
/// and the levels of movements stored before the level was (derived, on any page).
@Suite(.timeLimit(.minutes(3))) struct StockHistoryTests {
    static let start = RFC3339.date(from: "2026-03-01T09:00:00Z")!
    static func hour(_ n: Double) -> Date { start.addingTimeInterval(n * 3_600) }

    struct Line: Equatable, CustomStringConvertible {
        let kind: StockMovement.Kind
        let delta: Int64
        let levelAfter: Int64
        let who: String?
        let reference: String?
        let note: String
        var description: String { "\(kind) \(delta) → \(levelAfter) by \(who ?? "-") ref \(reference ?? "-") “\(note)”" }
    }

    static func lines(_ entries: [StockHistoryEntry]) -> [Line] {
        entries.map {
            Line(kind: $0.movement.value.kind, delta: $0.movement.value.delta, levelAfter: $0.levelAfter, who: $0.actorName,
                 reference: $0.movement.value.reference, note: $0.movement.value.note)
        }
    }

    /// Every page from the first, following `next`.
    static func allPages(_ t: TestShop, _ productId: UInt64, limit: Int) throws -> (entries: [StockHistoryEntry], pages: Int) {
        var entries: [StockHistoryEntry] = []
        var cursor: PageCursor?
        var pages = 0
        repeat {
            let page = try t.shop.stockHistory(of: productId, page: PageRequest(limit: limit, cursor: cursor), as: t.asAdmin).page
            #expect(page.items.count <= limit)
            entries += page.items
            cursor = page.next
            pages += 1
        } while cursor != nil && pages < 100
        return (entries, pages)
    }

    @Test func everyKindOfMovementIsListedNewestFirstWithTheLevelItLeftWhoAndWhy() async throws {
        let t = try await TestShop.make()
        let p = try await t.shop.execute(CreateProduct(name: "Coxinha", price: 650, stock: 20), as: t.asAdmin, at: Self.hour(0))
        try await t.shop.execute(Restock(productId: p.id, quantity: 10, note: "fornecedor"), as: t.asAdmin, at: Self.hour(1))
        let sale = try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: p.id, quantity: 3)]), as: t.asAdmin, at: Self.hour(2))
        try await t.shop.execute(AdjustStock(productId: p.id, delta: -2, reason: .adjustment, note: "quebrou"), as: t.asOwner, at: Self.hour(3))
        try await t.shop.execute(AdjustStock(productId: p.id, delta: 1, reason: .return, note: "cliente devolveu"), as: t.asOwner, at: Self.hour(4))
        let order = try await t.shop.execute(PlaceOrder(items: [.init(productId: p.id, quantity: 4)]), as: t.asAna, at: Self.hour(5))
        try await t.shop.execute(CancelOrder(orderId: order.id, reason: "desisti"), as: t.asAna, at: Self.hour(6))
        try await t.shop.execute(Refund(saleId: sale.id, items: [.init(productId: p.id, quantity: 1)], note: "estragado"), as: t.asAdmin, at: Self.hour(7))

        let history = try t.shop.stockHistory(of: p.id, as: t.asAdmin)
        #expect(history.product.value.stock == 27)
        #expect(history.page.next == nil)
        let expected: [Line] = [
            Line(kind: .refund, delta: 1, levelAfter: 27, who: t.admin.name, reference: sale.publicId, note: "estragado"),
            Line(kind: .cancel, delta: 4, levelAfter: 26, who: t.ana.name, reference: order.publicId, note: ""),
            Line(kind: .order, delta: -4, levelAfter: 22, who: t.ana.name, reference: order.publicId, note: ""),
            Line(kind: .return, delta: 1, levelAfter: 26, who: t.owner.name, reference: nil, note: "cliente devolveu"),
            Line(kind: .adjustment, delta: -2, levelAfter: 25, who: t.owner.name, reference: nil, note: "quebrou"),
            Line(kind: .sale, delta: -3, levelAfter: 27, who: t.admin.name, reference: sale.publicId, note: ""),
            Line(kind: .restock, delta: 10, levelAfter: 30, who: t.admin.name, reference: nil, note: "fornecedor"),
            Line(kind: .initial, delta: 20, levelAfter: 20, who: t.admin.name, reference: nil, note: ""),
        ]
        #expect(Self.lines(history.page.items) == expected)
        #expect(history.page.items.map(\.movement.value.at) == (0...7).reversed().map { Self.hour(Double($0)) })
        #expect(history.page.items.map(\.movement.value.actorId) == [t.admin.id, t.ana.id, t.ana.id, t.owner.id, t.owner.id, t.admin.id, t.admin.id, t.admin.id])
        // Every movement stored its level: nothing here is derived.
        #expect(history.page.items.allSatisfy { $0.movement.value.levelAfter == $0.levelAfter })
        #expect(Set(history.page.items.map(\.movement.value.kind)) == Set(StockMovement.Kind.allCases))

        // Pages of three: the same lines in the same order, and a last page without `next`.
        let paged = try Self.allPages(t, p.id, limit: 3)
        #expect(paged.pages == 3)
        #expect(Self.lines(paged.entries) == expected)

        // Another product's movements never show.
        let other = try await t.product("Suco", stock: 4)
        #expect(try t.shop.stockHistory(of: other.id, as: t.asAdmin).page.items.map(\.movement.value.productId) == [other.id])
        #expect(try t.shop.stockHistory(of: p.id, as: t.asAdmin).page.items.count == 8)
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }

    @Test func adminsAndOwnersReadItUsersDoNotAndAnUnknownProductIsNotFound() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("Pastel", stock: 5)
        #expect(try t.shop.stockHistory(of: p.id, as: t.asOwner).page.items.count == 1)
        #expect(try t.shop.stockHistory(of: p.id, as: t.asAdmin).page.items.count == 1)
        let user = await refusal { _ = try t.shop.stockHistory(of: p.id, as: t.asAna) }
        #expect(user?.code == .forbidden)
        let missing = await refusal { _ = try t.shop.stockHistory(of: p.id + 1_000, as: t.asAdmin) }
        #expect(missing?.code == .notFound)
        // An archived product's history stays readable.
        try await t.shop.execute(ArchiveProduct(productId: p.id), as: t.asAdmin)
        let archived = try t.shop.stockHistory(of: p.id, as: t.asAdmin)
        #expect(archived.product.value.active == false)
        #expect(Self.lines(archived.page.items) == [Line(kind: .initial, delta: 5, levelAfter: 5, who: t.admin.name, reference: nil, note: "")])
        await t.discard()
    }

    /// Movements written before the level was stored carry none: their level is the current stock
    /// minus every newer delta, the same on every page whichever cursor it starts from.
    @Test func levelsOfMovementsStoredWithoutOneAreDerivedOnEveryPage() async throws {
        let t = try await TestShop.make()
        let p = try await t.shop.execute(CreateProduct(name: "Bolo", price: 900, stock: 6), as: t.asAdmin, at: Self.hour(0))
        var expectedLevels: [Int64] = [6]
        var level: Int64 = 6
        for i in 1...9 {
            let delta: Int64 = i.isMultiple(of: 3) ? -2 : 3
            try await t.shop.execute(AdjustStock(productId: p.id, delta: delta, reason: .adjustment, note: "n\(i)"), as: t.asAdmin, at: Self.hour(Double(i)))
            level += delta
            expectedLevels.append(level)
        }
        // The first seven movements as a store written before this change holds them: no level.
        let old = try t.environment.read { txn in
            try t.shop.collections.stockMovements.lookup(txn, index: "product", equals: OrderedKey(p.id)).items
        }
        #expect(old.count == 10)
        try await t.environment.write { txn in
            for record in old where record.value.at < Self.hour(7) {
                var legacy = record.value
                legacy.levelAfter = nil
                _ = try t.shop.collections.stockMovements.put(txn, record.key, legacy)
            }
        }
        let stored = try t.environment.read { txn in
            try t.shop.collections.stockMovements.lookup(txn, index: "product", equals: OrderedKey(p.id)).items
        }
        #expect(stored.filter { $0.value.levelAfter == nil }.count == 7)

        let newestFirst = Array(expectedLevels.reversed())
        for limit in [1, 2, 3, 4, 10] {
            let paged = try Self.allPages(t, p.id, limit: limit)
            #expect(paged.entries.map(\.levelAfter) == newestFirst, "pages of \(limit)")
            #expect(paged.entries.map { $0.movement.value.note } == (1...9).reversed().map { "n\($0)" } + [""], "pages of \(limit)")
        }
        // A page that starts among the old movements, from a cursor handed out by an earlier page.
        let first = try t.shop.stockHistory(of: p.id, page: PageRequest(limit: 5), as: t.asAdmin).page
        let second = try t.shop.stockHistory(of: p.id, page: PageRequest(limit: 5, cursor: first.next), as: t.asAdmin).page
        #expect(second.items.map(\.levelAfter) == Array(newestFirst.dropFirst(5)))
        #expect(second.next == nil)
        await t.discard()
    }
}
