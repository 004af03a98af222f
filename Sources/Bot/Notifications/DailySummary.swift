import Foundation
import Logging
import ServiceLifecycle
import Shop
import Store
import Telegram

/// When the daily summary is due, computed in the shop's time zone with the calendar (so a
/// daylight-saving change moves the UTC moment, not the local time).
public enum SummarySchedule {
    static func calendar(_ zone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }

    /// The shop-local date of `date` as a day number (days since 1970-01-01 of that calendar date).
    public static func localDay(_ date: Date, in zone: TimeZone) -> Int64 {
        let c = calendar(zone).dateComponents([.year, .month, .day], from: date)
        var utc = calendar(TimeZone(identifier: "UTC")!)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let midnight = utc.date(from: DateComponents(year: c.year, month: c.month, day: c.day))!
        return Int64((midnight.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// The UTC moment of `minute` after midnight on local day `day`. A time that does not exist
    /// that day (skipped by a clock moved forward) is the first moment after the gap; a time that
    /// happens twice (a clock moved back) is its first occurrence.
    public static func moment(day: Int64, minute: Int, in zone: TimeZone) -> Date {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let c = utc.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(day) * 86_400))
        let local = calendar(zone)
        let start = local.startOfDay(for: local.date(from: DateComponents(year: c.year, month: c.month, day: c.day, hour: 12))!)
        if minute == 0 { return start }
        return local.nextDate(after: start, matching: DateComponents(hour: minute / 60, minute: minute % 60, second: 0),
                              matchingPolicy: .nextTime, repeatedTimePolicy: .first, direction: .forward) ?? start
    }

    /// Whether a summary should go at `now`: on, today's time reached, today not sent yet.
    public static func isDue(now: Date, settings: ShopPreferences, lastSentDay: Int64?) -> Bool {
        isDue(now: now, enabled: settings.summaryEnabled, minute: settings.summaryMinute, in: settings.zone, lastSentDay: lastSentDay)
    }

    /// The next moment a summary is due after `now` (today's if still ahead and not sent, else tomorrow's); nil when off.
    public static func next(after now: Date, settings: ShopPreferences, lastSentDay: Int64?) -> Date? {
        next(after: now, enabled: settings.summaryEnabled, minute: settings.summaryMinute, in: settings.zone, lastSentDay: lastSentDay)
    }

    /// Whether a once-a-day message at `minute` (shop-local) should go at `now`: on, today's time reached, today not sent yet.
    public static func isDue(now: Date, enabled: Bool, minute: Int, in zone: TimeZone, lastSentDay: Int64?) -> Bool {
        guard enabled else { return false }
        let today = localDay(now, in: zone)
        return lastSentDay != today && now >= moment(day: today, minute: minute, in: zone)
    }

    /// The next moment a once-a-day message at `minute` is due after `now`; nil when off.
    public static func next(after now: Date, enabled: Bool, minute: Int, in zone: TimeZone, lastSentDay: Int64?) -> Date? {
        guard enabled else { return nil }
        let today = localDay(now, in: zone)
        let due = moment(day: today, minute: minute, in: zone)
        if lastSentDay != today && now < due { return due }
        if lastSentDay != today { return now }
        return moment(day: today + 1, minute: minute, in: zone)
    }
}

/// A message that goes once a shop-local day (the daily summary, the admins' overdue list):
/// the last day sent is a counter of the outbox's store, moved in the same transaction that
/// queues the messages, so a restart after it sends nothing again, and a server that was down
/// at the time sends that day's once when it comes back the same day (a day missed entirely
/// is not sent later).
struct OncePerDay: Sendable {
    let outbox: Outbox
    /// The counter holding the last shop-local day sent (``SummarySchedule/localDay(_:in:)``), 0 before any.
    let key: OrderedKey

    /// The last shop-local day sent, nil before the first.
    func lastSentDay() throws -> Int64? {
        let day = try outbox.environment.read { txn in try txn.counter(key) }
        return day == 0 ? nil : day
    }

