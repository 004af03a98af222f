import Foundation
import Realtime
import Shop
import Store

/// A small shop over a store in a temporary folder, for the targets that run real commands:
/// an owner, an admin and a customer, three products, a sale, an order, a contract and a
/// notification, so that ids such as `p1`, `u3`, `o1`, `k1` and `n1` name real records.
///
/// The fuzzer's commands change it as they go (that is the point); ``restoreOwner()`` undoes
/// the one change that would stall every later input: the owner losing the role or being blocked.
public struct FuzzShop: Sendable {
    public static let botToken = "42:FUZZ-TOKEN"
    public static let ownerTelegramId: Int64 = 1_000
    public static let adminTelegramId: Int64 = 2_000
    public static let customerTelegramId: Int64 = 3_000

    public let folder: String
    /// The store the shop and the bot's dialogues live in.
    public let store: Environment
    public let shop: Shop
    public let hub: Hub
    public let owner: UInt64
    public let admin: UInt64
    public let customer: UInt64
    /// Access tokens, for the routes and the socket.
    public let ownerToken: String
    public let customerToken: String

    /// Opens a new shop in `$TMPDIR` (run.sh points it at a folder it deletes afterwards).
    public static func make() async throws -> FuzzShop {
        let folder = newFolder()
        let env = try await Environment.open(at: folder, configuration: storeConfiguration)
        let shop = try await Shop.open(env, settings: settings)
        return try await seed(shop, store: env, hub: Hub(environment: env, queries: shop), folder: folder)
    }

    /// A new folder name in `$TMPDIR`, for the store.
    public static func newFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tenda-fuzz-\(UUID().uuidString)").path
    }

    /// How ``make()`` opens the store, for a target that builds the whole application over it.
    public static var storeConfiguration: StoreConfiguration {
        var configuration = StoreConfiguration.testing
        configuration.mapSize = 64 << 20
        return configuration
    }

    /// The shop's settings: the owner named ahead, and tokens that outlive any fuzzing session.
    public static var settings: ShopSettings {
        ShopSettings(ownerTelegramIds: [ownerTelegramId], tokenSecret: Array(repeating: 9, count: 32), accessTokenLifetime: 365 * 86_400)
    }

    /// Fills a new, empty shop (in `folder`) with the records the inputs' ids name.
    public static func seed(_ shop: Shop, store: Environment, hub: Hub, folder: String) async throws -> FuzzShop {
        let anonymous = Principal.anonymous(via: .rest)
        let ownerTokens = try await shop.signIn(TelegramIdentity(telegramId: ownerTelegramId, firstName: "Ana", username: "ana"), device: "fuzz", via: anonymous)
        let adminTokens = try await shop.signIn(TelegramIdentity(telegramId: adminTelegramId, firstName: "Bruno", username: "bruno"), device: "fuzz", via: anonymous)
        let customerTokens = try await shop.signIn(TelegramIdentity(telegramId: customerTelegramId, firstName: "Diego", username: "diego", languageCode: "en"),
                                                   device: "fuzz", via: anonymous)
        let system = Principal.system()
        let owner = Principal.user(ownerTokens.user.id, via: .rest)
        try await shop.execute(GrantRole(userId: adminTokens.user.id, role: .admin), as: system)
        let coxinha = try await shop.execute(CreateProduct(name: "Coxinha", emoji: "🍗", category: "Salgados", price: 650, stock: 40), as: owner)
        let pao = try await shop.execute(CreateProduct(name: "Pão de Queijo", category: "Salgados", price: 450, stock: 3, lowStockThreshold: 5), as: owner)
        _ = try await shop.execute(CreateProduct(name: "Guaraná", emoji: "🥤", category: "Bebidas", price: 700, stock: 0), as: owner)
        let customer = Principal.user(customerTokens.user.id, via: .rest)
        _ = try await shop.execute(Buy(buyerId: customerTokens.user.id, items: [LineItem(productId: coxinha.id, quantity: 2)]), as: owner)
        _ = try await shop.execute(PlaceOrder(items: [LineItem(productId: pao.id, quantity: 1)]), as: customer)
        _ = try await shop.execute(CreateContract(title: "Festa", terms: "100 coxinhas no sábado", amount: 65_000,
                                                  parties: [ContractPartyInput(userId: customerTokens.user.id, part: "cliente"),
                                                            ContractPartyInput(userId: adminTokens.user.id, part: "cozinha")],
                                                  requiredConfirmations: 1), as: owner)
        _ = try await shop.execute(Notify(recipient: .role(.user), title: "Aberto", body: "Hoje até as 18h"), as: owner)
        return FuzzShop(folder: folder, store: store, shop: shop, hub: hub,
                        owner: ownerTokens.user.id, admin: adminTokens.user.id, customer: customerTokens.user.id,
                        ownerToken: ownerTokens.accessToken, customerToken: customerTokens.accessToken)
    }

    /// Gives the owner back the owner role and unblocks them, when an input took either away.
    public func restoreOwner() async {
        guard let user = try? shop.user(owner, as: .system()).value, user.role != .owner || user.blocked else { return }
        _ = try? await shop.execute(GrantRole(userId: owner, role: .owner), as: .system())
        _ = try? await shop.execute(UnblockUser(userId: owner), as: .system())
    }

    /// Deletes the store when the process exits (libFuzzer ends it with `exit`).
    public func removeAtExit() {
        FuzzShop.folderToRemove = folder
        atexit {
            if let folder = FuzzShop.folderToRemove { try? FileManager.default.removeItem(atPath: folder) }
        }
    }

    /// Read only from the exit handler, after every fuzzing thread is done.
    nonisolated(unsafe) private static var folderToRemove: String?
}
