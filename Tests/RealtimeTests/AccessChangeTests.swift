import Foundation
@testable import Realtime
import Shop
import Store
import Testing

/// The hub follows role changes, blocks and ended sessions in the change feed: what a
/// subscription holds after one is exactly what the caller's new state allows.
@Suite(.timeLimit(.minutes(1)))
struct AccessChangeTests {
    @Test func aDemotedAdminLosesQueuedAndReplayedEventsAndTheAdminTopics() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            let before = live.environment.head
            // History the replay would send: a sale for Ana (admins see it), then one for the admin.
            try await live.buy(live.ana, coxinha)
            try await live.hubCaughtUp()
            // Live: queued, not read yet.
            let queued = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["sales", "presence"])
            // Replay: asked for from `before`, not read yet.
            let replaying = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["sales", "presence"], since: before)
            try await live.buy(live.bruno, coxinha)
            try await live.hubCaughtUp()
            #expect(queued.topics == ["sales", "presence"])

            _ = try await live.shop.execute(GrantRole(userId: live.admin.id, role: .user), as: live.asOwner)
            for buyer in [live.admin, live.ana] {
                _ = try await live.shop.execute(Buy(buyerId: buyer.id, items: [LineItem(productId: coxinha.id, quantity: 1)]), as: live.asOwner)
            }
            try await live.hubCaughtUp()

            for subscription in [queued, replaying] {
                let frames = await read(subscription, count: 3)
                // Nothing of Ana's or Bruno's, queued or replayed: the access frame, then the
                // admin's own sale and debt.
                #expect(frames.map(\.name) == ["user", "new_sale", "debt_update"])
                #expect(frames.first?.kind == .access)
                #expect(json(frames[0])["topics"] as? [String] == ["sales"])
                #expect((data(frames[1])["sale"] as? [String: Any])?["buyerId"] as? String == "u\(live.admin.id)")
                #expect(subscription.role == .user && subscription.topics == ["sales"])
                subscription.unsubscribe()
            }
        }
    }

    @Test func aPromotedUserMaySubscribeToTheAdminTopics() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            let ana = live.hub.subscribe(user: live.ana.id, role: .user, topics: ["sales", "presence"])
            #expect(ana.topics == ["sales"], "presence is for admins")
            _ = try await live.shop.execute(GrantRole(userId: live.ana.id, role: .admin), as: live.asOwner)
            try await live.buy(live.bruno, coxinha)
            let frames = await read(ana, count: 3)
            #expect(frames.map(\.name) == ["admin", "new_sale", "debt_update"])
            ana.update(topics: ["sales", "presence"])
            #expect(ana.topics == ["sales", "presence"])
            ana.unsubscribe()
        }
    }

    @Test func aBlockOrAnEndedSessionEndsTheCallersSubscriptionsAndNoOneElses() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            let grant = try await live.shop.execute(SignIn(identity: .init(telegramId: 3_000, firstName: "Ana"), device: "phone"), as: .system())
            let other = try await live.shop.execute(SignIn(identity: .init(telegramId: 3_000, firstName: "Ana"), device: "laptop"), as: .system())
            let phone = live.hub.subscribe(user: live.ana.id, session: grant.sessionId, role: .user, topics: ["sales"])
            let laptop = live.hub.subscribe(user: live.ana.id, session: other.sessionId, role: .user, topics: ["sales"])
            let bruno = live.hub.subscribe(user: live.bruno.id, role: .user, topics: ["sales"])

            _ = try await live.shop.execute(Logout(sessionId: grant.sessionId), as: .user(live.ana.id, via: .rest))
            try await live.hubCaughtUp()
            #expect(await read(phone, count: 2).map(\.name) == ["session_ended"], "the phone's session ended, with nothing after")
            try await live.buy(live.ana, coxinha)
            #expect(await read(laptop, count: 2).map(\.name) == ["new_sale", "debt_update"], "the laptop's session goes on")

            _ = try await live.shop.execute(BlockUser(userId: live.ana.id), as: live.asOwner)
            try await live.buy(live.bruno, coxinha)
            #expect(await read(laptop, count: 2).map(\.name) == ["user_blocked"])
            #expect(await read(bruno, count: 2).map(\.name) == ["new_sale", "debt_update"], "Bruno is not concerned")

            // A subscription made with a role read before a change the hub already fanned out.
            let asOf = live.environment.head
            _ = try await live.shop.execute(UnblockUser(userId: live.ana.id), as: live.asOwner)
            _ = try await live.shop.execute(GrantRole(userId: live.ana.id, role: .admin), as: live.asOwner)
            try await live.hubCaughtUp()
            let late = live.hub.subscribe(user: live.ana.id, role: .user, accessAsOf: asOf, topics: ["sales", "presence"])
            #expect(late.role == .admin)
            late.unsubscribe()
            bruno.unsubscribe()
        }
    }
}
