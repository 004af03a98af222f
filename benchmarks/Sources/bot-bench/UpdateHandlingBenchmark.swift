import BenchSupport
import Bot
import Foundation
import Shop
import Store
import Telegram

/// Updates handled per second end to end: a Telegram update in, the chat handler parses it,
/// runs the shop's command or query, and its reply is durably queued in the outbox (the
/// deliverer is not running: sending is the other workloads' measure). The demo shop, with
/// a mix of what a shop's chat sees: stock lists, product lists, debts, and purchases
/// confirmed by a button.
struct UpdateHandlingBenchmark: BotWorkload {
    let updates: Int
    /// Updates handled at once, as from that many chats.
    let concurrency: Int

    var title: String { "updates handled end to end, \(concurrency) at a time: \(updates.grouped) updates (update → shop → reply queued)" }

    static let admin = TelegramUser(id: 2_329_673_195, firstName: "Bruno", lastName: "Carvalho", username: "brunocarvalho", languageCode: "pt-br")
    static let customer = TelegramUser(id: 5_309_476_566, firstName: "Diego", lastName: "Ferreira", username: "diegof", languageCode: "pt-br")

    func run(folder: String) async throws -> BotBenchReport.Section {
        let environment = try await Store.Environment.open(at: folder)
        let shop = try await Shop.open(environment, settings: ShopSettings(tokenSecret: Array(repeating: 9, count: 32)))
        _ = try await ShopImport.run(try Self.demoShop(), into: shop)
        let products = try shop.products(page: PageRequest(limit: 200), as: .system()).items.map(\.value)
        for product in products {
            _ = try await shop.execute(Restock(productId: product.id, quantity: 1_000_000), as: .system())
        }
        let buyer = try shop.user(telegramId: Self.customer.id, as: .system())?.value.publicId ?? "u4"
        let telegram = try await StandInBotAPI.start()
        let chat = ChatHandler(conversation: try await Conversation.open(shop: shop, environment: environment), outbox: try await Outbox.open(environment),
                               client: telegram.client)
        // Sign both people in once, as their first message would.
        await chat.handle(Self.message("/start", from: Self.admin, id: 0))
        await chat.handle(Self.message("/start", from: Self.customer, id: 0))

        let work = (0..<updates).map { n -> (kind: String, update: Update) in
            switch n % 4 {
            case 0: ("/estoque (admin)", Self.message("/estoque", from: Self.admin, id: n + 1))
            case 1: ("/lista_produtos (user)", Self.message("/lista_produtos", from: Self.customer, id: n + 1))
            case 2: ("/dividas (user)", Self.message("/dividas", from: Self.customer, id: n + 1))
            default: ("purchase button (admin)", Self.callback("/buy 1 \(products[n % products.count].publicId) \(buyer) ok", from: Self.admin, id: n + 1))
            }
        }
        let salesBefore = try shop.report(from: Date(), to: Date(), groupBy: .day, as: .system()).rows.reduce(0) { $0 + $1.sales }
        let (latencies, seconds) = try await timed {
            try await withThrowingTaskGroup(of: [(String, Double)].self) { group in
                for lane in 0..<concurrency {
                    group.addTask {
                        var measured: [(String, Double)] = []
                        for index in stride(from: lane, to: work.count, by: concurrency) {
                            let (_, took) = await timed { await chat.handle(work[index].update) }
                            measured.append((work[index].kind, took))
                        }
                        return measured
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
        let salesAfter = try shop.report(from: Date(), to: Date(), groupBy: .day, as: .system()).rows.reduce(0) { $0 + $1.sales }
        let queued = try chat.outbox.count()
        await telegram.stop()
        await environment.close()
        guard salesAfter - salesBefore == Int64(updates / 4) else { throw BenchError("\(salesAfter - salesBefore) sales, not \(updates / 4)") }
        guard queued >= updates else { throw BenchError("\(queued) replies queued for \(updates) updates") }

        var table = Table("measure", "value")
        table.add("updates handled per second", (Double(updates) / seconds).grouped)
        let all = latencies.map(\.1).sorted()
        table.add("per update p50 / p99 (ms)", "\((Self.percentile(all, 0.5) * 1_000).fixed(2)) / \((Self.percentile(all, 0.99) * 1_000).fixed(2))")
        for kind in Set(latencies.map(\.0)).sorted() {
            let times = latencies.filter { $0.0 == kind }.map(\.1).sorted()
            table.add("\(kind) p50 / p99 (ms)", "\((Self.percentile(times, 0.5) * 1_000).fixed(2)) / \((Self.percentile(times, 0.99) * 1_000).fixed(2))")
        }
        table.add("replies queued (durable)", queued.grouped)
        return BotBenchReport.Section(title: title, table: table)
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    static func message(_ text: String, from user: TelegramUser, id: Int) -> Update {
        Update(updateId: Int64(id), message: Message(messageId: Int64(id), from: user, chat: Chat(id: user.id, firstName: user.firstName),
                                                     date: Int64(Date().timeIntervalSince1970), text: text))
    }

    static func callback(_ data: String, from user: TelegramUser, id: Int) -> Update {
        let message = Message(messageId: Int64(id), chat: Chat(id: user.id, firstName: user.firstName), date: Int64(Date().timeIntervalSince1970), text: "…")
        return Update(updateId: Int64(id), callbackQuery: CallbackQuery(id: "cq\(id)", from: user, message: message, chatInstance: "ci", data: data))
    }

    /// The demo shop document, found from the repository root (where the command is run) or from benchmarks/.
    static func demoShop() throws -> Data {
        for path in ["fixtures/demo-shop.json", "../fixtures/demo-shop.json"] {
            if let data = FileManager.default.contents(atPath: path) { return data }
        }
        throw BenchError("fixtures/demo-shop.json not found: run from the repository root")
    }
}
