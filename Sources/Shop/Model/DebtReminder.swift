import Foundation
import Store

/// The bounds of the debt reminders' settings (the OpenAPI document reads the same ranges).
public enum DebtRules {
    /// Days after its oldest unpaid charge that a debt is overdue.
    public static let overdueDays: ClosedRange<Int> = 1...365
    /// Days at least between two automatic reminders to one customer.
    public static let intervalDays: ClosedRange<Int> = 1...90
    /// Automatic reminders one debt gets at most.
    public static let maxReminders: ClosedRange<Int> = 0...20
}

/// The `debtReminders` part of ``UpdateShopSettings``: only the fields given change.
public struct DebtReminderChanges: Sendable, Equatable {
    public var enabled: Bool?
    public var overdueDays: Int?
    public var intervalDays: Int?
    public var maxReminders: Int?
    /// "HH:MM": the quiet hours' start and end in the shop's time zone.
    public var quietStart: String?
    public var quietEnd: String?

    public init(enabled: Bool? = nil, overdueDays: Int? = nil, intervalDays: Int? = nil, maxReminders: Int? = nil,
                quietStart: String? = nil, quietEnd: String? = nil) {
        self.enabled = enabled; self.overdueDays = overdueDays; self.intervalDays = intervalDays
        self.maxReminders = maxReminders; self.quietStart = quietStart; self.quietEnd = quietEnd
    }

    func validate() throws(ShopError) {
        let field = "debtReminders."
        func inside(_ value: Int?, _ range: ClosedRange<Int>, _ name: String) throws(ShopError) {
            if let value, !range.contains(value) {
                throw ShopError.invalid(field + name, "\(name) must be \(range.lowerBound) to \(range.upperBound)")
            }
        }
        try inside(overdueDays, DebtRules.overdueDays, "overdueDays")
        try inside(intervalDays, DebtRules.intervalDays, "intervalDays")
        try inside(maxReminders, DebtRules.maxReminders, "maxReminders")
        for (time, name) in [(quietStart, "quietStart"), (quietEnd, "quietEnd")] {
            if let time, ShopPreferences.minute(of: time) == nil {
                throw ShopError.invalid(field + name, "\(name) must be HH:MM, 00:00 to 23:59")
            }
        }
    }

    var summary: String {
        var parts: [String] = []
        if let enabled { parts.append(enabled ? "on" : "off") }
        if let overdueDays { parts.append("overdue \(overdueDays)d") }
        if let intervalDays { parts.append("every \(intervalDays)d") }
        if let maxReminders { parts.append("max \(maxReminders)") }
        if let quietStart { parts.append("quiet from \(quietStart)") }
        if let quietEnd { parts.append("quiet to \(quietEnd)") }
        return parts.joined(separator: " ")
    }

    func apply(to settings: inout ShopPreferences) {
        if let enabled { settings.remindersEnabled = enabled }
        if let overdueDays { settings.overdueDays = overdueDays }
        if let intervalDays { settings.reminderIntervalDays = intervalDays }
        if let maxReminders { settings.maxReminders = maxReminders }
        if let quietStart, let minute = ShopPreferences.minute(of: quietStart) { settings.quietStartMinute = minute }
        if let quietEnd, let minute = ShopPreferences.minute(of: quietEnd) { settings.quietEndMinute = minute }
    }
}

/// What the shop remembers of one customer's reminders (collection `debtReminders`, keyed by
/// the user's id): written by ``SendDebtReminder`` in the same write as the reminder's notice,
/// which the bot's notifier turns into exactly one outbox message.
public struct DebtReminder: Sendable, Equatable, BinaryCodable {
    public var userId: UInt64
    /// When the last reminder (automatic or an admin's) was sent.
    public var lastAt: Date?
    /// Reminders sent for the debt as it stood at ``lastAt`` (see ``Debtor/reminders``).
    public var count: Int
    /// An admin paused the automatic reminders for this customer.
    public var paused: Bool

    public init(userId: UInt64, lastAt: Date? = nil, count: Int = 0, paused: Bool = false) {
        self.userId = userId; self.lastAt = lastAt; self.count = count; self.paused = paused
    }

    private static let layout: UInt8 = 1

    public func encode(to w: inout BinaryWriter) {
        w.writeByte(Self.layout); w.write(userId); w.write(lastAt); w.write(count); w.write(paused)
    }

    public init(from r: inout BinaryReader) throws {
        let layout = try r.readByte()
        guard layout == Self.layout else { throw StoreError(.decodingFailed, "debt reminder layout \(layout) is unknown") }
        userId = try r.read(); lastAt = try r.read(); count = try r.read(); paused = try r.read()
    }
}

