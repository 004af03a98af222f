import Bot
import Foundation
import Logging
import Shop
import Store
import Telegram
import Testing

/// Debt reminders from the bot: to customers in their language (quiet hours, interval and
/// maximum honoured), the admins' overdue list once a day, none lost or repeated across
/// restarts; and the admins' commands /atrasadas, /cobrar and the owner's /lembretes.
@Suite("Debt reminders", .serialized, .timeLimit(.minutes(4))) struct DebtReminderTests {
    static func utc(_ text: String) -> Date { try! Date.ISO8601FormatStyle().parse(text) }

    /// The demo's debts paid off, reminders on (São Paulo, overdue after 30 days, every 7 days,
    /// at most 2, quiet 21:00–09:00), and one Coxinha bought on credit by Diego (Portuguese) and
    /// by Rafael (English) at noon São Paulo time on 1 January 2027.
    static func prepare(_ demo: DemoShop) async throws -> (diego: User, rafael: User, owed: Int64) {
        for debt in try demo.shop.debts(as: .system()) where debt.amount > 0 {
            _ = try await demo.shop.execute(RecordPayment(userId: debt.userId, amount: debt.amount), as: .system())
        }
        _ = try await demo.shop.run(UpdateShopSettings(timeZone: "America/Sao_Paulo", debts: DebtReminderChanges(
            enabled: true, overdueDays: 30, intervalDays: 7, maxReminders: 2, quietStart: "21:00", quietEnd: "09:00")), as: .system())
        let coxinha = try demo.product(named: "Coxinha").value
        let diego = try demo.user(DemoShop.userTelegramId), rafael = try demo.user(DemoShop.englishUserTelegramId)
        for buyer in [diego, rafael] {
            _ = try await demo.shop.execute(Buy(buyerId: buyer.id, items: [LineItem(productId: coxinha.id, quantity: 1)]),
                                            as: .system(), at: utc("2027-01-01T15:00:00Z"))
        }
        return (diego, rafael, coxinha.price)
    }

    /// Opens the store as a starting server would, runs the bot's services (its own reminder
    /// service left out: the test ticks one at chosen times) while `body` runs, then closes it all.
    func started<T>(_ folder: String, _ telegram: StandInBotAPI, _ body: (Shop, TelegramBot, DebtReminders) async throws -> T) async throws -> T {
        let env = try await Store.Environment.open(at: folder, configuration: .testing)
        let shop = try await Shop.open(env, settings: ShopSettings(tokenSecret: Array(repeating: 7, count: 32)))
        let conversation = try await Conversation.open(shop: shop, environment: env, settings: ConversationSettings(publicURL: "https://shop.example"))
        let bot = try await TelegramBot.make(conversation: conversation, environment: env,
                                             settings: BotSettings(token: StandInBotAPI.defaultToken, apiBaseURL: telegram.baseURL),
                                             limits: .unlimited, pollTimeout: 1, logger: Logger(label: "debt-reminder-test"))
        let reminders = DebtReminders(shop: shop, outbox: bot.outbox, publicURL: "https://shop.example")
        let result = try await withThrowingTaskGroup(of: Void.self) { group in
            for service in bot.services where !(service is DebtReminders) { group.addTask { try await service.run() } }
            do {
                let result = try await body(shop, bot, reminders)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
        await env.close()
        return result
    }

    func sent(_ telegram: StandInBotAPI, to chat: Int64, containing text: String) -> [String] {
        telegram.answered("sendMessage").compactMap { try? $0.decode(SendMessage.self) }
            .filter { $0.chatId == chat && $0.text.contains(text) }.map(\.text)
    }

    /// Waits until the notifier has queued every notice written so far and the outbox has sent it all.
    func settle(_ shop: Shop, _ bot: TelegramBot) async throws {
        let head = shop.feedHead
        let lastNotice = try #require(try shop.changes(after: head > 500 ? head - 500 : 0, limit: 1_000)
            .last { $0.collection == "notifications" }?.sequence)
        try await waitUntil("the notifier at \(lastNotice) and the outbox empty", seeing: {
            (position: try Notifier.position(in: bot.outbox.environment), queued: try bot.outbox.count())
        }) { $0.position >= lastNotice && $0.queued == 0 }
    }

    @Test func remindersHonourQuietHoursIntervalAndMaximumAndNoneIsLostOrRepeatedAcrossRestarts() async throws {
        let demo = try await DemoShop.make()
        let telegram = try await StandInBotAPI.start()
        defer { Task { await telegram.stop(); try? FileManager.default.removeItem(atPath: demo.folder) } }
        let (diego, rafael, owed) = try await Self.prepare(demo)
        let staff = try demo.shop.staff(as: .system()).filter { $0.telegramId > 0 && !$0.blocked }
        await demo.environment.close()

        // The first start records where the notifier begins.
        try await started(demo.folder, telegram) { shop, bot, reminders in
            try await waitUntil("the notifier's start", seeing: { try Notifier.position(in: bot.outbox.environment) }) { $0 > 0 }
            // 29 days on: not overdue yet.
            #expect(try await reminders.tick(now: Self.utc("2027-01-30T15:00:00Z")) == DebtReminders.Outcome(reminded: 0, listed: 0))
            // 31 days on, but 22:00 in São Paulo: quiet hours; the admins' list (due at 09:00) goes.
            let quiet = try await reminders.tick(now: Self.utc("2027-02-02T01:00:00Z"))
            #expect(quiet.reminded == 0 && quiet.listed == staff.count, "\(quiet)")
            // Stopped at once: the list may still wait in the outbox.
        }
        // Restarted the next morning, 09:30 there: both are reminded; the list of that day goes too.
        try await started(demo.folder, telegram) { shop, bot, reminders in
            let morning = try await reminders.tick(now: Self.utc("2027-02-02T12:30:00Z"))
            #expect(morning.reminded == 2, "\(morning)")
            // A minute later: nothing more (the interval), and the day's list was already sent.
            #expect(try await reminders.tick(now: Self.utc("2027-02-02T12:31:00Z")) == DebtReminders.Outcome(reminded: 0, listed: 0))
            // Stopped at once: the reminders may be notices not yet queued, or queued and not yet sent.
        }
        // Restarted: whatever was left is sent, once; nothing new is due.
        try await started(demo.folder, telegram) { shop, bot, reminders in
            #expect(try await reminders.tick(now: Self.utc("2027-02-02T12:40:00Z")) == DebtReminders.Outcome(reminded: 0, listed: 0))
            try await settle(shop, bot)
        }
        let amount = Money.format(owed, "BRL")
        let toDiego = sent(telegram, to: diego.telegramId, containing: "Lembrete")
        #expect(toDiego.count == 1, "\(toDiego)")
        #expect(toDiego.first?.contains(amount) == true && toDiego.first?.contains("Pix") == true, "\(toDiego)")
        let toRafael = sent(telegram, to: rafael.telegramId, containing: "Reminder")
        #expect(toRafael.count == 1 && toRafael[0].contains(amount) && toRafael[0].contains("Open for 31 days"), "in English: \(toRafael)")
        for person in staff {
            // One list on the evening of the 1st (queued before the stop, sent after the restart), one on the 2nd.
            #expect(sent(telegram, to: person.telegramId, containing: "ívidas atrasadas").count + sent(telegram, to: person.telegramId, containing: "Overdue debts").count == 2,
                    "\(person.name)")
        }
        let list = try #require(sent(telegram, to: staff[0].telegramId, containing: diego.name).first)
        #expect(list.contains(rafael.name) && list.contains(amount), "\(list)")

        // Restarted again: the interval holds, the quiet hours hold, then the second and last reminder.
        try await started(demo.folder, telegram) { shop, bot, reminders in
            #expect(try await reminders.tick(now: Self.utc("2027-02-05T15:00:00Z")).reminded == 0, "3 days later: the interval is 7")
            #expect(try await reminders.tick(now: Self.utc("2027-02-10T00:30:00Z")).reminded == 0, "7 days later but 21:30 there")
            #expect(try await reminders.tick(now: Self.utc("2027-02-10T12:05:00Z")).reminded == 2, "the next morning")
            #expect(try await reminders.tick(now: Self.utc("2027-02-20T15:00:00Z")).reminded == 0, "the maximum is 2")
            let debtor = try shop.debtor(diego.id, now: Self.utc("2027-02-20T15:00:00Z"), as: .system())
            #expect(debtor.reminders == 2 && debtor.lastReminderAt == Self.utc("2027-02-10T12:05:00Z") && debtor.overdue)
            try await settle(shop, bot)
        }
        #expect(sent(telegram, to: diego.telegramId, containing: "Lembrete").count == 2)
        #expect(sent(telegram, to: rafael.telegramId, containing: "Reminder").count == 2)
    }

    @Test func pausedCustomersAreSkippedAndAdminsRemindThemByHand() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let (diego, rafael, _) = try await Self.prepare(demo)
        let outbox = try await Outbox.open(demo.environment)
        let reminders = DebtReminders(shop: demo.shop, outbox: outbox, publicURL: nil)

        let paused = try await demo.say("/cobrar pausar \(diego.publicId)", from: DemoShop.adminTelegramId)
        #expect(paused.failure == nil && paused.text.contains("pausados"), "\(paused.text)")
        #expect(try await reminders.tick(now: Self.utc("2027-02-02T12:30:00Z")).reminded == 1, "only Rafael")
        #expect(try demo.shop.debtor(rafael.id, as: .system()).reminders == 1)
        #expect(try demo.shop.debtor(diego.id, as: .system()).reminders == 0)

        // By hand, paused or not; a user may not.
        let byHand = try await demo.say("/cobrar \(diego.publicId)", from: DemoShop.adminTelegramId)
        #expect(byHand.failure == nil && byHand.text.contains("Lembrete enviado"), "\(byHand.text)")
        #expect((try byHand.json()["debtor"] as? [String: Any])?["reminders"] as? Int == 1)
        let byUser = try await demo.say("/cobrar \(rafael.publicId)", from: DemoShop.userTelegramId)
        #expect(byUser.failure?.code == .forbidden)

        let list = try await demo.say("/atrasadas todas", from: DemoShop.adminTelegramId)
        #expect(list.text.contains(diego.name) && list.text.contains("pausado") && list.buttonLines.contains("/cobrar \(diego.publicId)"), "\(list.text)")
        let resumed = try await demo.say("/cobrar retomar \(diego.publicId)", from: DemoShop.adminTelegramId)
        let afterResume = try demo.shop.debtor(diego.id, as: .system())
        #expect(resumed.failure == nil && !afterResume.paused)
        let nobody = try await demo.say("/cobrar \(try demo.user(DemoShop.ownerTelegramId).publicId)", from: DemoShop.adminTelegramId)
        #expect(nobody.failure?.code == .ruleBroken, "owes nothing: \(nobody.text)")
    }

    @Test func theOwnerSetsTheRemindersFromTheChat() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let byAdmin = try await demo.say("/lembretes on", from: DemoShop.adminTelegramId)
        #expect(byAdmin.failure?.code == .forbidden)
        for line in ["/lembretes on", "/lembretes atraso 45", "/lembretes intervalo 3", "/lembretes max 5", "/lembretes silencio 22:00 08:30"] {
            let reply = try await demo.say(line, from: DemoShop.ownerTelegramId)
            #expect(reply.failure == nil, "\(line): \(reply.text)")
        }
        let settings = try demo.shop.preferences(as: .system())
        #expect(settings.remindersEnabled && settings.overdueDays == 45 && settings.reminderIntervalDays == 3 && settings.maxReminders == 5)
        #expect(settings.quietStartMinute == 22 * 60 && settings.quietEndMinute == 8 * 60 + 30)
        let tooMany = try await demo.say("/lembretes max 21", from: DemoShop.ownerTelegramId)
        #expect(tooMany.failure?.code == .invalidInput, "\(tooMany.text)")
        #expect(try demo.shop.preferences(as: .system()).maxReminders == 5, "a refused change changes nothing")
        let shown = try await demo.say("/lembretes", from: DemoShop.ownerTelegramId)
        #expect(shown.text.contains("atrasada após 45 dias") && shown.text.contains("22:00–08:30"), "\(shown.text)")
    }
}
