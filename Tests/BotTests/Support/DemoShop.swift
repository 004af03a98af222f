import Bot
import Foundation
import Shop
import Store
import Testing

/// The demo shop (`fixtures/demo-shop.json`) in a fresh store, with the bot's conversation over it.
struct DemoShop {
    static let ownerTelegramId: Int64 = 6_299_497_812   // Ana Paula Souza
    static let adminTelegramId: Int64 = 2_329_673_195   // Bruno Carvalho
    static let userTelegramId: Int64 = 5_309_476_566    // Diego Ferreira
    static let englishUserTelegramId: Int64 = 5_329_249_287  // Rafael Nunes, language "en"

    let folder: String
    /// The store the shop and the bot's bookkeeping live in.
    let environment: Store.Environment
    let shop: Shop
    let conversation: Conversation

    /// `configure` adjusts the store's test configuration (no fsync, 8 MiB map).
    static func make(store configure: (inout StoreConfiguration) -> Void = { _ in }) async throws -> DemoShop {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-bot-tests-\(UUID().uuidString)").path
        var configuration = StoreConfiguration.testing
        configure(&configuration)
        let env = try await Store.Environment.open(at: folder, configuration: configuration)
        let shop = try await Shop.open(env, settings: ShopSettings(tokenSecret: Array(repeating: 7, count: 32)))
        let json = try Data(contentsOf: packageRoot.appendingPathComponent("fixtures/demo-shop.json"))
        _ = try await ShopImport.run(json, into: shop)
        let conversation = try await Conversation.open(shop: shop, environment: env, settings: ConversationSettings(
            publicURL: "https://shop.example", backupFolder: folder + "-backups"))
        return DemoShop(folder: folder, environment: env, shop: shop, conversation: conversation)
    }

    func discard() async {
        await environment.close()
        try? FileManager.default.removeItem(atPath: folder)
        try? FileManager.default.removeItem(atPath: folder + "-backups")
    }

    /// The principal the bot acts for when the person with this Telegram id writes.
    func principal(_ telegramId: Int64) throws -> Principal {
        let user = try #require(try shop.user(telegramId: telegramId, as: .system()))
        return .user(user.key, via: .bot)
    }

    func user(_ telegramId: Int64) throws -> User {
        try #require(try shop.user(telegramId: telegramId, as: .system())).value
    }

    /// Runs a line as typed in the chat by the person with this Telegram id.
    func say(_ line: String, from telegramId: Int64, language: Language = .pt, key: String? = nil) async throws -> Reply {
        var request = try #require(ChatRequest(line: line, principal: try principal(telegramId), language: language))
        request.idempotencyKey = key
        return await conversation.run(request)
    }

    /// The feed position of the last notice the shop wrote after `sequence`: the notifier has
    /// handled them all once its stored position reaches it.
    func lastNotice(after sequence: UInt64) throws -> UInt64 {
        try #require(try shop.changes(after: sequence, limit: 10_000).last { $0.collection == "notifications" }?.sequence,
                     "no notice after \(sequence)")
    }

    func product(named name: String) throws -> Stored<Product> {
        try #require(try shop.products(search: name, as: .system()).items.first)
    }
}

extension Reply {
    /// The reply's data as a JSON object.
    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: try data.json()) as? [String: Any])
    }

    /// Every command line the reply's buttons run.
    var buttonLines: [String] {
        keyboard.flatMap { $0 }.compactMap { if case .command(let line) = $0.action { line } else { nil } }
    }
}
