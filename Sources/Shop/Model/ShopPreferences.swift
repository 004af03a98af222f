import Foundation
import Store

/// The settings the owner keeps in the store (as opposed to ``ShopSettings``, which the
/// executable builds at start): the shop's time zone, the bot's daily summary and the debt
/// reminders.
///
/// Defaults, before the owner sets anything: time zone `America/Sao_Paulo`, the summary off,
/// its time 21:00; debt reminders off, a debt overdue after 30 days, a reminder at most every
/// 7 days and 3 in all, none between 21:00 and 09:00.
public struct ShopPreferences: BinaryCodable, Sendable, Equatable, ShopRecord {
    /// An IANA time zone name (`America/Sao_Paulo`), valid for `TimeZone(identifier:)`.
    public var timeZone: String
    /// Whether owners and admins get the daily summary.
    public var summaryEnabled: Bool
    /// When the summary goes, in minutes after the shop's local midnight (0...1439).
    public var summaryMinute: Int
    /// Whether the bot reminds customers of overdue debts and sends admins the daily overdue list.
    public var remindersEnabled: Bool
    /// Days after its oldest unpaid charge that a debt is overdue (``DebtRules/overdueDays``).
    public var overdueDays: Int
    /// Days at least between two automatic reminders to one customer (``DebtRules/intervalDays``).
    public var reminderIntervalDays: Int
    /// Automatic reminders one debt gets at most (``DebtRules/maxReminders``); 0 sends none, the
    /// admins' list still goes.
    public var maxReminders: Int
    /// The quiet hours, minutes after the shop's local midnight: no automatic reminder from
    /// `quietStartMinute` until `quietEndMinute` (wrapping midnight when start > end; none when
    /// equal). The admins' overdue list goes daily at `quietEndMinute`.
    public var quietStartMinute: Int
    public var quietEndMinute: Int

    public static let defaultTimeZone = "America/Sao_Paulo"
    public static let defaults = ShopPreferences(timeZone: defaultTimeZone, summaryEnabled: false, summaryMinute: 21 * 60)
    /// The one record's key in its collection.
    static let key = "shop"

    public init(timeZone: String, summaryEnabled: Bool, summaryMinute: Int, remindersEnabled: Bool = false, overdueDays: Int = 30,
                reminderIntervalDays: Int = 7, maxReminders: Int = 3, quietStartMinute: Int = 21 * 60, quietEndMinute: Int = 9 * 60) {
        self.timeZone = timeZone
        self.summaryEnabled = summaryEnabled
        self.summaryMinute = summaryMinute
        self.remindersEnabled = remindersEnabled
        self.overdueDays = overdueDays
        self.reminderIntervalDays = reminderIntervalDays
        self.maxReminders = maxReminders
        self.quietStartMinute = quietStartMinute
        self.quietEndMinute = quietEndMinute
    }

    public var id: UInt64 { 1 }
    public var publicId: String { "settings" }

    /// The summary's time as "HH:MM".
    public var summaryTime: String { Self.format(minute: summaryMinute) }

    /// The zone, or UTC should a stored name no longer be known to the system.
    public var zone: TimeZone { TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")! }

    /// "HH:MM" (00:00 to 23:59, two digits each) as minutes after midnight; nil otherwise.
    public static func minute(of time: String) -> Int? {
        let parts = time.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let h = Int(parts[0]), let m = Int(parts[1]), (0...23).contains(h), (0...59).contains(m) else { return nil }
        return h * 60 + m
    }

    public static func format(minute: Int) -> String { String(format: "%02d:%02d", minute / 60, minute % 60) }

    /// Whether `now` falls in the quiet hours, in the shop's time zone.
    public func isQuiet(_ now: Date) -> Bool {
        guard quietStartMinute != quietEndMinute else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.hour, .minute], from: now)
        let minute = (c.hour ?? 0) * 60 + (c.minute ?? 0)
        return quietStartMinute < quietEndMinute
            ? (quietStartMinute..<quietEndMinute).contains(minute)
            : minute >= quietStartMinute || minute < quietEndMinute
    }

    /// Layout 1 had the time zone and the summary; 2 adds the debt reminders (layout 1 reads with their defaults).
    private static let layout: UInt8 = 2

    public func encode(to w: inout BinaryWriter) {
        w.writeByte(Self.layout)
        w.write(timeZone)
        w.write(summaryEnabled)
        w.write(summaryMinute)
        w.write(remindersEnabled)
        w.write(overdueDays)
        w.write(reminderIntervalDays)
        w.write(maxReminders)
        w.write(quietStartMinute)
        w.write(quietEndMinute)
    }

    public init(from r: inout BinaryReader) throws {
        let layout = try r.readByte()
        guard layout == 1 || layout == 2 else { throw StoreError(.decodingFailed, "shop settings layout \(layout) is unknown") }
        self = .defaults
        timeZone = try r.read()
        summaryEnabled = try r.read()
        summaryMinute = try r.read()
        guard layout == 2 else { return }
        remindersEnabled = try r.read()
        overdueDays = try r.read()
        reminderIntervalDays = try r.read()
        maxReminders = try r.read()
        quietStartMinute = try r.read()
        quietEndMinute = try r.read()
    }
}

