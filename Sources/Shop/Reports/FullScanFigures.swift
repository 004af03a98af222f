import Foundation
import Store

/// Computes the same totals by reading every sale, payment, ledger entry and product: what
/// a back end without kept aggregates does. Tests check the counters against it; the
/// benchmark shows what the counters save.
struct FullScanFigures: FiguresSource {
    let txn: ReadTransaction
    let shop: ShopCollections

    func figures(from first: Int64, to last: Int64, perItem: Bool) throws -> SalesFigures {
        var f = SalesFigures()
        // Checked like the counters: a sum past 64 bits is refused, never a trap.
        func add<Key: Hashable>(_ sums: inout [Key: Int64], _ key: Key, _ value: Int64) throws {
            sums[key] = try Checked.sum(sums[key] ?? 0, value, "revenue")
        }
        let lower = OrderedKey(Aggregates.startOfDay(first)), upper = OrderedKey(Aggregates.startOfDay(last + 1))
        // Views of the records, not decoded ones: a report reads a few fields of each sale and
        // payment, and decoding builds every array and string of a million records.
        try shop.sales.forEachView(txn, index: "time", from: lower, to: upper) { _, view in
            var sale = try view.figures()
            let day = Aggregates.day(sale.at)
            try add(&f.salesByDay, day, 1)
            while let lineView = try sale.lines.next(), let refundedView = try sale.refundedQuantities.next() {
                let line = try lineView.decode()
                let units = line.quantity - (try refundedView.decode())
                let revenue = units &* line.unitPrice  // bounded like SaleLine.total
                try add(&f.revenueByDay, day, revenue)
                if perItem {
                    try add(&f.productRevenue, line.productId, revenue)
                    try add(&f.productUnits, line.productId, units)
                    try add(&f.buyerRevenue, sale.buyerId, revenue)
                }
            }
            return true
        }
        try shop.payments.forEachView(txn, index: "time", from: lower, to: upper) { _, view in
            let payment = try view.amountAndTime()
            try add(&f.receivedByDay, Aggregates.day(payment.at), payment.amount)
            return true
        }
        return f
    }

    func lowStockCount(_ shop: ShopCollections) throws -> Int {
        var count = 0
        try shop.products.forEachView(txn) { _, view in
            if try view.isLowOnStock { count += 1 }
            return true
        }
        return count
    }

    func outstandingDebt(_ shop: ShopCollections) throws -> Int64 {
        var total: Int64 = 0
        try shop.ledger.forEachView(txn) { _, view in
            total = try Checked.sum(total, try view.amount, "outstandingDebt")
            return true
        }
        return total
    }
}

extension Shop {
    /// ``dashboard(now:topDays:top:as:)`` computed by scanning every record instead of counters.
    public func dashboardByFullScan(now: Date = Date(), topDays: Int = 30, top: Int = 5, as principal: Principal) throws -> Dashboard {
        try query(as: principal) { q in
            try q.require(.admin)
            return try dashboard(now: now, topDays: topDays, top: top, from: FullScanFigures(txn: q.txn, shop: q.shop), q)
        }
    }

    /// ``report(from:to:groupBy:as:)`` computed by scanning every record instead of counters.
    public func reportByFullScan(from: Date, to: Date, groupBy: ReportGrouping, as principal: Principal) throws -> Report {
        try query(as: principal) { q in
            try q.require(.admin)
            return try report(from: from, to: to, groupBy: groupBy, source: FullScanFigures(txn: q.txn, shop: q.shop), q)
        }
    }
}
