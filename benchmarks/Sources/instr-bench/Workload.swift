import BenchSupport
import Foundation
import Hummingbird
import Realtime
import Server
import Shop
import Store
import TendaApp

/// What `tenda serve` runs, built by its own composition root in this process over a fresh
/// store in a temporary folder, listening on a loopback port, with fixed data: an owner, a
/// seller (admin), `buyers` customers and `products` products with plenty of stock.
///
/// The store is opened as `serve` opens it (`StoreConfiguration()`: full durability, every
/// commit fsynced before its caller hears back). The rate limits are lifted: one client
/// sends every request of the product-list phase.
struct Workload {
    let folder: String
    let app: TendaApplication
    let port: Int
    /// The admin the purchases and restocks are made by.
    let seller: Principal
    let buyers: [UInt64]
    let products: [UInt64]
    /// The first buyer's access token, for the product-list GETs.
    let buyerToken: String
    private let running: Task<Void, any Error>

    static let tokenSecret = [UInt8](repeating: 3, count: 32)

    static func start(buyers buyerCount: Int, products productCount: Int) async throws -> Workload {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-instr-bench-\(UUID().uuidString)").path
        let port = try freePort()
        let unlimited = (burst: 1e9, perSecond: 1e9)
        let server = ServerConfiguration(host: "127.0.0.1", port: port, userRateLimit: unlimited, addressRateLimit: unlimited)
        // The default logger logs at `.info`, as `serve`'s does.
        let configuration = AppConfiguration(dataFolder: folder, shop: ShopSettings(ownerTelegramIds: [1], tokenSecret: tokenSecret),
                                             store: StoreConfiguration(), server: server)
        let app = try await buildApplication(configuration: configuration)
        // SIGTERM is how ``stop()`` ends it, as a service manager ends `serve`.
        let running = Task { try await app.runService(gracefulShutdownSignals: [.sigterm]) }

        let shop = app.shop
        let system = Principal.system()
        _ = try await shop.execute(SeeTelegramUser(identity: .init(telegramId: 1, firstName: "Dona")), as: system)
        let seller = try await shop.execute(SeeTelegramUser(identity: .init(telegramId: 2, firstName: "Caixa")), as: system)
        try await shop.execute(GrantRole(userId: seller.id, role: .admin), as: system)
        var buyers: [UInt64] = []
        for n in 0..<buyerCount {
            let identity = TelegramIdentity(telegramId: Int64(1_000 + n), firstName: "Cliente \(n)")
            buyers.append(try await shop.execute(SeeTelegramUser(identity: identity), as: system).id)
        }
        var products: [UInt64] = []
        for n in 0..<productCount {
            products.append(try await shop.execute(CreateProduct(
                name: "Produto \(n)", emoji: "🥟", category: "Categoria \(n % 6)", price: Int64(300 + 50 * (n % 20)),
                stock: 1_000_000, lowStockThreshold: 0), as: system).id)
        }
        let tokens = try await shop.signIn(.init(telegramId: 1_000, firstName: "Cliente 0"), device: "instr-bench", via: .anonymous(via: .rest))
        let workload = Workload(folder: folder, app: app, port: port, seller: .user(seller.id, via: .rest), buyers: buyers,
                                products: products, buyerToken: tokens.accessToken, running: running)
        try await workload.waitUntilServing()
        return workload
    }

    /// Waits (up to a minute: valgrind is slow) until the server answers `/health`.
    private func waitUntilServing() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            if let answer = try? HTTPConnection(port: port).request("GET", "/health"), answer.status == 200 { return }
            guard ContinuousClock.now < deadline else { throw BenchError("the server on port \(port) did not answer /health within 60 s") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits until the hub has fanned out every change committed so far, so that no phase
    /// pays for the one before it (and a phase's own fan-out is inside it).
    ///
    /// The hub signals nothing, so it is asked every millisecond: each ask costs a few thousand
    /// instructions, which is what the runs' small differences come from.
    func hubSettled() async throws {
        let head = app.environment.head
        while app.hub.settledPosition < head {
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Shuts the application down gracefully (the store closes last) and deletes the folder.
    func stop() async {
        kill(getpid(), SIGTERM)
        _ = try? await running.value
        try? FileManager.default.removeItem(atPath: folder)
    }
}
