import Foundation
import Store

/// One customer of a report's period: what they bought in it, what they bought ever, and
/// what they owe now.
public struct CustomerRow: Sendable, Equatable {
    /// The buyer's public id ("u7").
    public var key: String
    public var name: String
    /// Sales made to them in the period (a refunded sale still counts as made).
    public var sales: Int64
    /// Their net purchases in the period, in minor units.
    public var revenue: Int64
    /// Their net purchases of all time, in minor units (refunds taken off).
    public var lifetimeRevenue: Int64
    /// What they owe now, in minor units (negative: credit in their favour).
    public var debt: Int64

    public init(key: String, name: String, sales: Int64, revenue: Int64, lifetimeRevenue: Int64, debt: Int64) {
        self.key = key; self.name = name; self.sales = sales; self.revenue = revenue
        self.lifetimeRevenue = lifetimeRevenue; self.debt = debt
    }
}

/// The customers of a report's period: how many bought, how many came back, the average
/// basket, and one row per buyer, best first.
public struct CustomerFigures: Sendable, Equatable {
    /// Distinct buyers with at least one sale in the period.
    public var buyers: Int64
    /// Buyers with two sales or more in the period.
    public var repeatBuyers: Int64
    /// Sales made in the period.
    public var sales: Int64
    /// Net revenue of those sales, in minor units.
    public var revenue: Int64
    /// `revenue ÷ sales` in minor units, rounded to the nearest unit (halves away from zero);
    /// 0 when there were no sales.
    public var averageBasket: Int64
    /// Buyers of the period by net revenue in it, best first (ties by id).
    public var rows: [CustomerRow]

    public init(buyers: Int64, repeatBuyers: Int64, sales: Int64, revenue: Int64, averageBasket: Int64, rows: [CustomerRow]) {
        self.buyers = buyers; self.repeatBuyers = repeatBuyers; self.sales = sales; self.revenue = revenue
        self.averageBasket = averageBasket; self.rows = rows
    }

    /// `total ÷ count` rounded to the nearest integer, halves away from zero; 0 for no count.
    /// Never traps: the remainder's double fits an unsigned 64-bit number.
    static func roundedAverage(_ total: Int64, over count: Int64) -> Int64 {
        guard count > 0 else { return 0 }
        let quotient = total / count, remainder = total % count
        guard remainder.magnitude * 2 >= count.magnitude else { return quotient }
        return total < 0 ? quotient - 1 : quotient + 1
    }
}

/// One buyer's totals as a ``FiguresSource`` reads them.
struct BuyerTotals: Equatable {
    var sales: Int64 = 0
    var revenue: Int64 = 0
    var lifetimeRevenue: Int64 = 0
    var debt: Int64 = 0
}

extension CounterFigures {
    /// Per buyer of `first...last`: the sales made to them (the buyer sales counters), their net
    /// revenue in the period (the buyer revenue counters), their lifetime revenue and their debt
    /// (one counter each).
    ///
    /// In a store older than the buyer sales counters, the days up to the one they started on
    /// are counted from the sales themselves instead (one pass by time, reading each sale's
    /// buyer): the counters of that day hold only part of it, and the days before none.
    func buyers(from first: Int64, to last: Int64, _ shop: ShopCollections) throws -> [UInt64: BuyerTotals] {
        var totals: [UInt64: BuyerTotals] = [:]
        let since = try txn.counter(Aggregates.buyerSalesCountedSince)
        // The last day whose sales the counters may miss (none when they hold every sale).
        let scannedUpTo: Int64? = switch since {
        case Aggregates.buyerSalesCountedFromStart: nil
        case 0: last  // no sale counted yet: any sale there is predates the counters
        default: Aggregates.day(Date(microsecondsSince1970: since))
        }
        if let scannedUpTo, first <= scannedUpTo {
            let lower = OrderedKey(Aggregates.startOfDay(first)), upper = OrderedKey(Aggregates.startOfDay(min(last, scannedUpTo) + 1))
            try shop.sales.forEachView(txn, index: "time", from: lower, to: upper) { _, view in
                let buyerId = try view.figures().buyerId
                totals[buyerId, default: BuyerTotals()].sales = try Checked.sum(totals[buyerId]?.sales ?? 0, 1, "sales")
                return true
            }
        }
        let countedFrom = scannedUpTo.map { max(first, $0 + 1) } ?? first
        if countedFrom <= last {
            for (id, sales) in try perId(Aggregates.buyerSalesPrefix, countedFrom, last) where sales != 0 {
                totals[id, default: BuyerTotals()].sales = try Checked.sum(totals[id]?.sales ?? 0, sales, "sales")
            }
        }
        guard !totals.isEmpty else { return [:] }
        for (id, revenue) in try perId(Aggregates.buyerRevenuePrefix, first, last) where totals[id] != nil {
            totals[id]?.revenue = revenue
        }
        if since == Aggregates.buyerSalesCountedFromStart {
            // The lifetime counters started with the store's first sale too: one counter each.
            for id in totals.keys { totals[id]?.lifetimeRevenue = try txn.counter(Aggregates.buyerLifetimeRevenue(id)) }
        } else {
            // An older store's lifetime counters lack its first sales, but every sale ever counts
            // into its buyer's week counter, so their sum is the lifetime (buyers × weeks read).
            let weeks = Aggregates.buyerRevenuePrefix(.week)
            try txn.forEachCounter(from: weeks, to: weeks.prefixEnd) { key, value in
                let id = Self.uint64(key, at: weeks.bytes.count + 8)
                if let current = totals[id] { totals[id]?.lifetimeRevenue = try Checked.sum(current.lifetimeRevenue, value, "lifetimeRevenue") }
                return true
            }
        }
        for id in totals.keys { totals[id]?.debt = try txn.counter(Aggregates.debt(id)) }
        return totals
    }
}

