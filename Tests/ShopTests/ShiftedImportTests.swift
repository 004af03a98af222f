import Foundation
import Store
import Testing
@testable import Shop

/// The demo shop imported so that its history ends at the moment of import: the same books,
/// every time moved by one offset.
@Suite(.timeLimit(.minutes(4))) struct ShiftedImportTests {
    @Test func aShiftedImportEndsNowWithTheSameBooksAndTheSameGaps() async throws {
        let plain = try await Imported.load(.asRecorded)
        let moment = Date()
        let shifted = try await Imported.load(.endingAt(moment))

        // (a) The latest thing recorded anywhere is the import's moment, to the second, and not after it.
        #expect(shifted.latest <= moment)
        #expect(moment.timeIntervalSince(shifted.latest) < 1)
        #expect(shifted.latest.timeIntervalSince1970 == shifted.latest.timeIntervalSince1970.rounded(), "whole seconds")
        #expect(shifted.summary.shift == shifted.latest.timeIntervalSince(plain.latest))

        // (b) The same figures: counts, totals, debts, the ledger, the best sellers and buyers.
        #expect(shifted.books == plain.books)
        #expect(shifted.books.ledger.count > 1_000 && shifted.books.totalRevenue > 0 && !shifted.books.debts.isEmpty)

        // (c) The same shape: first and last as far apart, each sale moved by the same offset.
        #expect(shifted.latest.timeIntervalSince(shifted.earliest) == plain.latest.timeIntervalSince(plain.earliest))
        #expect(shifted.saleTimes.count == plain.saleTimes.count)
        #expect(zip(shifted.saleTimes, plain.saleTimes).allSatisfy { $0.timeIntervalSince($1) == shifted.summary.shift })
    }

    @Test func afterAShiftedImportTheDashboardHasSalesToday() async throws {
        let moment = Date()
        let shifted = try await Imported.load(.endingAt(moment)) { shop in
            // Read at the import's moment, so a test run across midnight (UTC) still sees the same day.
            let dashboard = try shop.dashboard(now: moment, as: .system())
            #expect(dashboard.todaySales > 0)
            #expect(dashboard.todayRevenue > 0)
            #expect(dashboard.daily.last?.sales == dashboard.todaySales)
            let today = try shop.report(from: moment, to: moment, groupBy: .day, as: .system())
            #expect(today.totalRevenue == dashboard.todayRevenue)
        }
        #expect(Aggregates.day(shifted.latest) == Aggregates.day(moment))
    }

    @Test func aPlainImportKeepsTheRecordedTimes() async throws {
        let plain = try await Imported.load(.asRecorded)
        #expect(plain.summary.shift == 0)
        // The fixture's first and last events: 2026-08-23T10:05:30Z and 2026-11-20T22:29:29Z.
        #expect(plain.saleTimes.first == Date(timeIntervalSince1970: 1_787_479_530))
        #expect(plain.saleTimes.last == Date(timeIntervalSince1970: 1_795_213_769))
        #expect(plain.latest == Date(timeIntervalSince1970: 1_795_213_769))
    }

    @Test func theOffsetIsWholeSecondsAndNeverPastTheMoment() {
        let latest = Date(timeIntervalSince1970: 1_795_213_769)
        let moment = Date(timeIntervalSince1970: 1_796_000_000.75)
        let offset = ShopImport.offset(to: .endingAt(moment), from: latest)
        #expect(offset == 786_231)
        #expect(latest.addingTimeInterval(offset) <= moment)
        #expect(ShopImport.offset(to: .asRecorded, from: latest) == 0)
        #expect(ShopImport.offset(to: .endingAt(moment), from: nil) == 0)
    }
}

/// The demo shop imported into a temporary folder, and what the tests compare of it.
private struct Imported {
    /// What does not depend on when the history happened.
    struct Books: Equatable {
        var users = 0, products = 0, events = 0
        var byType: [String: Int] = [:]
        var debts: [Debt] = []
        var outstandingDebt: Int64 = 0
        var lowStockCount = 0
        /// Every ledger entry without its time, oldest first: "u3 sale 1250 s91".
        var ledger: [String] = []
        var byProduct: [ReportRow] = []
        var byBuyer: [ReportRow] = []
        var totalRevenue: Int64 = 0
    }

