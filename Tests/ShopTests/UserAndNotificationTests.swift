import Foundation
import Store
import Testing
@testable import Shop

@Suite(.timeLimit(.minutes(3))) struct UserAndNotificationTests {
    @Test func configuredOwnersBecomeOwnersOnFirstSightAndOthersStartAsUsers() async throws {
        let t = try await TestShop.make()
        #expect(t.owner.role == .owner && t.ana.role == .user && t.admin.role == .admin)
        let again = try await t.shop.execute(SeeTelegramUser(identity: .init(telegramId: 3_000, firstName: "Ana", lastName: "Lima", username: "analima", languageCode: "en")), as: .system())
        #expect(again.id == t.ana.id && again.name == "Ana Lima" && again.username == "analima" && again.language == "en")
        await t.discard()
    }

    @Test func rolesChangeAtOnceAndTheLastOwnerStays() async throws {
        let t = try await TestShop.make()
        let before = await refusal { _ = try t.shop.inventory(as: t.asAna) }
        #expect(before?.code == .forbidden)
        try await t.shop.execute(GrantRole(userId: t.ana.id, role: .admin), as: t.asOwner)
        #expect(try t.shop.inventory(as: t.asAna).isEmpty)
        #expect(try t.shop.notifications(as: t.asAna).page.items.first?.value.kind == "role_changed")
        let lastOwner = await refusal { try await t.shop.execute(GrantRole(userId: t.owner.id, role: .admin), as: t.asOwner) }
        #expect(lastOwner?.code == .ruleBroken)
        let byAdmin = await refusal { try await t.shop.execute(GrantRole(userId: t.bruno.id, role: .admin), as: t.asAdmin) }
        #expect(byAdmin?.code == .forbidden)
        await t.discard()
    }

    @Test func aBlockedUserCanDoNothingUntilUnblocked() async throws {
        let t = try await TestShop.make()
        let tokens = try await t.shop.signIn(.init(telegramId: 4_000, firstName: "Bruno"), device: "phone", via: .anonymous(via: .rest))
        try await t.shop.execute(BlockUser(userId: t.bruno.id), as: t.asOwner)
        let order = await refusal { try await t.shop.execute(MarkAllRead(), as: t.asBruno) }
        #expect(order?.code == .userBlocked)
        let read = await refusal { _ = try t.shop.products(as: t.asBruno) }
        #expect(read?.code == .userBlocked)
        let signIn = await refusal { _ = try await t.shop.signIn(.init(telegramId: 4_000, firstName: "Bruno"), device: "phone", via: .anonymous(via: .rest)) }
        #expect(signIn?.code == .userBlocked)
        let refresh = await refusal { _ = try await t.shop.refresh(tokens.refreshToken, via: .anonymous(via: .rest)) }
        #expect(refresh?.code == .notAuthenticated)  // blocking ended the session
        let selfBlock = await refusal { try await t.shop.execute(BlockUser(userId: t.owner.id), as: t.asOwner) }
        #expect(selfBlock?.code == .ruleBroken)
        try await t.shop.execute(UnblockUser(userId: t.bruno.id), as: t.asOwner)
        #expect(try t.shop.products(as: t.asBruno).items.isEmpty)
        await t.discard()
    }

    @Test func notificationsReachTheirRoleAndAreReadOneByOneOrAll() async throws {
        let t = try await TestShop.make()
        let reached = try await t.shop.execute(Notify(recipient: .role(.user), title: "Fechado amanhã", body: "Feriado"), as: t.asAdmin)
        #expect(reached == 4)
        try await t.shop.execute(Notify(recipient: .user(t.ana.id), title: "Oi", body: ""), as: t.asAdmin)
        var (page, unread) = try t.shop.notifications(as: t.asAna)
        #expect(unread == 2 && page.items.count == 2)
        let first = try #require(page.items.first)
        let read = try await t.shop.execute(MarkRead(notificationId: first.key), as: t.asAna)
        #expect(read.read)
        let others = await refusal { try await t.shop.execute(MarkRead(notificationId: first.key), as: t.asBruno) }
        #expect(others?.code == .notFound)
        #expect(try t.shop.notifications(as: t.asAna).unread == 1)
        #expect(try await t.shop.execute(MarkAllRead(), as: t.asAna) == 1)
        (page, unread) = try t.shop.notifications(unreadOnly: true, as: t.asAna)
        #expect(unread == 0 && page.items.isEmpty)
        let byUser = await refusal { try await t.shop.execute(Notify(recipient: .role(.user), title: "x", body: ""), as: t.asAna) }
        #expect(byUser?.code == .forbidden)
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }

    @Test func theCommandsARoleMayRunFollowTheContract() {
        #expect(CommandCatalog.commands(for: .user).map(\.name) == ["start", "commands", "login", "lista_produtos", "dividas", "pedido", "meusdados"])
        #expect(CommandCatalog.commands(for: .admin).count == 17)  // /dividas is already a user command; 14 + /atrasadas, /cobrar, /meusdados
        #expect(CommandCatalog.commands(for: .owner).count == CommandCatalog.all.count)
        #expect(CommandCatalog.commands(for: .owner).suffix(5).map(\.name) == ["user", "product", "smartcontract", "transactions", "backup"])
    }
}