    /// Queues `messages` as day `day`'s, unless that day was already queued; answers how many were
    /// queued. They are queued at the wall clock's time (the outbox sends nothing before it), not
    /// the schedule's `now`, which tests set.
    func queue(_ messages: [SendMessage], day: Int64) async throws -> Int {
        let key = self.key
        let outbox = self.outbox
        return try await outbox.environment.write { txn -> Int in
            // Checked again inside the write: two ticks never both queue a day, and a clock set
            // back never queues a day before the last one sent.
            let stored = try txn.counter(key)
            guard day > stored else { return 0 }
            for m in messages { try outbox.enqueue(m, in: txn) }
            _ = try txn.add(toCounter: key, day - stored)
            return messages.count
        }
    }
}

/// Sends owners and admins the day's summary at the owner's time.
///
/// Once per shop-local day, even across restarts (``OncePerDay``).
public struct DailySummary: Service {
    let shop: Shop
    let outbox: Outbox
    let miniAppURL: String?
    let clock: @Sendable () -> Date
    let logger: Logger
    /// The last shop-local day summarised (``SummarySchedule/localDay(_:in:)``), 0 before any.
    static let lastDayKey = OrderedKey("botDailySummary", "lastDay")

    public init(shop: Shop, outbox: Outbox, publicURL: String?, clock: @escaping @Sendable () -> Date = { Date() },
                logger: Logger = Logger(label: "tenda.bot.summary")) {
        self.shop = shop
        self.outbox = outbox
        self.miniAppURL = publicURL.flatMap { $0.hasPrefix("https://") ? $0 + "/" : nil }
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let now = clock()
                var wake = now.addingTimeInterval(60)
                do {
                    _ = try await tick(now: now)
                    let settings = try shop.preferences(as: .system(.bot))
                    // Wakes at the due moment, and at least each minute to see changed settings.
                    if let due = SummarySchedule.next(after: now, settings: settings, lastSentDay: try lastSentDay()), due < wake {
                        wake = max(due, now.addingTimeInterval(1))
                    }
                } catch {
                    logger.warning("daily summary: \(error)")
                }
                try? await Task.sleep(for: .seconds(max(1, wake.timeIntervalSince(now))))
            }
        }
    }

    /// The last shop-local day summarised, nil before the first.
    public func lastSentDay() throws -> Int64? {
        try OncePerDay(outbox: outbox, key: Self.lastDayKey).lastSentDay()
    }

    /// Queues today's summary when it is due at `now`; answers how many messages were queued.
    @discardableResult
    public func tick(now: Date) async throws -> Int {
        let settings = try shop.preferences(as: .system(.bot))
        guard SummarySchedule.isDue(now: now, settings: settings, lastSentDay: try lastSentDay()) else { return 0 }
        let today = SummarySchedule.localDay(now, in: settings.zone)
        // The dashboard counts days in UTC: the summary of the shop's day D reads the dashboard's day D.
        let figures = try shop.dailySummaryFigures(now: Date(timeIntervalSince1970: Double(today) * 86_400 + 43_200), as: .system(.bot))
        let people = try shop.staff(as: .system(.bot)).filter { $0.telegramId > 0 && !$0.blocked }
        let messages = people.map { message(for: $0, figures, day: today) }
        let queued = try await OncePerDay(outbox: outbox, key: Self.lastDayKey).queue(messages, day: today)
        logger.info("daily summary of day \(today) queued for \(queued) people")
        return queued
    }

    func message(for user: User, _ f: DailySummaryFigures, day: Int64) -> SendMessage {
        let l = Language(code: user.language)
        let money = { (amount: Int64) in html(Money.format(amount, f.currency)) }
        let date = SummaryDay.string(day)
        let lines = [
            "📊 <b>\(l.pick("Resumo do dia", "Daily summary")) \(date)</b>",
            "\(l.pick("Vendas", "Sales")): \(f.sales)",
            "\(l.pick("Faturamento (nova dívida)", "Takings (new debt)")): \(money(f.takings))",
            "\(l.pick("Pagamentos recebidos", "Payments received")): \(money(f.payments))",
            "\(l.pick("Dívida em aberto", "Outstanding debt")): \(money(f.outstandingDebt))",
            "\(l.pick("Estoque baixo", "Low stock")): \(f.lowStock)",
            "\(l.pick("Pedidos pendentes", "Pending orders")): \(f.pendingOrders)",
        ]
        var markup: InlineKeyboardMarkup?
        if let miniAppURL {
            markup = ChatHandler.keyboard([[ReplyButton(l.pick("Abrir painel", "Open dashboard"), .webApp(miniAppURL + "#/dashboard"))]],
                                          privateChat: true)
        }
        return SendMessage(chatId: user.telegramId, text: lines.joined(separator: "\n"), replyMarkup: markup)
    }
}

enum SummaryDay {
    static func string(_ day: Int64) -> String {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let c = utc.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(day) * 86_400))
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }
}
