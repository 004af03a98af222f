import Bot
import Foundation
import Logging
import Shop
import Store
import Telegram
import Testing

/// The daily summary: when it is due (pure), who gets it and what it says (stand-in Telegram),
/// and once a day across restarts.
@Suite("Daily summary", .serialized, .timeLimit(.minutes(3))) struct DailySummaryTests {
    static func utc(_ text: String) -> Date { try! Date.ISO8601FormatStyle().parse(text) }
    static func zone(_ name: String) -> TimeZone { TimeZone(identifier: name)! }
    static func day(_ text: String) -> Int64 { SummarySchedule.localDay(utc(text + "T12:00:00Z"), in: zone("UTC")) }

    @Test func theDueMomentFollowsTheShopsZone() {
        // São Paulo is UTC−3 all year: 21:00 there on 4 December is midnight UTC on the 5th.
        #expect(SummarySchedule.moment(day: Self.day("2026-12-04"), minute: 21 * 60, in: Self.zone("America/Sao_Paulo")) == Self.utc("2026-12-05T00:00:00Z"))
        // Tokyo is UTC+9: 08:30 on the 4th is 23:30 UTC on the 3rd.
        #expect(SummarySchedule.moment(day: Self.day("2026-12-04"), minute: 8 * 60 + 30, in: Self.zone("Asia/Tokyo")) == Self.utc("2026-12-03T23:30:00Z"))
        #expect(SummarySchedule.moment(day: Self.day("2026-12-04"), minute: 0, in: Self.zone("UTC")) == Self.utc("2026-12-04T00:00:00Z"))
        // The shop's day, not UTC's: 22:00 in São Paulo on the 4th is already the 5th in UTC.
        #expect(SummarySchedule.localDay(Self.utc("2026-12-05T01:00:00Z"), in: Self.zone("America/Sao_Paulo")) == Self.day("2026-12-04"))
        #expect(SummarySchedule.localDay(Self.utc("2026-12-03T23:30:00Z"), in: Self.zone("Asia/Tokyo")) == Self.day("2026-12-04"))
    }

    @Test func daylightSavingMovesTheUTCMomentNotTheLocalTime() {
        let newYork = Self.zone("America/New_York")
        // Clocks go forward on 8 March 2026: 21:00 is 02:00 UTC the day before (EST), 01:00 UTC after (EDT).
        #expect(SummarySchedule.moment(day: Self.day("2026-03-07"), minute: 21 * 60, in: newYork) == Self.utc("2026-03-08T02:00:00Z"))
        #expect(SummarySchedule.moment(day: Self.day("2026-03-08"), minute: 21 * 60, in: newYork) == Self.utc("2026-03-09T01:00:00Z"))
        // 02:30 does not exist that day: the first moment after the gap (03:00 EDT, 07:00 UTC), on that day.
        let skipped = SummarySchedule.moment(day: Self.day("2026-03-08"), minute: 2 * 60 + 30, in: newYork)
        #expect(skipped >= Self.utc("2026-03-08T07:00:00Z") && skipped <= Self.utc("2026-03-08T07:30:00Z"), "\(skipped)")
        #expect(SummarySchedule.localDay(skipped, in: newYork) == Self.day("2026-03-08"))
        // Clocks go back on 1 November 2026: 01:30 happens twice; the first (EDT, 05:30 UTC) is the one.
        #expect(SummarySchedule.moment(day: Self.day("2026-11-01"), minute: 90, in: newYork) == Self.utc("2026-11-01T05:30:00Z"))
        #expect(SummarySchedule.moment(day: Self.day("2026-11-01"), minute: 21 * 60, in: newYork) == Self.utc("2026-11-02T02:00:00Z"))
    }

    @Test func dueOncePerLocalDay() {
        let on = ShopPreferences(timeZone: "America/Sao_Paulo", summaryEnabled: true, summaryMinute: 21 * 60)
        let today = Self.day("2026-12-04")
        #expect(!SummarySchedule.isDue(now: Self.utc("2026-12-04T23:59:00Z"), settings: on, lastSentDay: nil), "20:59 there")
        #expect(SummarySchedule.isDue(now: Self.utc("2026-12-05T00:00:00Z"), settings: on, lastSentDay: nil))
        #expect(SummarySchedule.isDue(now: Self.utc("2026-12-05T02:59:00Z"), settings: on, lastSentDay: today - 1), "23:59 there, not sent yet")
        #expect(!SummarySchedule.isDue(now: Self.utc("2026-12-05T02:59:00Z"), settings: on, lastSentDay: today))
        #expect(!SummarySchedule.isDue(now: Self.utc("2026-12-05T03:30:00Z"), settings: on, lastSentDay: today), "00:30 on the 5th: before its time")
        var off = on
        off.summaryEnabled = false
        #expect(!SummarySchedule.isDue(now: Self.utc("2026-12-05T01:00:00Z"), settings: off, lastSentDay: nil))
        #expect(SummarySchedule.next(after: Self.utc("2026-12-04T12:00:00Z"), settings: on, lastSentDay: nil) == Self.utc("2026-12-05T00:00:00Z"))
        #expect(SummarySchedule.next(after: Self.utc("2026-12-05T01:00:00Z"), settings: on, lastSentDay: today) == Self.utc("2026-12-06T00:00:00Z"))
        #expect(SummarySchedule.next(after: Self.utc("2026-12-05T01:00:00Z"), settings: off, lastSentDay: nil) == nil)
    }

    @Test func onlyTheOwnerChangesTheSettings() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let admin = try await demo.say("/resumo off", from: DemoShop.adminTelegramId)
        #expect(admin.failure?.code == .forbidden, "\(admin.text)")
        let user = try await demo.say("/resumo 20:00", from: DemoShop.userTelegramId)
        #expect(user.failure?.code == .forbidden, "\(user.text)")
        let adminPrincipal = try demo.principal(DemoShop.adminTelegramId)
        await #expect {
            _ = try await demo.shop.run(UpdateShopSettings(summaryEnabled: true), as: adminPrincipal)
        } throws: { ($0 as? ShopError)?.code == .forbidden }
        #expect(try demo.shop.preferences(as: .system()) == .defaults, "nothing changed")

        let set = try await demo.say("/resumo 21:30", from: DemoShop.ownerTelegramId)
        #expect(set.failure == nil && set.text.contains("ligado, às 21:30"), "\(set.text)")
        let zone = try await demo.say("/resumo fuso Europe/Lisbon", from: DemoShop.ownerTelegramId)
        #expect(zone.failure == nil && zone.text.contains("Europe/Lisbon"), "\(zone.text)")
        let bad = try await demo.say("/resumo fuso Mars/Olympus", from: DemoShop.ownerTelegramId)
        #expect(bad.failure?.code == .ruleBroken, "\(bad.text)")
        let badTime = try await demo.say("/resumo 24:00", from: DemoShop.ownerTelegramId)
        #expect(badTime.failure != nil, "\(badTime.text)")
        #expect(try demo.shop.preferences(as: .system()) == ShopPreferences(timeZone: "Europe/Lisbon", summaryEnabled: true, summaryMinute: 21 * 60 + 30))
        let off = try await demo.say("/resumo off", from: DemoShop.ownerTelegramId)
        #expect(off.text.contains("desligado"), "\(off.text)")
        #expect(try demo.shop.preferences(as: .system()).summaryEnabled == false)
    }

    /// The bot's own scheduler (real clock) sends today's summary on start, the time having
    /// passed (00:00 UTC), to owners and admins only, with the dashboard's figures and its link.
    @Test func ownersAndAdminsGetTheSummaryWithTheDashboardsFigures() async throws {
        let demo = try await DemoShop.make()
        let telegram = try await StandInBotAPI.start()
        defer { Task { await telegram.stop(); await demo.discard() } }
        // A sale today, so that today's figures are not all zeros.
        let coxinha = try demo.product(named: "Coxinha").value
        _ = try await demo.shop.execute(Buy(buyerId: try demo.user(DemoShop.userTelegramId).id, items: [LineItem(productId: coxinha.id, quantity: 2)]),
                                        as: try demo.principal(DemoShop.adminTelegramId))
        #expect(try await demo.say("/resumo fuso UTC", from: DemoShop.ownerTelegramId).failure == nil)
        #expect(try await demo.say("/resumo 00:00", from: DemoShop.ownerTelegramId).failure == nil)
        let board = try demo.shop.dashboard(as: .system())
        #expect(board.todaySales >= 1)
        let staff = try demo.shop.staff(as: .system()).filter { $0.telegramId > 0 && !$0.blocked }
        #expect(staff.count >= 2)

        let bot = try await TelegramBot.make(conversation: demo.conversation, environment: demo.environment,
                                             settings: BotSettings(token: StandInBotAPI.defaultToken, apiBaseURL: telegram.baseURL,
                                                                   publicURL: "https://shop.example"),
                                             limits: .unlimited, pollTimeout: 1, logger: Logger(label: "summary-test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in bot.services { group.addTask { try await service.run() } }
            let summaries = try await waitUntil("a summary to every owner and admin", seeing: {
                telegram.answered("sendMessage").filter { (try? $0.decode(SendMessage.self))?.text.contains("Resumo do dia") == true
                    || (try? $0.decode(SendMessage.self))?.text.contains("Daily summary") == true }
            }) { $0.count >= staff.count }
            try await waitUntil("the outbox to empty", seeing: { try bot.outbox.count() }) { $0 == 0 }
            group.cancelAll()
            let messages = try summaries.map { try $0.decode(SendMessage.self) }
            #expect(Set(messages.map(\.chatId)) == Set(staff.map(\.telegramId)), "owners and admins, each once")
            #expect(messages.count == staff.count)
            #expect(!messages.contains { $0.chatId == DemoShop.userTelegramId }, "users get none")
            let owner = try #require(messages.first { $0.chatId == DemoShop.ownerTelegramId })
            #expect(owner.text.contains("Vendas: \(board.todaySales)"), "\(owner.text)")
            #expect(owner.text.contains(Money.format(board.todayRevenue, board.currency)), "\(owner.text)")
            #expect(owner.text.contains("Pagamentos recebidos: \(Money.format(board.todayReceived, board.currency))"), "\(owner.text)")
            #expect(owner.text.contains("Estoque baixo: \(board.lowStockCount)"), "\(owner.text)")
            let pending = try demo.shop.dailySummaryFigures(as: .system()).pendingOrders
            #expect(owner.text.contains("Pedidos pendentes: \(pending)"), "\(owner.text)")
            let body = String(decoding: try #require(summaries.first { (try? $0.decode(SendMessage.self))?.chatId == DemoShop.ownerTelegramId }).body, as: UTF8.self)
            #expect(body.contains("https://shop.example/#/dashboard") && body.contains("web_app"), "\(body)")
        }
        // Started again the same day (same store): nothing more is queued.
        let again = DailySummary(shop: demo.shop, outbox: bot.outbox, publicURL: nil)
        #expect(try await again.tick(now: Date()) == 0)
        #expect(try bot.outbox.count() == 0)
    }

    /// Restarts with the store closed and reopened in the same folder, at chosen times.
    @Test func oncePerDayAcrossRestarts() async throws {
        let demo = try await DemoShop.make()
        defer { Task { try? FileManager.default.removeItem(atPath: demo.folder); try? FileManager.default.removeItem(atPath: demo.folder + "-backups") } }
        _ = try await demo.shop.run(UpdateShopSettings(timeZone: "America/Sao_Paulo", summaryEnabled: true, summaryTime: "21:00"), as: .system())
        let staff = Set(try demo.shop.staff(as: .system()).filter { $0.telegramId > 0 && !$0.blocked }.map(\.telegramId))

        /// Opens the store as a starting server would, runs `body`, closes it.
        func started<T>(_ body: (Shop, Outbox, DailySummary) async throws -> T) async throws -> T {
            let env = try await Store.Environment.open(at: demo.folder, configuration: .testing)
            let shop = try await Shop.open(env, settings: ShopSettings(tokenSecret: Array(repeating: 7, count: 32)))
            let outbox = try await Outbox.open(env)
            let result = try await body(shop, outbox, DailySummary(shop: shop, outbox: outbox, publicURL: "https://shop.example"))
            await env.close()
            return result
        }
        await demo.environment.close()

        // 20:00 in São Paulo: not yet.
        let early = try await started { _, _, summary in try await summary.tick(now: Self.utc("2026-12-04T23:00:00Z")) }
        #expect(early == 0)
        // Down at 21:00, back at 22:30: sent once on start.
        let queued = try await started { _, outbox, summary in
            let n = try await summary.tick(now: Self.utc("2026-12-05T01:30:00Z"))
            return (n, Set(try outbox.pending().map(\.entry.chatId)))
        }
        #expect(queued.0 == staff.count && queued.1 == staff)
        // Restarted later the same evening: nothing again, the first messages still there once each.
        let after = try await started { _, outbox, summary in
            (try await summary.tick(now: Self.utc("2026-12-05T02:45:00Z")), try outbox.count(), try summary.lastSentDay())
        }
        #expect(after.0 == 0 && after.1 == staff.count && after.2 == Self.day("2026-12-04"))
        // The next day at its time: sent again.
        let nextDay = try await started { _, _, summary in try await summary.tick(now: Self.utc("2026-12-06T00:00:30Z")) }
        #expect(nextDay == staff.count)
        // Turned off: nothing the day after.
        let whenOff = try await started { shop, _, summary in
            _ = try await shop.run(UpdateShopSettings(summaryEnabled: false), as: .system())
            return try await summary.tick(now: Self.utc("2026-12-07T00:30:00Z"))
        }
        #expect(whenOff == 0)
    }
}
