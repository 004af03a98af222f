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
        for record in try shop.sales.scan(txn, index: "time", from: lower, to: upper).items {
            let sale = record.value
            let day = Aggregates.day(sale.at)
            try add(&f.salesByDay, day, 1)
            for (i, line) in sale.lines.enumerated() {
                let units = line.quantity - sale.refundedQuantities[i]
                let revenue = units &* line.unitPrice  // bounded like SaleLine.total
                try add(&f.revenueByDay, day, revenue)
                if perItem {
                    try add(&f.productRevenue, line.productId, revenue)
                    try add(&f.productUnits, line.productId, units)
                    try add(&f.buyerRevenue, sale.buyerId, revenue)
                }
            }
        }
        for record in try shop.payments.scan(txn, index: "time", from: lower, to: upper).items {
            try add(&f.receivedByDay, Aggregates.day(record.value.at), record.value.amount)
        }
        return f
    }

    func lowStockCount(_ shop: ShopCollections) throws -> Int {
        var count = 0
        try shop.products.forEach(txn) { record in
            if record.value.isLowOnStock { count += 1 }
            return true
        }
        return count
    }

    func outstandingDebt(_ shop: ShopCollections) throws -> Int64 {
        var total: Int64 = 0
        try shop.ledger.forEach(txn) { record in
            total = try Checked.sum(total, record.value.amount, "outstandingDebt")
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