    var summary: ShopImport.Summary
    var books = Books()
    /// Every sale's time, oldest first.
    var saleTimes: [Date] = []
    /// The earliest and the latest time found in any record the import wrote.
    var earliest = Date.distantFuture
    var latest = Date.distantPast

    static var demoShop: URL { ImportTests.demoShop }

    /// Imports the demo shop at `timing` into a fresh folder, reads it, and removes the folder.
    static func load(_ timing: ShopImport.Timing, _ inspect: (Shop) throws -> Void = { _ in }) async throws -> Imported {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-import-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let env = try await Environment.open(at: folder, configuration: .testing)
        do {
            let shop = try await Shop.open(env, settings: ShopSettings(tokenSecret: Array(repeating: 1, count: 32)))
            var imported = Imported(summary: try await ShopImport.run(try Data(contentsOf: demoShop), into: shop, timing: timing))
            try imported.read(shop)
            try inspect(shop)
            try Invariants.check(shop, in: env)
            await env.close()
            return imported
        } catch {
            await env.close()
            throw error
        }
    }

    private mutating func read(_ shop: Shop) throws {
        let system = Principal.system()
        books.users = summary.users
        books.products = summary.products
        books.events = summary.events
        books.byType = summary.byType
        books.debts = try shop.debts(as: system)
        let c = shop.collections
        try shop.environment.read { txn in
            try c.ledger.forEach(txn) { entry in
                let e = entry.value
                books.ledger.append("u\(e.userId) \(e.kind.rawValue) \(e.amount) \(e.reference ?? "")")
                return true
            }
            try c.sales.forEach(txn) { sale in
                saleTimes.append(sale.value.at)
                return true
            }
            try forEachTime(c, txn) { time in
                earliest = min(earliest, time)
                latest = max(latest, time)
            }
        }
        saleTimes.sort()
        let whole = (from: try #require(saleTimes.first), to: try #require(saleTimes.last))
        let dashboard = try shop.dashboard(now: whole.to, as: system)
        books.outstandingDebt = dashboard.outstandingDebt
        books.lowStockCount = dashboard.lowStockCount
        books.byProduct = try shop.report(from: whole.from, to: whole.to, groupBy: .product, as: system).rows
        let byBuyer = try shop.report(from: whole.from, to: whole.to, groupBy: .buyer, as: system)
        books.byBuyer = byBuyer.rows
        books.totalRevenue = byBuyer.totalRevenue
    }

    /// Every time the import's commands recorded, in every collection that keeps one.
    private func forEachTime(_ c: ShopCollections, _ txn: ReadTransaction, _ visit: (Date) -> Void) throws {
        try c.users.forEach(txn) { visit($0.value.createdAt); visit($0.value.seenAt); return true }
        try c.products.forEach(txn) { visit($0.value.createdAt); visit($0.value.updatedAt); return true }
        try c.stockMovements.forEach(txn) { visit($0.value.at); return true }
        try c.sales.forEach(txn) { visit($0.value.at); return true }
        try c.payments.forEach(txn) { visit($0.value.at); return true }
        try c.ledger.forEach(txn) { visit($0.value.at); return true }
        try c.orders.forEach(txn) { order in
            visit(order.value.createdAt); visit(order.value.updatedAt)
            order.value.history.forEach { visit($0.at) }
            return true
        }
        try c.contracts.forEach(txn) { contract in
            visit(contract.value.createdAt); visit(contract.value.updatedAt)
            contract.value.history.forEach { visit($0.at) }
            contract.value.parties.forEach { party in [party.confirmedAt, party.declinedAt].compactMap { $0 }.forEach(visit) }
            return true
        }
        try c.notifications.forEach(txn) { visit($0.value.createdAt); return true }
        try c.audit.forEach(txn) { visit($0.value.at); return true }
    }
}
