import Foundation
import Store
import Testing
@testable import Shop

@Suite(.timeLimit(.minutes(3))) struct CustomerFigureTests {
    /// 2026-11-16 (a Monday) at noon UTC, plus `days`.
    func day(_ days: Double) -> Date { Date(timeIntervalSince1970: 1_794_830_400 + days * 86_400) }

    @Test func reportsCountBuyersRepeatBuyersTheAverageBasketAndEachCustomersLifetimeAndDebt() async throws {
        let t = try await TestShop.make()
        let a = try await t.product("A", price: 700, stock: 100)
        let b = try await t.product("B", price: 500, stock: 100)
        let c = try await t.product("C", price: 333, stock: 100)
        // Before the period: only Ana's lifetime sees it.
        try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: a.id, quantity: 1)]), as: t.asAdmin, at: day(-10))
        // The period, day 0 to day 6: Ana twice, Bruno once (partly refunded), Olga once.
        try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: a.id, quantity: 2)]), as: t.asAdmin, at: day(0))
        try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: b.id, quantity: 1)]), as: t.asAdmin, at: day(2))
        let brunos = try await t.shop.execute(Buy(buyerId: t.bruno.id, items: [.init(productId: b.id, quantity: 3)]), as: t.asAdmin, at: day(3))
        try await t.shop.execute(Refund(saleId: brunos.id, items: [.init(productId: b.id, quantity: 1)]), as: t.asAdmin, at: day(4))
        try await t.shop.execute(Buy(buyerId: t.owner.id, items: [.init(productId: c.id, quantity: 1)]), as: t.asAdmin, at: day(6))
        // After the period: Bruno's lifetime sees it; so do the debts, which are today's.
        try await t.shop.execute(Buy(buyerId: t.bruno.id, items: [.init(productId: a.id, quantity: 1)]), as: t.asAdmin, at: day(10))
        try await t.shop.execute(RecordPayment(userId: t.ana.id, amount: 1_000), as: t.asAdmin, at: day(11))

        let report = try t.shop.report(from: day(0), to: day(6), groupBy: .day, as: t.asAdmin)
        let customers = report.customers
        #expect(customers.buyers == 3)
        #expect(customers.repeatBuyers == 1, "only Ana bought twice in the period")
        #expect(customers.sales == 4, "Bruno's refunded sale still counts as a sale made")
        #expect(customers.revenue == 1_400 + 500 + 1_000 + 333)
        #expect(customers.revenue == report.totalRevenue)
        #expect(customers.averageBasket == 808, "3233 ÷ 4 = 808.25, rounded to 808")
        #expect(customers.rows == [
            CustomerRow(key: t.ana.publicId, name: "Ana Souza", sales: 2, revenue: 1_900, lifetimeRevenue: 2_600, debt: 1_600),
            CustomerRow(key: t.bruno.publicId, name: "Bruno", sales: 1, revenue: 1_000, lifetimeRevenue: 1_700, debt: 1_700),
            CustomerRow(key: t.owner.publicId, name: t.owner.name, sales: 1, revenue: 333, lifetimeRevenue: 333, debt: 333),
        ])

        // Grouped by buyer, the rows are the customers, with the same figures.
        let byBuyer = try t.shop.report(from: day(0), to: day(6), groupBy: .buyer, as: t.asAdmin)
        #expect(byBuyer.rows.map { "\($0.key) \($0.sales) \($0.revenue) \($0.lifetimeRevenue ?? -1) \($0.debt ?? -1)" }
            == ["\(t.ana.publicId) 2 1900 2600 1600", "\(t.bruno.publicId) 1 1000 1700 1700", "\(t.owner.publicId) 1 333 333 333"])
        #expect(byBuyer.csv.split(separator: "\r\n").prefix(2) == [
            "key,label,sales,units,revenue,currency,lifetimeRevenue,debt", "\(t.ana.publicId),Ana Souza,2,0,1900,BRL,2600,1600",
        ])
        #expect(report.csv.split(separator: "\r\n")[1] == "2026-11-16,2026-11-16,1,0,1400,BRL,,", "other groupings leave the buyer columns empty")

        // The counters agree with a scan of every record, for every grouping and a range of weeks.
        for grouping in ReportGrouping.allCases {
            #expect(try t.shop.report(from: day(-20), to: day(30), groupBy: grouping, as: t.asAdmin)
                == t.shop.reportByFullScan(from: day(-20), to: day(30), groupBy: grouping, as: t.asAdmin), "\(grouping)")
            #expect(try t.shop.report(from: day(0), to: day(6), groupBy: grouping, as: t.asAdmin)
                == t.shop.reportByFullScan(from: day(0), to: day(6), groupBy: grouping, as: t.asAdmin), "\(grouping)")
        }
        // A period without sales has no customers and an average basket of 0, not a division by zero.
        let empty = try t.shop.report(from: day(20), to: day(25), groupBy: .week, as: t.asAdmin).customers
        #expect(empty == CustomerFigures(buyers: 0, repeatBuyers: 0, sales: 0, revenue: 0, averageBasket: 0, rows: []))
        await t.discard()
    }

    /// A store from before the buyer sales counters: its sales are in no such counter. Its
    /// reports count them from the sales up to the day the counters started (the first sale
    /// after the upgrade), and from the counters after it, and agree with a full scan throughout.
    @Test func aStoreOlderThanTheBuyerSalesCountersCountsItsEarlierSalesFromTheSales() async throws {
        let t = try await TestShop.make()
        let a = try await t.product("A", price: 700, stock: 100)
        let today = Date()
        func at(_ days: Double) -> Date { today.addingTimeInterval(days * 86_400) }
        try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: a.id, quantity: 1)]), as: t.asAdmin, at: at(-20))
        try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: a.id, quantity: 2)]), as: t.asAdmin, at: at(-10))
        try await t.shop.execute(Buy(buyerId: t.bruno.id, items: [.init(productId: a.id, quantity: 1)]), as: t.asAdmin, at: at(-3))
        #expect(try t.environment.read { try $0.counter(Aggregates.buyerSalesCountedSince) } == Aggregates.buyerSalesCountedFromStart,
                "a store whose first sale was counted holds every sale in the counters")
        // Back to the store as the version before these counters left it.
        try await t.environment.write { txn in
            for span in [Aggregates.Span.day, .week] {
                let prefix = Aggregates.buyerSalesPrefix(span)
                for (key, value) in try txn.counters(from: prefix, to: prefix.prefixEnd) { try txn.add(toCounter: key, -value) }
            }
            try txn.add(toCounter: Aggregates.buyerSalesCountedSince, -Aggregates.buyerSalesCountedFromStart)
        }
        let whole = (from: at(-30), to: at(30))
        #expect(try t.shop.report(from: whole.from, to: whole.to, groupBy: .buyer, as: t.asAdmin).customers.sales == 3,
                "before any new sale, the reports count every sale from the sales")
        // The first sale after the upgrade starts the counters; then two more, one on a later day.
        try await t.shop.execute(Buy(buyerId: t.bruno.id, items: [.init(productId: a.id, quantity: 1)]), as: t.asAdmin, at: at(-1))
        let since = try t.environment.read { try $0.counter(Aggregates.buyerSalesCountedSince) }
        #expect(since > Aggregates.buyerSalesCountedFromStart && abs(Date(microsecondsSince1970: since).timeIntervalSince(today)) < 3_600,
                "an older store's counters start at the wall clock of its first counted sale: \(since)")
        try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: a.id, quantity: 1)]), as: t.asAdmin, at: at(-5))
        try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: a.id, quantity: 1)]), as: t.asAdmin, at: at(8))
        try await t.shop.execute(Buy(buyerId: t.bruno.id, items: [.init(productId: a.id, quantity: 4)]), as: t.asAdmin, at: at(9))

        let wholeReport = try t.shop.report(from: whole.from, to: whole.to, groupBy: .buyer, as: t.asAdmin)
        #expect(wholeReport.customers.sales == 7 && wholeReport.customers.repeatBuyers == 2)
        #expect(wholeReport.customers.rows.map { "\($0.name) \($0.sales) \($0.revenue)" } == ["Bruno 3 4200", "Ana Souza 4 3500"])
        for (from, to) in [whole, (at(-30), at(-2)), (at(-2), at(2)), (at(1), at(20)), (at(-25), at(0))] {
            for grouping in [ReportGrouping.day, .buyer] {
                #expect(try t.shop.report(from: from, to: to, groupBy: grouping, as: t.asAdmin)
                    == t.shop.reportByFullScan(from: from, to: to, groupBy: grouping, as: t.asAdmin), "\(from)…\(to) by \(grouping)")
            }
        }
        await t.discard()
    }

    @Test func theAverageBasketRoundsHalvesAwayFromZeroAndNeverTraps() {
        #expect(CustomerFigures.roundedAverage(10, over: 4) == 3)
        #expect(CustomerFigures.roundedAverage(9, over: 4) == 2)
        #expect(CustomerFigures.roundedAverage(-10, over: 4) == -3)
        #expect(CustomerFigures.roundedAverage(7, over: 0) == 0)
        #expect(CustomerFigures.roundedAverage(.max, over: 1) == .max)
        #expect(CustomerFigures.roundedAverage(.max, over: 2) == Int64.max / 2 + 1)
        #expect(CustomerFigures.roundedAverage(.min, over: .max) == -1)
        #expect(CustomerFigures.roundedAverage(.max - 1, over: .max) == 1)
    }
}