/// One customer's debt as the reminders see it: what they owe, since when, and their reminders.
///
/// A debt's age runs from its oldest unpaid charge: payments and credits (refunds, downward
/// corrections) pay the oldest charges first, so the unpaid charges are the newest ones that
/// add up to what is owed, and `since` is the time of the oldest of those.
public struct Debtor: Sendable, Equatable, BinaryCodable, ShopRecord {
    public var userId: UInt64
    public var name: String
    public var amount: Int64
    public var currency: String
    /// When the oldest unpaid charge was made; nil when nothing is owed.
    public var since: Date?
    /// Owed for at least the shop's ``ShopPreferences/overdueDays``.
    public var overdue: Bool
    public var lastReminderAt: Date?
    /// Reminders sent for this debt. The count starts again once everything owed at the last
    /// reminder is paid (the oldest unpaid charge is newer than that reminder).
    public var reminders: Int
    public var paused: Bool

    public var id: UInt64 { userId }
    public var publicId: String { EntityKind.user.format(userId) }

    /// Whole days since ``since`` at `now` (0 when nothing is owed).
    public func ageDays(at now: Date) -> Int {
        guard let since, now > since else { return 0 }
        return Int(now.timeIntervalSince(since) / 86_400)
    }

    public init(userId: UInt64, name: String, amount: Int64, currency: String, since: Date?, overdue: Bool,
                lastReminderAt: Date?, reminders: Int, paused: Bool) {
        self.userId = userId; self.name = name; self.amount = amount; self.currency = currency; self.since = since
        self.overdue = overdue; self.lastReminderAt = lastReminderAt; self.reminders = reminders; self.paused = paused
    }

    public func encode(to w: inout BinaryWriter) {
        w.write(userId); w.write(name); w.write(amount); w.write(currency); w.write(since); w.write(overdue)
        w.write(lastReminderAt); w.write(reminders); w.write(paused)
    }

    public init(from r: inout BinaryReader) throws {
        userId = try r.read(); name = try r.read(); amount = try r.read(); currency = try r.read(); since = try r.read()
        overdue = try r.read(); lastReminderAt = try r.read(); reminders = try r.read(); paused = try r.read()
    }

    /// Whether an automatic reminder should go at `now`: reminders on, not paused, overdue, fewer
    /// than the maximum sent, the interval since the last one past, and outside the quiet hours.
    public func reminderDue(at now: Date, settings: ShopPreferences) -> Bool {
        guard settings.remindersEnabled, !paused, amount > 0, overdue, reminders < settings.maxReminders,
              !settings.isQuiet(now) else { return false }
        guard let lastReminderAt else { return true }
        return now >= lastReminderAt.addingTimeInterval(Double(settings.reminderIntervalDays) * 86_400)
    }
}

extension ShopCollections {
    /// When the oldest charge still unpaid of `owing` was made, walking the user's ledger newest
    /// first (see ``Debtor``); nil when nothing is owed.
    func unpaidSince(_ userId: UInt64, owing: Int64, in txn: ReadTransaction) throws -> Date? {
        guard owing > 0 else { return nil }
        var covered: Int64 = 0
        var oldest: Date?
        var cursor: PageCursor?
        repeat {
            let page = try ledger.lookup(txn, index: "user", equals: OrderedKey(userId), options: ScanOptions(limit: 200, reverse: true, after: cursor))
            for entry in page.items where entry.value.amount > 0 {
                oldest = entry.value.at
                let (sum, overflow) = covered.addingReportingOverflow(entry.value.amount)
                if overflow || sum >= owing { return oldest }
                covered = sum
            }
            cursor = page.next
        } while cursor != nil
        // Charges that do not add up to the debt (should not happen): the oldest there is.
        return oldest
    }

    /// One user's debt with their reminders, as of `now`.
    func debtor(_ user: User, owing amount: Int64, currency: String, preferences: ShopPreferences, now: Date,
                in txn: ReadTransaction) throws -> Debtor {
        let state = try debtReminders.get(txn, user.id) ?? DebtReminder(userId: user.id)
        let since = try unpaidSince(user.id, owing: amount, in: txn)
        let overdue = since.map { now >= $0.addingTimeInterval(Double(preferences.overdueDays) * 86_400) } ?? false
        // Everything owed at the last reminder was paid since: the count starts again.
        let fresh = state.lastAt.map { last in since.map { $0 > last } ?? true } ?? true
        return Debtor(userId: user.id, name: user.name, amount: amount, currency: currency, since: since, overdue: overdue,
                      lastReminderAt: state.lastAt, reminders: fresh ? 0 : state.count, paused: state.paused)
    }
}

