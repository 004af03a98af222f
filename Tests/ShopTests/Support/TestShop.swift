import Foundation
import Store
import Testing
@testable import Shop

/// A shop over a fresh store in a temporary folder, with an owner, an admin and two users.
struct TestShop {
    let folder: String
    /// The store the shop was opened over, for white-box checks of what the commands stored.
    let environment: Environment
    let shop: Shop
    let owner: User
    let admin: User
    let ana: User
    let bruno: User

    static let ownerTelegramId: Int64 = 1_000

    static func make(_ configure: (inout StoreConfiguration) -> Void = { _ in }) async throws -> TestShop {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-shop-tests-\(UUID().uuidString)").path
        var configuration = StoreConfiguration.testing
        configure(&configuration)
        let env = try await Environment.open(at: folder, configuration: configuration)
        let settings = ShopSettings(ownerTelegramIds: [ownerTelegramId], tokenSecret: Array(repeating: 7, count: 32))
        let shop = try await Shop.open(env, settings: settings)
        let owner = try await shop.execute(SeeTelegramUser(identity: .init(telegramId: ownerTelegramId, firstName: "Olga", username: "olga")), as: .system())
        let admin = try await shop.execute(SeeTelegramUser(identity: .init(telegramId: 2_000, firstName: "Adão", username: "adao")), as: .system())
        try await shop.execute(GrantRole(userId: admin.id, role: .admin), as: .system())
        let ana = try await shop.execute(SeeTelegramUser(identity: .init(telegramId: 3_000, firstName: "Ana", lastName: "Souza", username: "ana")), as: .system())
        let bruno = try await shop.execute(SeeTelegramUser(identity: .init(telegramId: 4_000, firstName: "Bruno")), as: .system())
        return TestShop(folder: folder, environment: env, shop: shop, owner: owner, admin: try shop.user(admin.id, as: .system()).value, ana: ana, bruno: bruno)
    }

    var asOwner: Principal { .user(owner.id, via: .rest) }
    var asAdmin: Principal { .user(admin.id, via: .rest) }
    var asAna: Principal { .user(ana.id, via: .rest) }
    var asBruno: Principal { .user(bruno.id, via: .rest) }

    /// A product with `stock` units at `price`.
    func product(_ name: String, price: Int64 = 650, stock: Int64 = 10, threshold: Int64 = 2) async throws -> Product {
        try await shop.execute(CreateProduct(name: name, emoji: "🥟", category: "Salgados", price: price, stock: stock,
                                             lowStockThreshold: threshold), as: asAdmin)
    }

    func discard() async {
        await shop.close()
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// Runs `body` and returns the ShopError it threw (failing the test when it threw none or another).
func refusal(sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async -> ShopError? {
    do {
        try await body()
        Issue.record("expected a refusal", sourceLocation: sourceLocation)
        return nil
    } catch let error as ShopError {
        return error
    } catch {
        Issue.record("expected a ShopError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
