import Foundation
import Store

/// One row of a report or one point of a chart.
public struct ReportRow: Sendable, Equatable {
    /// "2026-11-21" (day), "2026-11-16" (the Monday of a week), "2026-11" (month), "p3", "u7".
    public var key: String
    /// A name for people: the product or the buyer, or the key again for periods.
    public var label: String
    /// Sales made (periods only).
    public var sales: Int64
    /// Units sold, net of refunds (products only).
    public var units: Int64
    /// Net revenue in minor units.
    public var revenue: Int64
    /// Buyers only: their net purchases of all time and what they owe now, in minor units.
    public var lifetimeRevenue: Int64? = nil
    public var debt: Int64? = nil
}

/// How a report groups its rows.
public enum ReportGrouping: String, Sendable, CaseIterable {
    case day, week, month, product, buyer
}

/// A report over whole UTC days.
public struct Report: Sendable, Equatable {
    public var from: Date
    public var to: Date
    public var groupBy: ReportGrouping
    public var currency: String
    public var rows: [ReportRow]
    /// The rows' revenue summed (checked: a sum that would not fit is refused with `out_of_range`).
    public var totalRevenue: Int64
    /// The period's buyers: counts, average basket, and each one's lifetime revenue and debt.
    public var customers: CustomerFigures