extension FullScanFigures {
    /// ``CounterFigures/buyers(from:to:_:)`` from the records: every sale for the period's
    /// counts and everyone's lifetime, and each buyer's ledger entries for their debt.
    func buyers(from first: Int64, to last: Int64, _ shop: ShopCollections) throws -> [UInt64: BuyerTotals] {
        var totals: [UInt64: BuyerTotals] = [:]
        var lifetime: [UInt64: Int64] = [:]
        let lower = Aggregates.startOfDay(first), upper = Aggregates.startOfDay(last + 1)
        try shop.sales.forEachView(txn) { _, view in
            var sale = try view.figures()
            var revenue: Int64 = 0
            while let lineView = try sale.lines.next(), let refundedView = try sale.refundedQuantities.next() {
                let line = try lineView.decode()
                revenue = try Checked.sum(revenue, (line.quantity - (try refundedView.decode())) &* line.unitPrice, "revenue")
            }
            lifetime[sale.buyerId] = try Checked.sum(lifetime[sale.buyerId] ?? 0, revenue, "lifetimeRevenue")
            if sale.at >= lower, sale.at < upper {
                var buyer = totals[sale.buyerId] ?? BuyerTotals()
                buyer.sales = try Checked.sum(buyer.sales, 1, "sales")
                buyer.revenue = try Checked.sum(buyer.revenue, revenue, "revenue")
                totals[sale.buyerId] = buyer
            }
            return true
        }
        for id in totals.keys {
            totals[id]?.lifetimeRevenue = lifetime[id] ?? 0
            var debt: Int64 = 0
            try shop.ledger.forEachView(txn, index: "user", from: OrderedKey(id), to: OrderedKey(id).prefixEnd) { _, view in
                debt = try Checked.sum(debt, try view.amount, "debt")
                return true
            }
            totals[id]?.debt = debt
        }
        return totals
    }
}

extension Shop {
    /// The customer figures of a period from a source's buyer totals, names filled in.
    func customerFigures(_ totals: [UInt64: BuyerTotals], _ q: QueryContext) throws -> CustomerFigures {
        var rows: [CustomerRow] = []
        var sales: Int64 = 0, revenue: Int64 = 0, repeatBuyers: Int64 = 0
        for (id, buyer) in totals {
            sales = try Checked.sum(sales, buyer.sales, "sales")
            revenue = try Checked.sum(revenue, buyer.revenue, "revenue")
            if buyer.sales >= 2 { repeatBuyers += 1 }
            let name = try q.shop.users.get(q.txn, id)?.name ?? EntityKind.user.format(id)
            rows.append(CustomerRow(key: EntityKind.user.format(id), name: name, sales: buyer.sales, revenue: buyer.revenue,
                                    lifetimeRevenue: buyer.lifetimeRevenue, debt: buyer.debt))
        }
        rows.sort { ($0.revenue, $1.key) > ($1.revenue, $0.key) }
        return CustomerFigures(buyers: Int64(rows.count), repeatBuyers: repeatBuyers, sales: sales, revenue: revenue,
                               averageBasket: CustomerFigures.roundedAverage(revenue, over: sales), rows: rows)
    }
}
