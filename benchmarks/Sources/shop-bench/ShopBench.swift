import BenchSupport
import Foundation
import Shop
import Store

/// The shop benchmark: durable purchases from many concurrent buyers, and dashboard and
/// report latency over a million sales, from kept counters beside a full scan.
@main
struct ShopBench {
    static func main() async {
        let options: ShopBenchOptions
        do {
            options = try ShopBenchOptions(parsing: Array(CommandLine.arguments.dropFirst()))
        } catch {
            progress("shop-bench: \(error)\n\n" + ShopBenchOptions.usage)
            exit(2)
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-shop-bench-\(UUID().uuidString)").path
        do {
            let loadBefore = Machine.loadAverage()
            let started = ContinuousClock.now
            let buys = try await DurableBuyBenchmark(folder: folder + "/buys", buyers: options.buyers, buys: options.buys).run()
            let reads = try await DashboardBenchmark(folder: folder + "/reads", sales: options.sales, repeats: options.repeats).run()
            try? FileManager.default.removeItem(atPath: folder)
            print(ShopBenchReport(options: options, buys: buys, reads: reads, folder: folder, loadBefore: loadBefore,
                                  loadAfter: Machine.loadAverage(), elapsed: ContinuousClock.now - started).render())
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            progress("shop-bench: \(error)")
            exit(1)
        }
    }
}

/// What to run, from the command line.
struct ShopBenchOptions {
    var buyers = 64
    var buys = 40_000
    var sales = 1_000_000
    var repeats = 200
    var quick = false

    static let usage = """
        usage: shop-bench [--quick] [--buyers N] [--buys N] [--sales N] [--repeats N]
          --buyers   concurrent buyers in the durable purchase run (64)
          --buys     purchases in that run (40,000)
          --sales    sales in the store for the dashboard and report run (1,000,000)
          --repeats  timed calls of each counter-backed query (200; full scans run 3 times)
          --quick    2,000 purchases, 20,000 sales, 20 repeats: a smoke test
        """

    init(parsing arguments: [String]) throws {
        var i = 0
        func number() throws -> Int {
            i += 1
            guard i < arguments.count, let n = Int(arguments[i].replacingOccurrences(of: "_", with: "")), n > 0 else {
                throw BenchError("\(arguments[i - 1]) needs a positive number")
            }
            return n
        }
        if arguments.contains("--quick") {
            quick = true
            buys = 2_000
            sales = 20_000
            repeats = 20
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--buyers": buyers = try number()
            case "--buys": buys = try number()
            case "--sales": sales = try number()
            case "--repeats": repeats = try number()
            case "--quick": break
            default: throw BenchError("unknown option \(arguments[i])")
            }
            i += 1
        }
    }

    var commandLine: String {
        (["swift run -c release --package-path benchmarks shop-bench"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
    }
}

/// A shop over its own store in `folder`, with `buyers` customers, an admin who sells, and
/// `products` products with plenty of stock.
struct BenchShop {
    let shop: Shop
    let admin: Principal
    let buyers: [UInt64]
    let products: [UInt64]

    static func make(folder: String, durability: StoreConfiguration.Durability, buyers: Int, products: Int) async throws -> BenchShop {
        var configuration = StoreConfiguration()
        configuration.durability = durability
        configuration.mapSize = 1 << 30
        // A shop keeps recent history for reconnecting dashboards, not every change forever.
        configuration.feedRetention = FeedRetention(maxCount: 200_000)
        let env = try await Environment.open(at: folder, configuration: configuration)
        let shop = try await Shop.open(env, settings: ShopSettings(ownerTelegramIds: [1], tokenSecret: Array(repeating: 3, count: 32)))
        let system = Principal.system()
        _ = try await shop.execute(SeeTelegramUser(identity: .init(telegramId: 1, firstName: "Dona")), as: system)
        let seller = try await shop.execute(SeeTelegramUser(identity: .init(telegramId: 2, firstName: "Caixa")), as: system)
        try await shop.execute(GrantRole(userId: seller.id, role: .admin), as: system)
        var buyerIds: [UInt64] = []
        for n in 0..<buyers {
            buyerIds.append(try await shop.execute(SeeTelegramUser(identity: .init(telegramId: Int64(1_000 + n), firstName: "Cliente \(n)")), as: system).id)
        }
        var productIds: [UInt64] = []
        for n in 0..<products {
            productIds.append(try await shop.execute(CreateProduct(
                name: "Produto \(n)", emoji: "🥟", category: "Categoria \(n % 6)", price: Int64(300 + 50 * (n % 20)),
                stock: 1_000_000, lowStockThreshold: 0), as: system).id)
        }
        return BenchShop(shop: shop, admin: .user(seller.id, via: .rest), buyers: buyerIds, products: productIds)
    }

    /// A purchase of one or two products by one buyer, drawn from `rng`.
    func randomBuy(_ rng: inout SplitMix64) -> Buy {
        let first = Int(rng.next() % UInt64(products.count))
        var items = [LineItem(productId: products[first], quantity: Int64(1 + rng.next() % 3))]
        if rng.next() % 2 == 0 {
            items.append(LineItem(productId: products[(first + 1 + Int(rng.next() % UInt64(products.count - 1))) % products.count], quantity: 1))
        }
        return Buy(buyerId: buyers[Int(rng.next() % UInt64(buyers.count))], items: items)
    }
}
