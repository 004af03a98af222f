import Foundation
import Store
import Testing
@testable import Shop

@Suite(.timeLimit(.minutes(3))) struct ReportTests {
    /// 2026-11-16 (a Monday) at noon UTC, plus `days`.
    func day(_ days: Double) -> Date { Date(timeIntervalSince1970: 1_794_830_400 + days * 86_400) }

    @Test func reportsGroupByDayWeekMonthProductAndBuyerAndExportCSV() async throws {
        let t = try await TestShop.make()
        let pastel = try await t.shop.execute(CreateProduct(name: "Pastel, \"o grande\"", emoji: "🥟", price: 700, stock: 100), as: t.asAdmin)
        let suco = try await t.product("Suco", price: 500, stock: 100)
        try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: pastel.id, quantity: 2)]), as: t.asAdmin, at: day(0))   // Mon 16 Nov
        try await t.shop.execute(Buy(buyerId: t.bruno.id, items: [.init(productId: suco.id, quantity: 1)]), as: t.asAdmin, at: day(1))   // Tue
        try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: suco.id, quantity: 3)]), as: t.asAdmin, at: day(7))     // Mon 23 Nov
        try await t.shop.execute(Buy(buyerId: t.bruno.id, items: [.init(productId: pastel.id, quantity: 1)]), as: t.asAdmin, at: day(15)) // Tue 1 Dec

        let byDay = try t.shop.report(from: day(0), to: day(15), groupBy: .day, as: t.asAdmin)
        #expect(byDay.rows.count == 16)
        #expect(byDay.rows.first == ReportRow(key: "2026-11-16", label: "2026-11-16", sales: 1, units: 0, revenue: 1_400))
        #expect(byDay.totalRevenue == 1_400 + 500 + 1_500 + 700)
        let byWeek = try t.shop.report(from: day(0), to: day(15), groupBy: .week, as: t.asAdmin)
        #expect(byWeek.rows.map(\.key) == ["2026-11-16", "2026-11-23", "2026-11-30"])
        #expect(byWeek.rows.map(\.revenue) == [1_900, 1_500, 700])
        let byMonth = try t.shop.report(from: day(0), to: day(15), groupBy: .month, as: t.asAdmin)
        #expect(byMonth.rows.map(\.key) == ["2026-11", "2026-12"])
        #expect(byMonth.rows.map(\.sales) == [3, 1])
        let byProduct = try t.shop.report(from: day(0), to: day(15), groupBy: .product, as: t.asAdmin)
        #expect(byProduct.rows.map(\.key) == [pastel.publicId, suco.publicId])
        #expect(byProduct.rows.map(\.units) == [3, 4])
        #expect(byProduct.rows.first?.label == "🥟 Pastel, \"o grande\"")
        let byBuyer = try t.shop.report(from: day(0), to: day(15), groupBy: .buyer, as: t.asAdmin)
        #expect(byBuyer.rows.map(\.label) == ["Ana Souza", "Bruno"])
        #expect(byBuyer.rows.map(\.revenue) == [2_900, 1_200])

        #expect(byProduct.csv == "key,label,sales,units,revenue,currency,lifetimeRevenue,debt\r\n"
                + "\(pastel.publicId),\"🥟 Pastel, \"\"o grande\"\"\",0,3,2100,BRL,,\r\n"
                + "\(suco.publicId),🥟 Suco,0,4,2000,BRL,,\r\n")
        // A range inside one week reads day counters only; across weeks, whole weeks come from week counters.
        #expect(try t.shop.report(from: day(1), to: day(8), groupBy: .product, as: t.asAdmin) == t.shop.reportByFullScan(from: day(1), to: day(8), groupBy: .product, as: t.asAdmin))
        #expect(try t.shop.report(from: day(-30), to: day(40), groupBy: .buyer, as: t.asAdmin) == t.shop.reportByFullScan(from: day(-30), to: day(40), groupBy: .buyer, as: t.asAdmin))

        let tooLong = await refusal { _ = try t.shop.report(from: day(0), to: day(5_000), groupBy: .day, as: t.asAdmin) }
        #expect(tooLong?.code == .ruleBroken)  // each date is fine; together they break the range rule (422)
        let backwards = await refusal { _ = try t.shop.report(from: day(3), to: day(0), groupBy: .day, as: t.asAdmin) }
        #expect(backwards?.code == .ruleBroken)
        let forUser = await refusal { _ = try t.shop.report(from: day(0), to: day(1), groupBy: .day, as: t.asAna) }
        #expect(forUser?.code == .forbidden)
        await t.discard()
    }

    @Test func theDashboardShowsTodayTheLastNinetyDaysAndTheBest() async throws {
        let t = try await TestShop.make()
        let a = try await t.product("A", price: 1_000, stock: 100, threshold: 99)
        let b = try await t.product("B", price: 100, stock: 100, threshold: 1)
        try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: a.id, quantity: 2)]), as: t.asAdmin, at: day(0))
        try await t.shop.execute(Buy(buyerId: t.bruno.id, items: [.init(productId: b.id, quantity: 5)]), as: t.asAdmin, at: day(-40))
        try await t.shop.execute(RecordPayment(userId: t.ana.id, amount: 500), as: t.asAdmin, at: day(0))
        let dashboard = try t.shop.dashboard(now: day(0), as: t.asAdmin)
        #expect(dashboard.todaySales == 1 && dashboard.todayRevenue == 2_000 && dashboard.todayReceived == 500)
        #expect(dashboard.daily.count == 90 && dashboard.daily.last?.key == "2026-11-16")
        #expect(dashboard.daily.reduce(0) { $0 + $1.revenue } == 2_500)
        #expect(dashboard.topProducts.map(\.key) == [a.publicId])  // B sold 40 days ago, outside the 30-day window
        #expect(dashboard.topBuyers.map(\.label) == ["Ana Souza"])
        #expect(dashboard.lowStockCount == 1)                       // A: 98 left, threshold 99
        #expect(dashboard.outstandingDebt == 2_000 + 500 - 500)
        #expect(dashboard == (try t.shop.dashboardByFullScan(now: day(0), as: t.asAdmin)))
        await t.discard()
    }
}
