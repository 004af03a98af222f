import Foundation
import Store
import Testing
@testable import Shop

@Suite(.timeLimit(.minutes(3))) struct SessionTests {
    let anonymous = Principal.anonymous(via: .rest, clientAddress: "127.0.0.1")

    @Test func signingInGivesAnAccessTokenThatNamesTheUserAndRole() async throws {
        let t = try await TestShop.make()
        let tokens = try await t.shop.signIn(.init(telegramId: TestShop.ownerTelegramId, firstName: "Olga"), device: "browser", via: anonymous)
        #expect(tokens.user.id == t.owner.id && tokens.expiresIn == 900)
        let who = try await t.shop.authenticate(tokens.accessToken)
        #expect(who.userId == t.owner.id && who.role == .owner)
        var forged = tokens.accessToken
        forged.removeLast(2)
        let refused = await refusal { _ = try await t.shop.authenticate(forged + "xx") }
        #expect(refused?.code == .notAuthenticated)
        let other = try await Shop.open(t.environment, settings: ShopSettings(tokenSecret: Array(repeating: 9, count: 32)))
        let otherKey = await refusal { _ = try await other.authenticate(tokens.accessToken) }
        #expect(otherKey?.code == .notAuthenticated)
        await t.discard()
    }

    @Test func aTokenVerifiedBeforeIsStillRefusedOnceItExpires() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-shop-expiry-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let environment = try await Environment.open(at: folder, configuration: .testing)
        let shop = try await Shop.open(environment, settings: ShopSettings(ownerTelegramIds: [TestShop.ownerTelegramId], tokenSecret: Array(repeating: 7, count: 32),
                                                                           accessTokenLifetime: 1))
        let tokens = try await shop.signIn(.init(telegramId: TestShop.ownerTelegramId, firstName: "Olga"), device: "browser", via: anonymous)
        // Verified (and remembered) twice while it is valid…
        _ = try await shop.authenticate(tokens.accessToken)
        _ = try await shop.authenticate(tokens.accessToken)
        // …and refused once its second has passed.
        try await Task.sleep(for: .milliseconds(1_200))
        let refused = await refusal { _ = try await shop.authenticate(tokens.accessToken) }
        #expect(refused?.code == .notAuthenticated)
        await environment.close()
    }

    @Test func refreshTokensRotateAndAReusedOneEndsTheWholeFamily() async throws {
        let t = try await TestShop.make()
        let first = try await t.shop.signIn(.init(telegramId: 3_000, firstName: "Ana"), device: "phone", via: anonymous)
        let second = try await t.shop.refresh(first.refreshToken, via: anonymous)
        #expect(second.refreshToken != first.refreshToken)
        let third = try await t.shop.refresh(second.refreshToken, via: anonymous)

        // The first token comes back: it leaked. Every session of its family ends.
        let reuse = await refusal { _ = try await t.shop.refresh(first.refreshToken, via: anonymous) }
        #expect(reuse?.code == .notAuthenticated)
        let afterReuse = await refusal { _ = try await t.shop.refresh(third.refreshToken, via: anonymous) }
        #expect(afterReuse?.code == .notAuthenticated)
        // Another device's family is untouched.
        let laptop = try await t.shop.signIn(.init(telegramId: 3_000, firstName: "Ana"), device: "laptop", via: anonymous)
        _ = try await t.shop.refresh(laptop.refreshToken, via: anonymous)
        let garbage = await refusal { _ = try await t.shop.refresh("12.nope", via: anonymous) }
        #expect(garbage?.code == .notAuthenticated)
        await t.discard()
    }

    @Test func loggingOutEndsTheSession() async throws {
        let t = try await TestShop.make()
        let tokens = try await t.shop.signIn(.init(telegramId: 3_000, firstName: "Ana"), device: "phone", via: anonymous)
        let who = try await t.shop.authenticate(tokens.accessToken)
        #expect(try await t.shop.execute(Logout(sessionId: who.sessionId), as: .user(who.userId, via: .rest)) == 1)
        let after = await refusal { _ = try await t.shop.refresh(tokens.refreshToken, via: anonymous) }
        #expect(after?.code == .notAuthenticated)
        await t.discard()
    }

    @Test func aLoginCodeWorksOnceAndNotAfterItExpires() async throws {
        let t = try await TestShop.make()
        let code = try await t.shop.execute(IssueLoginCode(), as: t.asAna)
        let tokens = try await t.shop.redeemLoginCode(code, device: "browser", via: anonymous)
        #expect(tokens.user.id == t.ana.id)
        let twice = await refusal { _ = try await t.shop.redeemLoginCode(code, device: "browser", via: anonymous) }
        #expect(twice?.code == .notAuthenticated && twice?.field == "code")
        let old = try await t.shop.execute(IssueLoginCode(), as: t.asAna, at: Date().addingTimeInterval(-3_600))
        let expired = await refusal { _ = try await t.shop.redeemLoginCode(old, device: "browser", via: anonymous) }
        #expect(expired?.code == .notAuthenticated)
        let anonymousCode = await refusal { _ = try await t.shop.execute(IssueLoginCode(), as: anonymous) }
        #expect(anonymousCode?.code == .notAuthenticated)
        await t.discard()
    }
}
