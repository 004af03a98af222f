import Bot
import Foundation
import Logging
import Shop
import Store
import Telegram
import Testing

/// Notifications leave from the change feed through the outbox: each exactly once, across restarts.
/// One at a time, and with time to spare: each test imports the demo shop and runs a bot over it.
@Suite("Notifier", .serialized, .timeLimit(.minutes(3))) struct NotifierTests {
    /// Runs the bot's services over `demo` until `body` returns, as a restartable process would.
    func runBot(_ demo: DemoShop, _ telegram: StandInBotAPI, _ body: (TelegramBot) async throws -> Void) async throws {
        let bot = try await TelegramBot.make(conversation: demo.conversation, environment: demo.environment,
                                             settings: BotSettings(token: StandInBotAPI.defaultToken, apiBaseURL: telegram.baseURL),
                                             limits: .unlimited, pollTimeout: 1, logger: Logger(label: "notifier-test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in bot.services { group.addTask { try await service.run() } }
            try await body(bot)
            group.cancelAll()
        }
    }

    func alerts(_ telegram: StandInBotAPI, to chat: Int64, about name: String) -> Int {
        telegram.answered("sendMessage").compactMap { try? $0.decode(SendMessage.self) }
            .filter { $0.chatId == chat && $0.text.contains("Estoque baixo") && $0.text.contains(name) }.count
    }

    func waitForAlert(_ telegram: StandInBotAPI, to chat: Int64, about name: String,
                      sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await waitUntil("an alert about \(name) to \(chat)", sourceLocation: sourceLocation,
                            seeing: { alerts(telegram, to: chat, about: name) }) { $0 > 0 }
    }

    /// Waits until the notifier has handled the notice at `notice` and the outbox has sent all
    /// it queued: from then on, a notice sent twice would already show.
    func waitUntilSettled(_ bot: TelegramBot, _ demo: DemoShop, through notice: UInt64) async throws {
        try await waitUntil("the notifier to reach \(notice) and the outbox to empty", seeing: {
            (position: try Notifier.position(in: demo.environment), queued: try bot.outbox.count())
        }) { $0.position >= notice && $0.queued == 0 }
    }

    /// Waits until the notifier has recorded where it begins (its first start).
    func waitForStart(_ demo: DemoShop) async throws {
        try await waitUntil("the notifier's starting position", seeing: { try Notifier.position(in: demo.environment) }) { $0 > 0 }
    }

    /// Buys enough of `name` to cross its low-stock threshold.
    func drain(_ name: String, _ demo: DemoShop) async throws {
        let product = try demo.product(named: name).value
        _ = try await demo.shop.execute(Buy(buyerId: try demo.user(DemoShop.userTelegramId).id,
                                            items: [LineItem(productId: product.id, quantity: product.stock - product.lowStockThreshold)]),
                                        as: try demo.principal(DemoShop.adminTelegramId))
    }

    @Test func eachNoticeIsSentOnceAcrossRestarts() async throws {
        let demo = try await DemoShop.make()
        let telegram = try await StandInBotAPI.start()
        defer { Task { await telegram.stop(); await demo.discard() } }

        // History before the bot ever ran is not sent: the first start begins at the feed's head.
        try await runBot(demo, telegram) { _ in
            try await waitForStart(demo)
            try await drain("Coxinha", demo)
            try await waitForAlert(telegram, to: DemoShop.adminTelegramId, about: "Coxinha")
        }
        // A notice written while the bot is down is sent on the next start; the first is not repeated.
        let before = demo.shop.feedHead
        try await drain("Kibe", demo)
        let kibe = try demo.lastNotice(after: before)
        try await runBot(demo, telegram) { bot in
            try await waitForAlert(telegram, to: DemoShop.adminTelegramId, about: "Kibe")
            try await waitUntilSettled(bot, demo, through: kibe)
        }
        #expect(alerts(telegram, to: DemoShop.adminTelegramId, about: "Coxinha") == 1)
        #expect(alerts(telegram, to: DemoShop.adminTelegramId, about: "Kibe") == 1)
        #expect(alerts(telegram, to: 5_656_225_308, about: "Kibe") == 1, "every admin is told")
        #expect(alerts(telegram, to: DemoShop.userTelegramId, about: "Kibe") == 0, "users are not")
    }

    @Test func eachAddresseeIsToldInTheirLanguageWhatWasTrueWhenItHappened() async throws {
        let demo = try await DemoShop.make()
        let telegram = try await StandInBotAPI.start()
        defer { Task { await telegram.stop(); await demo.discard() } }
        let rafael = try demo.user(DemoShop.englishUserTelegramId)
        try await runBot(demo, telegram) { _ in try await waitForStart(demo) }
        // Written while the bot is down; then the product is renamed and restocked before it starts again.
        _ = try await demo.shop.execute(GrantRole(userId: rafael.id, role: .admin), as: try demo.principal(DemoShop.ownerTelegramId))
        try await drain("Coxinha", demo)
        let coxinha = try demo.product(named: "Coxinha").value
        let admin = try demo.principal(DemoShop.adminTelegramId)
        _ = try await demo.shop.execute(UpdateProduct(productId: coxinha.id, name: "Empada Nova"), as: admin)
        _ = try await demo.shop.execute(Restock(productId: coxinha.id, quantity: 40), as: admin)
        try await runBot(demo, telegram) { _ in
            let toRafael = try await waitUntil("two messages to Rafael", seeing: {
                telegram.answered("sendMessage").compactMap { try? $0.decode(SendMessage.self) }.filter { $0.chatId == rafael.telegramId }.map(\.text)
            }) { $0.count >= 2 }
            #expect(toRafael.contains { $0.contains("Your access changed") && $0.contains("You are now admin") })
            #expect(toRafael.contains { $0.contains("Low stock") && $0.contains("Coxinha") && $0.contains("\(coxinha.stock) left (threshold 5)") },
                    "the alert says what was true when it was written: \(toRafael)")
            #expect(!toRafael.contains { $0.contains("Empada Nova") })
            try await waitForAlert(telegram, to: DemoShop.adminTelegramId, about: "Coxinha")
            let toBruno = telegram.answered("sendMessage").compactMap { try? $0.decode(SendMessage.self) }
                .filter { $0.chatId == DemoShop.adminTelegramId && $0.text.contains("Estoque baixo") }.map(\.text)
            #expect(toBruno.count == 1 && toBruno[0].contains("Restam \(coxinha.stock) (limite 5)"), "Portuguese speakers are told in Portuguese: \(toBruno)")
        }
    }

    @Test func aDialogueSurvivesARestart() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        _ = try await demo.say("/pedido + 2 coxinha", from: DemoShop.userTelegramId)
        await demo.environment.close()
        let reopened = try await Store.Environment.open(at: demo.folder, configuration: .testing)
        let shop = try await Shop.open(reopened, settings: ShopSettings(tokenSecret: Array(repeating: 7, count: 32)))
        let conversation = try await Conversation.open(shop: shop, environment: reopened)
        let principal = Principal.user(try #require(try shop.user(telegramId: DemoShop.userTelegramId, as: .system())).key, via: .bot)
        let placed = await conversation.run(ChatRequest(command: "pedido", args: "fim", principal: principal, language: .pt))
        #expect(placed.failure == nil, "\(placed.text)")
        #expect(try (placed.json()["order"] as? [String: Any])?["total"] as? Int == Int(2 * (try shop.products(search: "Coxinha", as: .system()).items[0].value.price)))
        await reopened.close()
    }
}
