import Foundation
import Store

/// The keys of the counters the commands keep inside their writes, so the dashboard and
/// reports read totals instead of scanning sales.
///
/// Days are whole UTC days since 1970. Refunds count against the day of the sale they undo.
enum Aggregates {
    static func day(_ date: Date) -> Int64 {
        let day = (date.timeIntervalSince1970 / 86_400).rounded(.down)
        // Dates come from the clock, RFC 3339 text (years 1–9999) and stored records; converting
        // a damaged one (infinite, or beyond Int64) must not stop the process.
        return day.isFinite ? Int64(min(max(day, -1e15), 1e15)) : 0
    }
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
    /// The week (Monday to Sunday, UTC) a day falls in; 1970-01-01 was a Thursday.
    static func week(_ day: Int64) -> Int64 {
        let shifted = day + 3
        return shifted >= 0 ? shifted / 7 : (shifted - 6) / 7
    }

    static func firstDay(ofWeek week: Int64) -> Int64 { week * 7 - 3 }

    /// Per-product and per-buyer totals are kept by day and by week, so a long range reads
    /// its whole weeks from week counters and only its ragged ends from day counters.
    enum Span: String {
        case day = "d", week = "w"
    }

    /// Net revenue and units of one product on a day.
    static func productRevenuePrefix(_ span: Span) -> OrderedKey { OrderedKey("prev-" + span.rawValue) }
    static func productUnitsPrefix(_ span: Span) -> OrderedKey { OrderedKey("punits-" + span.rawValue) }
    /// Net purchases of one buyer.
    static func buyerRevenuePrefix(_ span: Span) -> OrderedKey { OrderedKey("brev-" + span.rawValue) }
    /// Net purchases of one buyer of all time (used when ``buyerSalesCountedSince`` says the
    /// counters started with the store's first sale: it started with them).
    static func buyerLifetimeRevenue(_ buyerId: UInt64) -> OrderedKey { OrderedKey("brev-all", buyerId) }
    /// Sales made to one buyer (refunds do not take them back).
    static func buyerSalesPrefix(_ span: Span) -> OrderedKey { OrderedKey("bsales-" + span.rawValue) }
    /// Since when the buyer sales counters hold every sale, set by the first sale that counts
    /// into them: ``buyerSalesCountedFromStart`` when the store had no sale before it, else the
    /// wall-clock microseconds of that first counted sale (stores older than these counters:
    /// their earlier sales were made before it and are not in them).
    static let buyerSalesCountedSince = OrderedKey("bsales-since")
    static let buyerSalesCountedFromStart: Int64 = 1
    /// Unread notifications of a user.
    static func unread(_ userId: UInt64) -> OrderedKey { OrderedKey("unread", userId) }
}
