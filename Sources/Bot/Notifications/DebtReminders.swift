import Foundation
import Logging
import ServiceLifecycle
import Shop
import Store
import Telegram

/// Chases overdue debts on the owner's settings (``ShopPreferences``): reminds each customer
/// whose reminder is due (outside the quiet hours, at most the maximum, the interval apart),
/// and once a shop-local day, at the end of the quiet hours, sends owners and admins the list
/// of overdue debts.
///
/// Neither loses nor repeats a message across a restart:
/// - a reminder is the shop's ``SendDebtReminder`` (with `onlyIfDue`, checked inside its
///   write): the customer's reminder record and a `debt_reminder` notice in one write; the
///   ``Notifier`` turns the notice into exactly one outbox message (its feed position moves in
///   the same write as the message), and the outbox sends it within Telegram's limits;
/// - the admins' list goes through ``OncePerDay``, as the daily summary does.
public struct DebtReminders: Service {
    let shop: Shop
    let outbox: Outbox
    let miniAppURL: String?
    let clock: @Sendable () -> Date
    let logger: Logger
    /// The last shop-local day the admins' overdue list was queued.
    static let lastListDayKey = OrderedKey("botDebtReminders", "lastListDay")

    public init(shop: Shop, outbox: Outbox, publicURL: String?, clock: @escaping @Sendable () -> Date = { Date() },
                logger: Logger = Logger(label: "tenda.bot.debts")) {
        self.shop = shop
        self.outbox = outbox
        self.miniAppURL = publicURL.flatMap { $0.hasPrefix("https://") ? $0 + "/" : nil }
        self.clock = clock
        self.logger = logger
    }

    /// What one tick did.
    public struct Outcome: Sendable, Equatable {
        /// Customers reminded.
        public var reminded: Int
        /// Messages of the admins' overdue list queued.
        public var listed: Int

        public init(reminded: Int, listed: Int) {
            self.reminded = reminded
            self.listed = listed
        }
    }

    var list: OncePerDay { OncePerDay(outbox: outbox, key: Self.lastListDayKey) }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await tick(now: clock())
                } catch {
                    logger.warning("debt reminders: \(error)")
                }
                // Reminders are due by the minute at most (quiet hours, intervals), and settings change any time.
                try? await Task.sleep(for: .seconds(60))
            }
        }
    }

    /// The last shop-local day the admins' list was queued, nil before the first.
    public func lastListDay() throws -> Int64? { try list.lastSentDay() }

    /// Sends the reminders due at `now`, and the admins' list when its time has come today.
    @discardableResult
    public func tick(now: Date) async throws -> Outcome {
        let settings = try shop.preferences(as: .system(.bot))
        guard settings.remindersEnabled else { return Outcome(reminded: 0, listed: 0) }
        let debtors = try shop.debtors(now: now, as: .system(.bot))
        var reminded = 0
        for debtor in debtors where debtor.reminderDue(at: now, settings: settings) {
            // A blocked customer is not written to (the shop refuses it, and it would be refused every minute).
            guard let user = try? shop.user(debtor.userId, as: .system(.bot)).value, !user.blocked else { continue }
            do {
                _ = try await shop.run(SendDebtReminder(userId: debtor.userId, onlyIfDue: true), as: .system(.bot), at: now)
                reminded += 1
            } catch let error as ShopError where error.code == .ruleBroken {
                // Paid, paused or reminded in the meantime: nothing is due after all.
                continue
            }
        }
        return Outcome(reminded: reminded, listed: try await queueList(now: now, settings: settings, debtors: debtors))
    }

    /// Queues the admins' overdue list once a local day, at the end of the quiet hours; a day
    /// with nothing overdue is marked done without a message.
    func queueList(now: Date, settings: ShopPreferences, debtors: [Debtor]) async throws -> Int {
        guard SummarySchedule.isDue(now: now, enabled: true, minute: settings.quietEndMinute, in: settings.zone,
                                    lastSentDay: try list.lastSentDay()) else { return 0 }
        let today = SummarySchedule.localDay(now, in: settings.zone)
        let overdue = debtors.filter(\.overdue)
        let people = overdue.isEmpty ? [] : try shop.staff(as: .system(.bot)).filter { $0.telegramId > 0 && !$0.blocked }
        let queued = try await list.queue(people.map { message(for: $0, overdue, now: now) }, day: today)
        logger.info("overdue list of day \(today): \(overdue.count) debts, queued for \(queued) people")
        return queued
    }

    /// The overdue list in the reader's language: each debt with its age, reminders and whether they are paused.
    func message(for user: User, _ overdue: [Debtor], now: Date) -> SendMessage {
        let l = Language(code: user.language)
        let currency = overdue.first?.currency ?? "BRL"
        let total = overdue.reduce(Int64(0)) { $0.addingReportingOverflow($1.amount).partialValue }
        var lines = ["⏰ <b>\(l.pick("Dívidas atrasadas", "Overdue debts"))</b> (\(overdue.count))"]
        for d in overdue.prefix(30) {
            var line = "• \(html(d.name)): \(html(Money.format(d.amount, d.currency))), \(d.ageDays(at: now)) \(l.pick("dias", "days"))"
            line += d.reminders == 0 ? l.pick(", sem lembrete", ", not reminded")
                : l.pick(", \(d.reminders) lembrete(s)", ", \(d.reminders) reminder(s)")
            if d.paused { line += l.pick(" (pausado)", " (paused)") }
            lines.append(line)
        }
        if overdue.count > 30 { lines.append(l.pick("… e mais \(overdue.count - 30)", "… and \(overdue.count - 30) more")) }
        lines.append("\(l.pick("Total", "Total")): <b>\(html(Money.format(total, currency)))</b>")
        var buttons: [ReplyButton] = [.run(l.pick("Ver atrasadas", "See overdue"), "/atrasadas")]
        if let miniAppURL {
            buttons.append(ReplyButton(l.pick("Abrir dívidas", "Open debts"), .webApp(miniAppURL + "#/debts")))
        }
        return SendMessage(chatId: user.telegramId, text: lines.joined(separator: "\n"),
                           replyMarkup: ChatHandler.keyboard([buttons], privateChat: true))
    }
}
