import Foundation
import Store
import Testing
@testable import Shop

/// A command answers what it stored: the record's version as the store keeps it and the feed
/// sequence of its commit, also when an idempotent retry replays it.
@Suite(.timeLimit(.minutes(2))) struct CommittedTests {
    @Test func aCommandAnswersTheStoredVersionAndItsCommitsSequence() async throws {
        let t = try await TestShop.make()
        let created = try await t.shop.run(CreateProduct(name: "Bolo", price: 900, stock: 8), as: t.asAdmin)
        let stored = try t.shop.product(created.id, as: t.asAdmin).version
        #expect(created.version == stored)
        #expect(created.sequence == t.shop.feedHead)
        let restocked = try await t.shop.run(Restock(productId: created.id, quantity: 2), as: t.asAdmin)
        #expect(restocked.stock == 10 && (restocked.version ?? 0) > (created.version ?? 0))
        let restored = try t.shop.product(created.id, as: t.asAdmin).version
        #expect(restocked.version == restored)
        #expect(restocked.sequence == t.shop.feedHead && restocked.sequence! > created.sequence!)
        // A count is no record: no version, still a place in the feed.
        let marked = try await t.shop.run(MarkAllRead(), as: t.asAdmin)
        #expect(marked.version == nil && marked.sequence == t.shop.feedHead)
        await t.discard()
    }

    @Test func anIdempotentReplayAnswersTheFirstRunsVersionAndSequence() async throws {
        let t = try await TestShop.make()
        let product = try await t.shop.execute(CreateProduct(name: "Pão", price: 300, stock: 20), as: t.asAdmin)
        let first = try await t.shop.run(Buy(buyerId: t.ana.id, items: [LineItem(productId: product.id, quantity: 2)]), as: t.asAdmin, idempotencyKey: "k1")
        try await t.shop.execute(Restock(productId: product.id, quantity: 1), as: t.asAdmin)
        let replay = try await t.shop.run(Buy(buyerId: t.ana.id, items: [LineItem(productId: product.id, quantity: 2)]), as: t.asAdmin, idempotencyKey: "k1")
        #expect(replay.value == first.value && replay.version == first.version && replay.sequence == first.sequence)
        #expect(replay.sequence! < t.shop.feedHead)
        await t.discard()
    }

    @Test func aUserUpdateAppliesAllOfItOrNone() async throws {
        let t = try await TestShop.make()
        try await t.shop.execute(GrantRole(userId: t.admin.id, role: .owner), as: t.asOwner)
        // With a second owner the owner may step down, but not block themself: neither happens.
        let head = t.shop.feedHead
        await #expect(throws: ShopError.self) {
            try await t.shop.execute(UpdateUser(userId: t.owner.id, role: .admin, blocked: true), as: t.asOwner)
        }
        let owner = try t.shop.user(t.owner.id, as: t.asOwner).value
        #expect(owner.role == .owner && !owner.blocked)
        #expect(try t.shop.changes(after: head).allSatisfy { $0.collection == "audit" })
        let both = try await t.shop.run(UpdateUser(userId: t.bruno.id, role: .admin, blocked: true), as: t.asOwner)
        let stored = try t.shop.user(t.bruno.id, as: t.asOwner).version
        #expect(both.role == .admin && both.blocked && both.version == stored)
        await t.discard()
    }
}
