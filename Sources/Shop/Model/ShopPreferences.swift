import Foundation
import Store

/// The settings the owner keeps in the store (as opposed to ``ShopSettings``, which the
/// executable builds at start): the shop's time zone and the bot's daily summary.
///
/// Defaults, before the owner sets anything: time zone `America/Sao_Paulo`, the summary off,
/// its time 21:00.
public struct ShopPreferences: BinaryCodable, Sendable, Equatable, ShopRecord {
    /// An IANA time zone name (`America/Sao_Paulo`), valid for `TimeZone(identifier:)`.
    public var timeZone: String
    /// Whether owners and admins get the daily summary.
    public var summaryEnabled: Bool
    /// When the summary goes, in minutes after the shop's local midnight (0...1439).
    public var summaryMinute: Int

    public static let defaultTimeZone = "America/Sao_Paulo"
    public static let defaults = ShopPreferences(timeZone: defaultTimeZone, summaryEnabled: false, summaryMinute: 21 * 60)
    /// The one record's key in its collection.
    static let key = "shop"

    public init(timeZone: String, summaryEnabled: Bool, summaryMinute: Int) {
        self.timeZone = timeZone
        self.summaryEnabled = summaryEnabled
        self.summaryMinute = summaryMinute
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

    private static let layout: UInt8 = 1

    public func encode(to w: inout BinaryWriter) {
        w.writeByte(Self.layout)
        w.write(timeZone)
        w.write(summaryEnabled)
        w.write(summaryMinute)
    }

    public init(from r: inout BinaryReader) throws {
        let layout = try r.readByte()
        guard layout == Self.layout else { throw StoreError(.decodingFailed, "shop settings layout \(layout) is unknown") }
        timeZone = try r.read()
        summaryEnabled = try r.read()
        summaryMinute = try r.read()
    }
}

/// Changes the shop's settings (owner): the time zone and the daily summary. Only the fields
/// given change.
public struct UpdateShopSettings: ShopCommand {
    public static let name = "updateShopSettings"
    public static let access = Access.role(.owner)

    public var timeZone: String?
    public var summaryEnabled: Bool?
    /// "HH:MM" in the shop's time zone.
    public var summaryTime: String?

    public init(timeZone: String? = nil, summaryEnabled: Bool? = nil, summaryTime: String? = nil) {
        self.timeZone = timeZone
        self.summaryEnabled = summaryEnabled
        self.summaryTime = summaryTime
    }

    public func validate() throws(ShopError) {
        if let timeZone, timeZone.count > 64 || TimeZone(identifier: timeZone) == nil {
            throw ShopError(.ruleBroken, "the time zone must be an IANA name such as America/Sao_Paulo", field: "timeZone")
        }
        if let summaryTime, ShopPreferences.minute(of: summaryTime) == nil {
            throw ShopError(.invalidInput, "the time must be HH:MM, 00:00 to 23:59", field: "dailySummary.time")
        }
    }

    public var summary: String {
        [timeZone.map { "timeZone \($0)" }, summaryEnabled.map { "summary \($0 ? "on" : "off")" }, summaryTime.map { "at \($0)" }]
            .compactMap { $0 }.joined(separator: " ")
    }

    public func execute(_ context: CommandContext) throws -> ShopPreferences {
        var settings = try context.shop.preferences.get(context.txn, ShopPreferences.key) ?? .defaults
        if let timeZone { settings.timeZone = timeZone }
        if let summaryEnabled { settings.summaryEnabled = summaryEnabled }
        if let summaryTime, let minute = ShopPreferences.minute(of: summaryTime) { settings.summaryMinute = minute }
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