/// Reminds one customer of their debt now (admin): a `debt_reminder` notice to them (the bot
/// sends it to their chat in their language, with what they owe and how to pay) and their
/// reminder record moved, in one write. With `onlyIfDue` (the bot's schedule) it is refused
/// unless an automatic reminder is due (``Debtor/reminderDue(at:settings:)``), checked inside
/// the write so a reminder is never sent twice.
public struct SendDebtReminder: ShopCommand {
    public static let name = "sendDebtReminder"
    public static let access = Access.role(.admin)

    public var userId: UInt64
    public var onlyIfDue: Bool

    public init(userId: UInt64, onlyIfDue: Bool = false) {
        self.userId = userId
        self.onlyIfDue = onlyIfDue
    }

    public var summary: String { "\(EntityKind.user.format(userId))\(onlyIfDue ? " scheduled" : "")" }

    public func execute(_ context: CommandContext) throws -> Debtor {
        let user = try context.user(userId)
        let amount = try context.debt(of: userId)
        guard amount > 0 else { throw ShopError(.ruleBroken, "\(user.publicId) owes nothing", field: "userId") }
        let preferences = try context.shop.preferences.get(context.txn, ShopPreferences.key) ?? .defaults
        var debtor = try context.shop.debtor(user, owing: amount, currency: context.settings.currency, preferences: preferences,
                                             now: context.now, in: context.txn)
        if onlyIfDue, user.blocked || !debtor.reminderDue(at: context.now, settings: preferences) {
            throw ShopError(.ruleBroken, "no reminder is due for \(user.publicId)", field: "userId")
        }
        var state = try context.shop.debtReminders.get(context.txn, userId) ?? DebtReminder(userId: userId)
        state.count = debtor.reminders + 1
        state.lastAt = context.now
        _ = try context.put(context.shop.debtReminders, userId, state)
        try context.notify(userId, .debtReminder, priority: .high,
                           params: ["amount": Money.format(amount, context.settings.currency), "days": "\(debtor.ageDays(at: context.now))"],
                           link: "debts")
        debtor.lastReminderAt = state.lastAt
        debtor.reminders = state.count
        return debtor
    }
}

/// Pauses (or, with `paused` false, resumes) the automatic reminders to one customer (admin).
/// An admin may still send one with ``SendDebtReminder``.
public struct PauseDebtReminders: ShopCommand {
    public static let name = "pauseDebtReminders"
    public static let access = Access.role(.admin)

    public var userId: UInt64
    public var paused: Bool

    public init(userId: UInt64, paused: Bool) {
        self.userId = userId
        self.paused = paused
    }

    public var summary: String { "\(EntityKind.user.format(userId)) \(paused ? "paused" : "resumed")" }

    public func execute(_ context: CommandContext) throws -> Debtor {
        let user = try context.user(userId)
        var state = try context.shop.debtReminders.get(context.txn, userId) ?? DebtReminder(userId: userId)
        state.paused = paused
        _ = try context.put(context.shop.debtReminders, userId, state)
        let preferences = try context.shop.preferences.get(context.txn, ShopPreferences.key) ?? .defaults
        return try context.shop.debtor(user, owing: try context.debt(of: userId), currency: context.settings.currency,
                                       preferences: preferences, now: context.now, in: context.txn)
    }
}

extension Shop {
    /// Everyone who owes something, with the debt's age and reminders, largest debt first (admin).
    public func debtors(now: Date = Date(), as principal: Principal) throws -> [Debtor] {
        try query(as: principal) { q in
            try q.require(.admin)
            let preferences = try q.shop.preferences.get(q.txn, ShopPreferences.key) ?? .defaults
            return try q.txn.counters(from: Aggregates.debtPrefix, to: Aggregates.debtPrefix.prefixEnd).compactMap { key, amount in
                var reader = OrderedKeyReader(key)
                _ = try reader.readString()
                let userId = try reader.readUInt64()
                guard amount > 0, let user = try q.shop.users.get(q.txn, userId) else { return nil }
                return try q.shop.debtor(user, owing: amount, currency: settings.currency, preferences: preferences, now: now, in: q.txn)
            }.sorted { $0.amount > $1.amount || ($0.amount == $1.amount && $0.userId < $1.userId) }
        }
    }

    /// One user's debt with its age and reminders (admin).
    public func debtor(_ userId: UInt64, now: Date = Date(), as principal: Principal) throws -> Debtor {
        try query(as: principal) { q in
            try q.require(.admin)
            guard let user = try q.shop.users.get(q.txn, userId) else { throw ShopError.notFound("user") }
            let preferences = try q.shop.preferences.get(q.txn, ShopPreferences.key) ?? .defaults
            return try q.shop.debtor(user, owing: try q.txn.counter(Aggregates.debt(userId)), currency: settings.currency,
                                     preferences: preferences, now: now, in: q.txn)
        }
    }
}
