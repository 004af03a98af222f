import Foundation
import Store
import Testing
@testable import Shop

/// The shop's books, checked from scratch against what the commands kept.
enum Invariants {
    /// `environment` is the store `shop` was opened over.
    static func check(_ shop: Shop, in environment: Environment, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let c = shop.collections
        try environment.read { txn throws in
            // The ledger balances: each user's debt is the sum of their entries, and the total is the sum of all.
            var perUser: [UInt64: Int64] = [:]
            var saleEntries: Int64 = 0, refundEntries: Int64 = 0, paymentEntries: Int64 = 0
            try c.ledger.forEach(txn) { entry in
                perUser[entry.value.userId, default: 0] += entry.value.amount
                switch entry.value.kind {
                case .sale: saleEntries += entry.value.amount
                case .refund: refundEntries += entry.value.amount
                case .payment: paymentEntries += entry.value.amount
                case .adjustment: break
                }
                return true
            }
            #expect(try txn.counter(Aggregates.totalDebt) == perUser.values.reduce(0, +), "total debt", sourceLocation: sourceLocation)
            try c.users.forEach(txn) { user throws in
                #expect(try txn.counter(Aggregates.debt(user.key)) == perUser[user.key] ?? 0, "debt of \(user.value.name)", sourceLocation: sourceLocation)
                return true
            }

            // Sales match their ledger entries; payments theirs.
            var salesTotal: Int64 = 0, refundedTotal: Int64 = 0
            try c.sales.forEach(txn) { sale in
                #expect(sale.value.total == sale.value.lines.reduce(0) { $0 + $1.total }, sourceLocation: sourceLocation)
                salesTotal += sale.value.total
                for (i, line) in sale.value.lines.enumerated() { refundedTotal += sale.value.refundedQuantities[i] * line.unitPrice }
                return true
            }
            #expect(saleEntries == salesTotal, "sale entries", sourceLocation: sourceLocation)
            #expect(refundEntries == -refundedTotal, "refund entries", sourceLocation: sourceLocation)
            var paymentsTotal: Int64 = 0
            try c.payments.forEach(txn) { paymentsTotal += $0.value.amount; return true }
            #expect(paymentEntries == -paymentsTotal, "payment entries", sourceLocation: sourceLocation)

            // Stock is the sum of its movements and never negative; orders hold what they reserved.
            var moved: [UInt64: Int64] = [:], reservedByMovements: [UInt64: Int64] = [:]
            try c.stockMovements.forEach(txn) { m in
                moved[m.value.productId, default: 0] += m.value.delta
                if m.value.reason == .order { reservedByMovements[m.value.productId, default: 0] -= m.value.delta }
                return true
            }
            var reservedByOrders: [UInt64: Int64] = [:]
            try c.orders.forEach(txn) { order in
                if order.value.state.holdsStock {
                    for line in order.value.lines { reservedByOrders[line.productId, default: 0] += line.quantity }
                }
                return true
            }
            try c.products.forEach(txn) { product in
                #expect(product.value.stock >= 0, sourceLocation: sourceLocation)
                #expect(product.value.stock == moved[product.key] ?? 0, "stock of \(product.value.name)", sourceLocation: sourceLocation)
                #expect(reservedByMovements[product.key] ?? 0 == reservedByOrders[product.key] ?? 0, "reserved \(product.value.name)", sourceLocation: sourceLocation)
                return true
            }

            // Unread counters match the notifications.
            var unread: [UInt64: Int64] = [:]
            try c.notifications.forEach(txn) { n in
                if !n.value.read { unread[n.value.userId, default: 0] += 1 }
                return true
            }
            try c.users.forEach(txn) { user throws in
                #expect(try txn.counter(Aggregates.unread(user.key)) == unread[user.key] ?? 0, sourceLocation: sourceLocation)
                return true
            }
        }

        // Every aggregate equals a full recomputation, over the whole history.
        let system = Principal.system()
        let latest = try shop.sales(page: PageRequest(limit: 1), as: system).items.first?.value.at ?? Date()
        let earliest = try environment.read { txn in try c.sales.scan(txn, index: "time", from: nil, to: nil, options: ScanOptions(limit: 1)).items.first?.value.at } ?? latest
        let dashboard = try shop.dashboard(now: latest, as: system)
        #expect(dashboard == (try shop.dashboardByFullScan(now: latest, as: system)), "dashboard", sourceLocation: sourceLocation)
        for grouping in ReportGrouping.allCases {
            let kept = try shop.report(from: earliest, to: latest, groupBy: grouping, as: system)
            let scanned = try shop.reportByFullScan(from: earliest, to: latest, groupBy: grouping, as: system)
            #expect(kept == scanned, "report by \(grouping)", sourceLocation: sourceLocation)
        }
    }
}