/// Changes the shop's settings (owner): the time zone, the daily summary and the debt
/// reminders. Only the fields given change.
public struct UpdateShopSettings: ShopCommand {
    public static let name = "updateShopSettings"
    public static let access = Access.role(.owner)

    public var timeZone: String?
    public var summaryEnabled: Bool?
    /// "HH:MM" in the shop's time zone.
    public var summaryTime: String?
    public var debts: DebtReminderChanges

    public init(timeZone: String? = nil, summaryEnabled: Bool? = nil, summaryTime: String? = nil, debts: DebtReminderChanges = DebtReminderChanges()) {
        self.timeZone = timeZone
        self.summaryEnabled = summaryEnabled
        self.summaryTime = summaryTime
        self.debts = debts
    }

    public func validate() throws(ShopError) {
        if let timeZone, timeZone.count > 64 || TimeZone(identifier: timeZone) == nil {
            throw ShopError(.ruleBroken, "the time zone must be an IANA name such as America/Sao_Paulo", field: "timeZone")
        }
        if let summaryTime, ShopPreferences.minute(of: summaryTime) == nil {
            throw ShopError(.invalidInput, "the time must be HH:MM, 00:00 to 23:59", field: "dailySummary.time")
        }
        try debts.validate()
    }

    public var summary: String {
        let debtPart: String? = debts.summary.isEmpty ? nil : "debts \(debts.summary)"
        let parts: [String?] = [timeZone.map { "timeZone \($0)" }, summaryEnabled.map { "summary \($0 ? "on" : "off")" },
                                summaryTime.map { "at \($0)" }, debtPart]
        return parts.compactMap { $0 }.joined(separator: " ")
    }

    public func execute(_ context: CommandContext) throws -> ShopPreferences {
        var settings = try context.shop.preferences.get(context.txn, ShopPreferences.key) ?? .defaults
        if let timeZone { settings.timeZone = timeZone }
        if let summaryEnabled { settings.summaryEnabled = summaryEnabled }
        if let summaryTime, let minute = ShopPreferences.minute(of: summaryTime) { settings.summaryMinute = minute }
        debts.apply(to: &settings)
        _ = try context.shop.preferences.put(context.txn, ShopPreferences.key, settings)
        return settings
    }
}

/// What the daily summary tells: the dashboard's figures for today, and the orders waiting.
public struct DailySummaryFigures: Sendable, Equatable {
    public var currency: String
    /// Sales made today (the dashboard's `todaySales`).
    public var sales: Int64
    /// Their value (the dashboard's `todayRevenue`); every sale is owed by its buyer until paid, so it is also today's new debt.
    public var takings: Int64
    /// Payments received today (the dashboard's `todayReceived`).
    public var payments: Int64
    /// What buyers owe in all (the dashboard's `outstandingDebt`).
    public var outstandingDebt: Int64
    public var lowStock: Int
    /// Orders waiting for the customer's payment, an admin's verification or fulfilment.
    public var pendingOrders: Int
}

extension Shop {
    /// The owner's stored settings, or the defaults (admin).
    public func preferences(as principal: Principal) throws -> ShopPreferences {
        try query(as: principal) { q in
            try q.require(.admin)
            return try q.shop.preferences.get(q.txn, ShopPreferences.key) ?? .defaults
        }
    }

    /// The summary's figures at `now`, read from the dashboard (admin).
    public func dailySummaryFigures(now: Date = Date(), as principal: Principal) throws -> DailySummaryFigures {
        let board = try dashboard(now: now, topDays: 1, top: 0, as: principal)
        let pending = try query(as: principal) { q in
            try [Order.State.pendingPayment, .receiptSubmitted, .verified].reduce(0) { total, state in
                total + (try q.shop.orders.lookup(q.txn, index: "state", equals: OrderedKey(state.rawValue)).items.count)
            }
        }
        return DailySummaryFigures(currency: board.currency, sales: board.todaySales, takings: board.todayRevenue,
                                   payments: board.todayReceived, outstandingDebt: board.outstandingDebt,
                                   lowStock: board.lowStockCount, pendingOrders: pending)
    }
}

extension Shop {
    /// Every owner and admin, through the role index (owner).
    public func staff(as principal: Principal) throws -> [User] {
        try query(as: principal) { q in
            try q.require(.owner)
            return try [Role.owner, .admin].flatMap { role in
                try q.shop.users.lookup(q.txn, index: "role", equals: OrderedKey(role.rawValue)).items.map(\.value)
            }
        }
    }
}
