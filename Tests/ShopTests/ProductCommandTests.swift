import Foundation
import Store
import Testing
@testable import Shop

@Suite(.timeLimit(.minutes(3))) struct ProductCommandTests {
    @Test func creatingAProductRecordsItsOpeningStockAsAMovement() async throws {
        let t = try await TestShop.make()
        let coxinha = try await t.product("Coxinha", price: 650, stock: 12)
        #expect(coxinha.stock == 12 && coxinha.currency == "BRL" && coxinha.active)
        let movements = try t.shop.stockMovements(of: coxinha.id, as: t.asAdmin).items.map(\.value)
        #expect(movements.map(\.delta) == [12])
        #expect(movements.map(\.reason) == [.initial])
        await t.discard()
    }

    @Test func badProductInputIsRefusedFieldByField() async throws {
        let t = try await TestShop.make()
        let cases: [(CreateProduct, String)] = [
            (CreateProduct(name: "  ", price: 100), "name"),
            (CreateProduct(name: "X", price: -1), "price"),
            (CreateProduct(name: "X", price: 100, currency: "brl"), "currency"),
            (CreateProduct(name: "X", price: 100, stock: -3), "stock"),
            (CreateProduct(name: String(repeating: "a", count: 101), price: 100), "name"),
            (CreateProduct(name: "X", price: 100, lowStockThreshold: -1), "lowStockThreshold"),
        ]
        for (command, field) in cases {
            let error = await refusal { try await t.shop.execute(command, as: t.asAdmin) }
            #expect(error?.code == .invalidInput)
            #expect(error?.field == field)
        }
        let otherCurrency = await refusal { try await t.shop.execute(CreateProduct(name: "X", price: 100, currency: "USD"), as: t.asAdmin) }
        #expect(otherCurrency?.code == .ruleBroken && otherCurrency?.field == "currency")
        #expect(try t.shop.products(as: t.asAdmin).items.isEmpty)
        await t.discard()
    }

    @Test func anUpdateThatLostARaceIsRefusedAndChangesNothing() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("Pastel", price: 700)
        let seen = try t.shop.product(p.id, as: t.asAdmin).version
        try await t.shop.execute(UpdateProduct(productId: p.id, expectedVersion: seen, price: 750), as: t.asAdmin)
        let stale = await refusal { try await t.shop.execute(UpdateProduct(productId: p.id, expectedVersion: seen, price: 999), as: t.asOwner) }
        #expect(stale?.code == .versionConflict)
        #expect(try t.shop.product(p.id, as: t.asAdmin).value.price == 750)
        await t.discard()
    }

    @Test func archivedProductsAreHiddenAndNotSold() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("Suco", stock: 5)
        try await t.shop.execute(ArchiveProduct(productId: p.id), as: t.asAdmin)
        #expect(try t.shop.products(as: t.asAna).items.isEmpty)
        #expect(try t.shop.products(includeArchived: true, as: t.asAdmin).items.count == 1)
        let missing = await refusal { _ = try t.shop.product(p.id, as: t.asAna) }
        #expect(missing?.code == .notFound)
        let sale = await refusal { try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: p.id, quantity: 1)]), as: t.asAdmin) }
        #expect(sale?.code == .ruleBroken)
        await t.discard()
    }

    @Test func stockNeverGoesBelowZeroAndEveryChangeIsAMovement() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("Brigadeiro", stock: 3)
        try await t.shop.execute(Restock(productId: p.id, quantity: 7), as: t.asAdmin)
        try await t.shop.execute(AdjustStock(productId: p.id, delta: -2, note: "quebrou"), as: t.asAdmin)
        let tooMuch = await refusal { try await t.shop.execute(AdjustStock(productId: p.id, delta: -9), as: t.asAdmin) }
        #expect(tooMuch?.code == .insufficientStock)
        #expect(tooMuch?.shortItems == [.init(productId: p.id, requested: 9, available: 8)])
        let badReason = await refusal { try await t.shop.execute(AdjustStock(productId: p.id, delta: -1, reason: .restock), as: t.asAdmin) }
        #expect(badReason?.code == .ruleBroken && badReason?.field == "delta")  // well-formed fields that disagree: 422
        #expect(try t.shop.product(p.id, as: t.asAdmin).value.stock == 8)
        #expect(try t.shop.stockMovements(of: p.id, as: t.asAdmin).items.map(\.value.delta) == [-2, 7, 3])
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }

    @Test func searchMatchesPrefixesFirstThenAnyPartIgnoringCaseAndAccents() async throws {
        let t = try await TestShop.make()
        for name in ["Pão de Queijo", "Queijo Quente", "Pastel de Queijo", "Coxinha"] { _ = try await t.product(name) }
        let names = try t.shop.products(search: "QUEIJO", as: t.asAna).items.map(\.value.name)
        #expect(names == ["Queijo Quente", "Pão de Queijo", "Pastel de Queijo"])
        #expect(try t.shop.products(search: "pao", as: t.asAna).items.map(\.value.name) == ["Pão de Queijo"])
        #expect(try t.shop.products(search: "xyz", as: t.asAna).items.isEmpty)
        let first = try t.shop.products(page: PageRequest(limit: 3), as: t.asAna)
        let rest = try t.shop.products(page: PageRequest(limit: 3, cursor: first.next), as: t.asAna)
        #expect(first.items.count == 3 && rest.items.count == 1 && rest.next == nil)
        await t.discard()
    }

    @Test func crossingTheThresholdTellsEveryAdminOnce() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("Coxinha", stock: 5, threshold: 2)
        try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: p.id, quantity: 2)]), as: t.asAdmin)  // 3 left
        try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: p.id, quantity: 1)]), as: t.asAdmin)  // 2: low
        try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: p.id, quantity: 1)]), as: t.asAdmin)  // 1: still low
        for principal in [t.asAdmin, t.asOwner] {
            let (page, unread) = try t.shop.notifications(as: principal)
            #expect(page.items.filter { $0.value.kind == "low_stock" }.count == 1)
            #expect(unread == page.items.filter { !$0.value.read }.count)
        }
        #expect(try t.shop.notifications(as: t.asBruno).page.items.isEmpty)
        #expect(try t.shop.inventory(as: t.asAdmin).first?.isLow == true)
        await t.discard()
    }
}
