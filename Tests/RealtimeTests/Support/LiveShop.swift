import Foundation
import Realtime
import Shop
import Store
import Testing

/// A shop over a fresh store in a temporary folder, with a running hub, an owner, an admin
/// and two users.
struct LiveShop {
    let folder: String
    /// The store the shop lives in and the hub follows.
    let environment: Environment
    let shop: Shop
    let hub: Hub
    let pump: Task<Void, any Error>
    let owner: User
    let admin: User
    let ana: User
    let bruno: User

    static func make(hub configureHub: (inout HubConfiguration) -> Void = { _ in },
                     store configureStore: (inout StoreConfiguration) -> Void = { _ in }) async throws -> LiveShop {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-realtime-tests-\(UUID().uuidString)").path
        var storeConfiguration = StoreConfiguration.testing
        configureStore(&storeConfiguration)
        let env = try await Environment.open(at: folder, configuration: storeConfiguration)
        let settings = ShopSettings(ownerTelegramIds: [1_000], tokenSecret: Array(repeating: 7, count: 32))
        let shop = try await Shop.open(env, settings: settings)
        let owner = try await shop.execute(SeeTelegramUser(identity: .init(telegramId: 1_000, firstName: "Olga")), as: .system())
        var admin = try await shop.execute(SeeTelegramUser(identity: .init(telegramId: 2_000, firstName: "Adão")), as: .system())
        try await shop.execute(GrantRole(userId: admin.id, role: .admin), as: .system())
        admin.role = .admin
        let ana = try await shop.execute(SeeTelegramUser(identity: .init(telegramId: 3_000, firstName: "Ana")), as: .system())
        let bruno = try await shop.execute(SeeTelegramUser(identity: .init(telegramId: 4_000, firstName: "Bruno")), as: .system())
        var hubConfiguration = HubConfiguration()
        configureHub(&hubConfiguration)
        let hub = Hub(environment: env, configuration: hubConfiguration, queries: shop)
        let pump = Task { try await hub.run() }
        return LiveShop(folder: folder, environment: env, shop: shop, hub: hub, pump: pump, owner: owner, admin: admin, ana: ana, bruno: bruno)
    }

    var asAdmin: Principal { .user(admin.id, via: .rest) }
    var asOwner: Principal { .user(owner.id, via: .rest) }

    /// A new product; returns once the hub has fanned out its creation, so subscriptions
    /// made afterwards start after it.
    func product(_ name: String, stock: Int64 = 50, threshold: Int64 = 2) async throws -> Product {
        let product = try await shop.execute(CreateProduct(name: name, emoji: "🥟", category: "Salgados", price: 650, stock: stock,
                                                           lowStockThreshold: threshold), as: asAdmin)
        try await hubCaughtUp()
        return product
    }

    @discardableResult
    func buy(_ buyer: User, _ product: Product, _ quantity: Int64 = 1) async throws -> Sale {
        try await shop.execute(Buy(buyerId: buyer.id, items: [LineItem(productId: product.id, quantity: quantity)]), as: asAdmin)
    }

    /// Waits (bounded) until the hub has fanned out everything committed so far.
    func hubCaughtUp(within seconds: Double = 5, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let head = environment.head
        let deadline = ContinuousClock.now + .seconds(seconds)
        while hub.position < head {
            guard ContinuousClock.now < deadline else {
                Issue.record("the hub did not reach \(head) (at \(hub.position))", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Every event the changes after `after` map to, as the feed holds them: what the hub
    /// must deliver (tests filter it by topic and audience).
    func events(after: UInt64) throws -> [HubEvent] {
        let mapper = EventMapper()
        var events: [HubEvent] = []
        var cursor = after
        while true {
            let page = try environment.changes(after: cursor, limit: 500)
            guard let last = page.last else { return events }
            for change in page { events += try mapper.events(for: change) }
            cursor = last.sequence
        }
    }

    func discard() async {
        pump.cancel()
        _ = try? await pump.value
        await environment.close()
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// Reads frames until `done` says enough, or until `seconds` pass (then the test fails
/// unless `failOnTimeout` is false). Never waits longer than `seconds`.
func read(_ subscription: Subscription, within seconds: Double = 5, failOnTimeout: Bool = true,
          sourceLocation: SourceLocation = #_sourceLocation,
          until done: @escaping @Sendable ([Frame]) -> Bool) async -> [Frame] {
    let (frames, finished) = await withTaskGroup(of: ([Frame], Bool)?.self) { group in
        group.addTask {
            var frames: [Frame] = []
            while !done(frames) {
                guard let frame = await subscription.next() else { return (frames, true) }
                frames.append(frame)
            }
            return (frames, true)
        }
        group.addTask {
            try? await Task.sleep(for: .seconds(seconds))
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        if let first { return first }
        // The timer won: the reader returns what it had once cancelled.
        let rest = await group.next() ?? nil
        return (rest?.0 ?? [], false)
    }
    if !finished && failOnTimeout {
        Issue.record("timed out after \(seconds) s with \(frames.count) frames: \(frames.map(\.name))", sourceLocation: sourceLocation)
    }
    return frames
}

/// Reads `count` frames (bounded).
func read(_ subscription: Subscription, count: Int, within seconds: Double = 5, sourceLocation: SourceLocation = #_sourceLocation) async -> [Frame] {
    await read(subscription, within: seconds, sourceLocation: sourceLocation) { $0.count >= count }
}

/// A frame's JSON as a dictionary (fails the test when it is not a JSON object).
func json(_ frame: Frame, sourceLocation: SourceLocation = #_sourceLocation) -> [String: Any] {
    guard let object = try? JSONSerialization.jsonObject(with: Data(frame.bytes)) as? [String: Any] else {
        Issue.record("not a JSON object: \(frame.text)", sourceLocation: sourceLocation)
        return [:]
    }
    return object
}

/// A frame's `data` object.
func data(_ frame: Frame, sourceLocation: SourceLocation = #_sourceLocation) -> [String: Any] {
    json(frame, sourceLocation: sourceLocation)["data"] as? [String: Any] ?? [:]
}

/// Runs `body` with a fresh live shop and always discards it, even when `body` throws.
func withLiveShop(hub configureHub: (inout HubConfiguration) -> Void = { _ in },
                  store configureStore: (inout StoreConfiguration) -> Void = { _ in },
                  _ body: (LiveShop) async throws -> Void) async throws {
    let live = try await LiveShop.make(hub: configureHub, store: configureStore)
    do {
        try await body(live)
    } catch {
        await live.discard()
        throw error
    }
    await live.discard()
}