    /// The report as CSV (RFC 4180), amounts in minor units: the rows of the grouping, with
    /// `lifetimeRevenue` and `debt` filled for buyer rows and left empty for the others.
    public var csv: String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var lines = ["key,label,sales,units,revenue,currency,lifetimeRevenue,debt"]
        for row in rows {
            lines.append([field(row.key), field(row.label), "\(row.sales)", "\(row.units)", "\(row.revenue)", currency,
                          row.lifetimeRevenue.map(String.init) ?? "", row.debt.map(String.init) ?? ""].joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}

/// The admin dashboard's figures.
public struct Dashboard: Sendable, Equatable {
    public var currency: String
    public var todaySales: Int64
    public var todayRevenue: Int64
    public var todayReceived: Int64
    /// The last 90 days, oldest first (the 7- and 30-day charts are its tail).
    public var daily: [ReportRow]
    public var lowStockCount: Int
    public var outstandingDebt: Int64
    /// Best sellers and best buyers over the last `topDays` days.
    public var topProducts: [ReportRow]
    public var topBuyers: [ReportRow]
    public var topDays: Int
}

extension Shop {
    /// Today's figures, the last 90 days day by day, low stock, outstanding debt and the top
    /// products and buyers of the last `topDays` days, all read from counters (admin).
    public func dashboard(now: Date = Date(), topDays: Int = 30, top: Int = 5, as principal: Principal) throws -> Dashboard {
        try query(as: principal) { q in
            try q.require(.admin)
            return try dashboard(now: now, topDays: topDays, top: top, from: CounterFigures(txn: q.txn), q)
        }
    }

    /// Sales from `from`'s day to `to`'s day (inclusive, UTC), grouped, from counters (admin).
    public func report(from: Date, to: Date, groupBy: ReportGrouping, as principal: Principal) throws -> Report {
        try query(as: principal) { q in
            try q.require(.admin)
            return try report(from: from, to: to, groupBy: groupBy, source: CounterFigures(txn: q.txn), q)
        }
    }

    func dashboard(now: Date, topDays: Int, top: Int, from source: some FiguresSource, _ q: QueryContext) throws -> Dashboard {
        let today = Aggregates.day(now)
        let recent = try source.figures(from: today - 89, to: today, perItem: false)
        let best = try source.figures(from: today - Int64(max(topDays, 1)) + 1, to: today, perItem: true)
        let daily = recent.dayRows(from: today - 89, to: today)
        return Dashboard(
            currency: settings.currency,
            todaySales: daily.last?.sales ?? 0, todayRevenue: daily.last?.revenue ?? 0,
            todayReceived: recent.receivedByDay[today] ?? 0,
            daily: daily,
            lowStockCount: try source.lowStockCount(q.shop),
            outstandingDebt: try source.outstandingDebt(q.shop),
            topProducts: Array(try named(best.productRows(), q).prefix(top)),
            topBuyers: Array(try named(best.buyerRows(), q).prefix(top)),
            topDays: topDays)
    }

    func report(from: Date, to: Date, groupBy: ReportGrouping, source: some FiguresSource, _ q: QueryContext) throws -> Report {
        let first = Aggregates.day(from), last = Aggregates.day(to)
        guard first <= last, last - first <= 3_660 else { throw ShopError(.ruleBroken, "the range must be 1 to 3660 days", field: "from") }
        let figures = try source.figures(from: first, to: last, perItem: groupBy == .product)
        let customers = try customerFigures(try source.buyers(from: first, to: last, q.shop), q)
        let rows: [ReportRow]
        switch groupBy {
        case .day: rows = figures.dayRows(from: first, to: last)
        case .week: rows = try ReportGrouping.regroup(figures.dayRows(from: first, to: last), by: ReportGrouping.weekKey)
        case .month: rows = try ReportGrouping.regroup(figures.dayRows(from: first, to: last)) { String($0.prefix(7)) }
        case .product: rows = try named(figures.productRows(), q)
        case .buyer:
            // The customers are the buyers with their sale counts, lifetime and debt.
            rows = customers.rows.map {
                ReportRow(key: $0.key, label: $0.name, sales: $0.sales, units: 0, revenue: $0.revenue, lifetimeRevenue: $0.lifetimeRevenue, debt: $0.debt)
            }
        }
        return Report(from: Aggregates.startOfDay(first), to: Aggregates.startOfDay(last), groupBy: groupBy,
                      currency: settings.currency, rows: rows, totalRevenue: try Checked.total(rows.map(\.revenue), "totalRevenue"),
                      customers: customers)
    }

    /// Fills in product and buyer names for rows keyed by id.
    private func named(_ rows: [ReportRow], _ q: QueryContext) throws -> [ReportRow] {
        try rows.map { row in
            var row = row
            if let id = EntityKind.product.parse(row.key), let product = try q.shop.products.get(q.txn, id) {
                row.label = "\(product.emoji) \(product.name)".trimmingCharacters(in: .whitespaces)
            } else if let id = EntityKind.user.parse(row.key), let user = try q.shop.users.get(q.txn, id) {
                row.label = user.name
            }
            return row
        }
    }
}

extension ReportGrouping {
    /// The Monday (UTC) of a day's week, as "yyyy-mm-dd".
    static func weekKey(_ dayKey: String) -> String {
        guard let date = DayFormat.parse(dayKey) else { return dayKey }
        let day = Aggregates.day(date)
        // 1970-01-01 was a Thursday: day 0 is 3 days after a Monday.
        let monday = day - ((day + 3) % 7 + 7) % 7
        return DayFormat.string(Aggregates.startOfDay(monday))
    }

    /// Sums day rows into periods named by `key`, keeping order.
    static func regroup(_ days: [ReportRow], by key: (String) -> String) throws(ShopError) -> [ReportRow] {
        var rows: [ReportRow] = []
        for day in days {
            let k = key(day.key)
            if rows.last?.key == k {
                rows[rows.count - 1].sales = try Checked.sum(rows[rows.count - 1].sales, day.sales, "sales")
                rows[rows.count - 1].revenue = try Checked.sum(rows[rows.count - 1].revenue, day.revenue, "revenue")
            } else {
                rows.append(ReportRow(key: k, label: k, sales: day.sales, units: 0, revenue: day.revenue))
            }
        }
        return rows
    }
}

/// "yyyy-mm-dd" in UTC.
enum DayFormat {
    static func string(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    static func parse(_ text: String) -> Date? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
    }
}

/// Sales totals over a range of days, from wherever they come.
struct SalesFigures {
    var revenueByDay: [Int64: Int64] = [:]
    var salesByDay: [Int64: Int64] = [:]
    var receivedByDay: [Int64: Int64] = [:]
    var productRevenue: [UInt64: Int64] = [:]
    var productUnits: [UInt64: Int64] = [:]
    var buyerRevenue: [UInt64: Int64] = [:]

    /// One row per day in `first...last`, days without sales included.
    func dayRows(from first: Int64, to last: Int64) -> [ReportRow] {
        (first...last).map { day in
            let key = DayFormat.string(Aggregates.startOfDay(day))
            return ReportRow(key: key, label: key, sales: salesByDay[day] ?? 0, units: 0, revenue: revenueByDay[day] ?? 0)
        }
    }

    /// Products by net revenue, best first.
    func productRows() -> [ReportRow] {
        // A product sold at price 0 has units but no revenue counter, so both are looked at.
        Set(productRevenue.keys).union(productUnits.keys).compactMap { id -> ReportRow? in
            let revenue = productRevenue[id] ?? 0, units = productUnits[id] ?? 0
            guard revenue != 0 || units != 0 else { return nil }
            return ReportRow(key: EntityKind.product.format(id), label: EntityKind.product.format(id), sales: 0, units: units, revenue: revenue)
        }.sorted { ($0.revenue, $1.key) > ($1.revenue, $0.key) }
    }

    /// Buyers by net purchases, best first.
    func buyerRows() -> [ReportRow] {
        buyerRevenue.filter { $0.value != 0 }.map { id, amount in
            ReportRow(key: EntityKind.user.format(id), label: EntityKind.user.format(id), sales: 0, units: 0, revenue: amount)
        }.sorted { ($0.revenue, $1.key) > ($1.revenue, $0.key) }
    }
}

/// Where dashboards and reports get their totals: the counters kept by the commands, or
/// (to check them, and to show what they save) a scan of every record.
protocol FiguresSource {
    /// Totals of the days `first...last`; per-product and per-buyer totals only when `perItem`.
    func figures(from first: Int64, to last: Int64, perItem: Bool) throws -> SalesFigures
    /// The buyers with sales in `first...last`, each with their totals (see ``BuyerTotals``).
    func buyers(from first: Int64, to last: Int64, _ shop: ShopCollections) throws -> [UInt64: BuyerTotals]
    func lowStockCount(_ shop: ShopCollections) throws -> Int
    func outstandingDebt(_ shop: ShopCollections) throws -> Int64
}

/// Reads the counters the commands keep: cost grows with the days asked for (and the
/// products and buyers active in them), not with the number of sales.
struct CounterFigures: FiguresSource {
    let txn: ReadTransaction

    func figures(from first: Int64, to last: Int64, perItem: Bool) throws -> SalesFigures {
        var f = SalesFigures()
        f.revenueByDay = try perDay(Aggregates.revenuePrefix, first, last)
        f.salesByDay = try perDay(Aggregates.salesCountPrefix, first, last)
        f.receivedByDay = try perDay(Aggregates.receivedPrefix, first, last)
        if perItem {
            f.productRevenue = try perId(Aggregates.productRevenuePrefix, first, last)
            f.productUnits = try perId(Aggregates.productUnitsPrefix, first, last)
            f.buyerRevenue = try perId(Aggregates.buyerRevenuePrefix, first, last)
        }
        return f
    }

    func lowStockCount(_ shop: ShopCollections) throws -> Int {
        try shop.products.indexEntryCount(txn, index: "lowStock")
    }

    func outstandingDebt(_ shop: ShopCollections) throws -> Int64 {
        try txn.counter(Aggregates.totalDebt)
    }

    /// `(prefix, day)` counters of `first...last`, by day.
    private func perDay(_ prefix: OrderedKey, _ first: Int64, _ last: Int64) throws -> [Int64: Int64] {
        var out: [Int64: Int64] = [:]
        try txn.forEachCounter(from: OrderedKey(prefix, first), to: OrderedKey(prefix, last + 1)) { key, value in
            out[Self.int64(key, at: prefix.bytes.count)] = value
            return true
        }
        return out
    }

    /// `(prefix, period, id)` counters summed per id over `first...last`: whole weeks from
    /// the week counters, the days before the first and after the last whole week from the day counters.
    func perId(_ prefix: (Aggregates.Span) -> OrderedKey, _ first: Int64, _ last: Int64) throws -> [UInt64: Int64] {
        var out: [UInt64: Int64] = [:]
        func add(_ span: Aggregates.Span, _ from: Int64, _ to: Int64) throws {
            guard from <= to else { return }
            let p = prefix(span)
            try txn.forEachCounter(from: OrderedKey(p, from), to: OrderedKey(p, to + 1)) { key, value in
                let id = Self.uint64(key, at: p.bytes.count + 8)
                out[id] = try Checked.sum(out[id] ?? 0, value, "revenue")
                return true
            }
        }
        var firstWeek = Aggregates.week(first)
        if Aggregates.firstDay(ofWeek: firstWeek) < first { firstWeek += 1 }
        var lastWeek = Aggregates.week(last)
        if Aggregates.firstDay(ofWeek: lastWeek) + 6 > last { lastWeek -= 1 }
        if firstWeek <= lastWeek {
            try add(.week, firstWeek, lastWeek)
            try add(.day, first, Aggregates.firstDay(ofWeek: firstWeek) - 1)
            try add(.day, Aggregates.firstDay(ofWeek: lastWeek) + 7, last)
        } else {
            try add(.day, first, last)
        }
        return out
    }

    /// The unsigned 8-byte big-endian component of an ``OrderedKey`` at `offset`.
    static func uint64(_ key: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        var raw: UInt64 = 0
        for i in offset..<min(offset + 8, key.count) { raw = raw << 8 | UInt64(key[i]) }
        return raw
    }

    /// The signed component (stored with its sign bit flipped) at `offset`.
    private static func int64(_ key: UnsafeRawBufferPointer, at offset: Int) -> Int64 {
        Int64(bitPattern: uint64(key, at: offset) ^ (1 << 63))
    }
}
