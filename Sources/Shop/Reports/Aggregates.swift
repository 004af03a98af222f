import Foundation
import Store

/// The keys of the counters the commands keep inside their writes, so the dashboard and
/// reports read totals instead of scanning sales.
///
/// Days are whole UTC days since 1970. Refunds count against the day of the sale they undo.
enum Aggregates {
    static func day(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / 86_400).rounded(.down)) }
    static func startOfDay(_ day: Int64) -> Date { Date(timeIntervalSince1970: Double(day) * 86_400) }

    /// The last id given to a kind of record.
    static func lastId(_ kind: EntityKind) -> OrderedKey { OrderedKey("id", kind.rawValue) }
    /// What one user owes (the sum of their ledger entries).
    static func debt(_ userId: UInt64) -> OrderedKey { OrderedKey("debt", userId) }
    static let debtPrefix = OrderedKey("debt")
    /// What all users owe together.
    static let totalDebt = OrderedKey("debt-total")
    /// Net sales revenue of a day (sales minus refunds).
    static func revenue(_ day: Int64) -> OrderedKey { OrderedKey("rev", day) }
    static let revenuePrefix = OrderedKey("rev")
    /// Number of sales made on a day.
    static func salesCount(_ day: Int64) -> OrderedKey { OrderedKey("cnt", day) }
    static let salesCountPrefix = OrderedKey("cnt")
    /// Payments received on a day.
    static func received(_ day: Int64) -> OrderedKey { OrderedKey("pay", day) }
    static let receivedPrefix = OrderedKey("pay")
    /// Net revenue and units of one product on a day.
    static func productRevenue(_ day: Int64, _ productId: UInt64) -> OrderedKey { OrderedKey("prev", day, productId) }
    static let productRevenuePrefix = OrderedKey("prev")
    static func productUnits(_ day: Int64, _ productId: UInt64) -> OrderedKey { OrderedKey("punits", day, productId) }
    static let productUnitsPrefix = OrderedKey("punits")
    /// Net purchases of one buyer on a day.
    static func buyerRevenue(_ day: Int64, _ buyerId: UInt64) -> OrderedKey { OrderedKey("brev", day, buyerId) }
    static let buyerRevenuePrefix = OrderedKey("brev")
    /// Unread notifications of a user.
    static func unread(_ userId: UInt64) -> OrderedKey { OrderedKey("unread", userId) }
}
