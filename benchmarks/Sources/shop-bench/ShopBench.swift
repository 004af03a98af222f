import BenchSupport
import Foundation
import Shop
import Store

/// The shop benchmark: durable purchases from many concurrent buyers, and dashboard and
/// report latency over a million sales, from kept counters beside a full scan; with
/// `--startup`, `tenda serve`'s start-up; with `--auth`, what the revocation check costs.
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
            if options.auth {
                let bench = AuthBenchmark(folder: folder, users: options.users, sessions: options.sessions, hotTokens: options.hotTokens,
                                          calls: options.calls, rounds: options.quick ? 1 : 3, tenda: options.serve ? options.tenda : nil,
                                          wrkSeconds: options.wrkSeconds, profile: options.perf)
                let result = try await bench.run()
                try? FileManager.default.removeItem(atPath: folder)
                print(bench.report(result, options: options, loadBefore: loadBefore, loadAfter: Machine.loadAverage(),
                                   elapsed: ContinuousClock.now - started))
                return
            }
            if options.startup {
                let result = try await StartupBenchmark(folder: folder, sales: options.sales, tenda: options.tenda, runs: options.runs).run()
                try? FileManager.default.removeItem(atPath: folder)
                print(StartupBenchmark.report(result, options: options, loadBefore: loadBefore, loadAfter: Machine.loadAverage(),
                                              elapsed: ContinuousClock.now - started))
                return
            }
            let buys = try await DurableBuyBenchmark(folder: folder + "/buys", buyers: options.buyers, buys: options.buys).run()
            let unsynced = try await DurableBuyBenchmark(folder: folder + "/buys-nosync", buyers: options.buyers, buys: options.buys,
                                                         durability: .noSync).run()
            let reads = options.purchasesOnly ? nil
                : try await DashboardBenchmark(folder: folder + "/reads", sales: options.sales, repeats: options.repeats).run()
            try? FileManager.default.removeItem(atPath: folder)
            print(ShopBenchReport(options: options, buys: buys, unsynced: unsynced, reads: reads, folder: folder, loadBefore: loadBefore,
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
    /// Only the purchase runs, not the dashboard and reports (`--purchases-only`).
    var purchasesOnly = false
    /// Time `tenda serve` to its first /health instead (on an empty folder and on `sales` sales).
    var startup = false
    var runs = 5
    /// Weigh the revocation check instead: `checkToken` against `authenticate`, then `GET /api/products` on `tenda serve`.
    var auth = false
    var users = 10_000
    var sessions = 50_000
    var hotTokens = 4_000
    var calls = 1_000_000
    var wrkSeconds = 10
    /// `--auth` without the server part (`--no-serve`).
    var serve = true
    /// Profile a second wrk run with `perf record` (`--perf`); off by default: it hung once here.
    var perf = false
    var tenda = ShopBenchOptions.defaultTenda

    /// The release server ws-bench uses too: the benchmarks package's own build, else the main one's.
    static var defaultTenda: String {
        let benchmarks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let own = benchmarks + "/.build/release/tenda"
        return FileManager.default.isExecutableFile(atPath: own) ? own : benchmarks + "/../.build/release/tenda"
    }

    static let usage = """
        usage: shop-bench [--quick] [--buyers N] [--buys N] [--sales N] [--repeats N] [--purchases-only]
               shop-bench --startup [--sales N] [--runs N] [--tenda PATH]
               shop-bench --auth [--quick] [--users N] [--sessions N] [--tokens N] [--calls N] [--wrk-seconds N] [--no-serve] [--perf] [--tenda PATH]
          --buyers   concurrent buyers in the durable purchase run (64)
          --buys     purchases in that run (40,000); the same purchases run again with no fsync beside it
          --purchases-only  only the purchase runs (full fsync and no fsync), not the dashboard and reports
          --sales    sales in the store for the dashboard and report run (1,000,000)
          --repeats  timed calls of each counter-backed query (200; full scans run 3 times)
          --quick    2,000 purchases, 20,000 sales, 20 repeats: a smoke test
          --startup  instead: time `tenda serve` from process start to its first 200 on /health, on an
                     empty data folder and on one with --sales sales (build the server first:
                     swift build -c release --package-path benchmarks --product tenda)
          --runs     starts timed on each folder (5)
          --tenda    the server binary (benchmarks/.build/release/tenda, else .build/release/tenda)
          --auth     instead: the revocation check's cost. Times Shop.checkToken (before) and Shop.authenticate
                     (after) on the same tokens, on 1 task and on one per core, then serves the same store with
                     `tenda serve` and runs wrk on GET /api/products as a signed-in user (needs wrk)
          --users, --sessions  people and sessions signed in through SignIn (10,000 and 50,000)
          --tokens   access tokens timed, spread over the sessions (4,000: what the server remembers, ≤ 4,096)
          --calls    calls timed per variant, task count and round, best of 3 rounds (1,000,000)
          --wrk-seconds  each wrk run (10)
          --no-serve only the in-process part
          --perf     also profile a second wrk run with perf record (its record hung in the first run here)
        """

    init(parsing arguments: [String]) throws {
        var line = Arguments(arguments)
        if arguments.contains("--quick") {
            quick = true
            buys = 2_000
            sales = 20_000
            repeats = 20
            users = 1_000
            sessions = 5_000
            hotTokens = 1_000
            calls = 100_000
            wrkSeconds = 3
        }
        while let option = line.next() {
            switch option {
            case "--buyers": buyers = try line.number()
            case "--buys": buys = try line.number()
            case "--sales": sales = try line.number()
            case "--repeats": repeats = try line.number()
            case "--runs": runs = try line.number()
            case "--startup": startup = true
            case "--auth": auth = true
            case "--users": users = try line.number()
            case "--sessions": sessions = try line.number()
            case "--tokens": hotTokens = try line.number()
            case "--calls": calls = try line.number()
            case "--wrk-seconds": wrkSeconds = try line.number()
            case "--purchases-only": purchasesOnly = true
            case "--no-serve": serve = false
            case "--perf": perf = true
            case "--tenda": tenda = try line.text("a path")
            case "--quick": break
            default: throw line.unknown(option)
            }
        }
        guard hotTokens <= 4_096 else { throw BenchError("--tokens is at most 4,096, what the server remembers") }
        guard hotTokens <= sessions else { throw BenchError("--tokens is at most --sessions") }
    }

    var commandLine: String {
        (["swift run -c release --package-path benchmarks shop-bench"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
    }
}

/// A shop over its own store in `folder`, with `buyers` customers, an admin who sells, and
/// `products` products with plenty of stock.
struct BenchShop {
    /// The store the shop lives in, for counting its commits.
    let environment: Environment
    let shop: Shop
    let admin: Principal
    let buyers: [UInt64]
    let products: [UInt64]

    /// The HS256 secret the bench shop signs access tokens with (32 bytes, as jwt-kit requires).
    static let tokenSecret = [UInt8](repeating: 3, count: 32)

    /// `accessTokenLifetime` is the shop's default (15 minutes) unless a run needs its tokens longer.
    static func make(folder: String, durability: StoreConfiguration.Durability, buyers: Int, products: Int,
                     accessTokenLifetime: TimeInterval = 15 * 60) async throws -> BenchShop {
        var configuration = StoreConfiguration()
        configuration.durability = durability
        configuration.mapSize = 1 << 30
        // A shop keeps recent history for reconnecting dashboards, not every change forever.
        configuration.feedRetention = FeedRetention(maxCount: 200_000)
        let env = try await Environment.open(at: folder, configuration: configuration)
        let shop = try await Shop.open(env, settings: ShopSettings(ownerTelegramIds: [1], tokenSecret: tokenSecret,
                                                                  accessTokenLifetime: accessTokenLifetime))
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
        return BenchShop(environment: env, shop: shop, admin: .user(seller.id, via: .rest), buyers: buyerIds, products: productIds)
    }

    /// Just before midnight UTC today: the end of the year of sales ``fill(sales:endingAt:)`` writes.
    static var endOfToday: Date {
        Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 + 86_000)
    }

    /// Writes `sales` purchases spread over the year before `end` through the buy command, from
    /// 64 concurrent callers; returns the seconds it took and the group commits it made.
    func fill(sales: Int, endingAt end: Date) async throws -> (seconds: Double, commits: UInt64) {
        let year = 365.0 * 86_400
        progress("filling \(sales.grouped) sales over a year through the buy command")
        let commitsBefore = try environment.read { $0.snapshotId }
        let (_, seconds) = try await timed {
            try await withThrowingTaskGroup(of: Void.self) { group in
                let workers = 64
                for w in 0..<workers {
                    group.addTask {
                        var rng = SplitMix64(seed: UInt64(1_000 + w))
                        for n in stride(from: w, to: sales, by: workers) {
                            // Times rise with n, so the year fills in order, as a real shop's would.
                            let at = end.addingTimeInterval(-year * (1 - Double(n) / Double(sales)))
                            try await shop.execute(randomBuy(&rng), as: admin, at: at)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        return (seconds, try environment.read { $0.snapshotId } - commitsBefore)
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
