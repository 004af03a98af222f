import BenchSupport
import Foundation
import Shop
import Store

/// Dashboard and report latency over a store holding `sales` sales spread over a year:
/// read from the counters the commands keep, and computed by scanning every record.
struct DashboardBenchmark {
    let folder: String
    let sales: Int
    let repeats: Int

    struct Timing {
        var name: String
        var kept: (p50: Double, p99: Double)
        var fullScan: Double
        /// How many records the full scan read.
        var scanned: Int
    }

    struct Result {
        var sales: Int
        var buyers: Int
        var products: Int
        var fillSeconds: Double
        /// Sales per group commit while filling.
        var salesPerCommit: Double
        var timings: [Timing]
    }

    func run() async throws -> Result {
        let buyers = 200, products = 60
        let bench = try await BenchShop.make(folder: folder, durability: .noSync, buyers: buyers, products: products)
        let end = BenchShop.endOfToday
        let (fillSeconds, commits) = try await bench.fill(sales: sales, endingAt: end)
        let shop = bench.shop, admin = bench.admin
        let from90 = end.addingTimeInterval(-89 * 86_400)
        var timings: [Timing] = []
        progress("timing the dashboard and 90-day reports")
        timings.append(try measure("dashboard (today, 90 daily points, top 5 of 30 days)", scanned: sales) {
            _ = try shop.dashboard(now: end, as: admin)
        } fullScan: {
            _ = try shop.dashboardByFullScan(now: end, as: admin)
        } check: {
            try shop.dashboard(now: end, as: admin) == shop.dashboardByFullScan(now: end, as: admin)
        })
        for grouping in [ReportGrouping.day, .product, .buyer] {
            timings.append(try measure("90-day report by \(grouping.rawValue)", scanned: sales * 90 / 365) {
                _ = try shop.report(from: from90, to: end, groupBy: grouping, as: admin)
            } fullScan: {
                _ = try shop.reportByFullScan(from: from90, to: end, groupBy: grouping, as: admin)
            } check: {
                try shop.report(from: from90, to: end, groupBy: grouping, as: admin) == shop.reportByFullScan(from: from90, to: end, groupBy: grouping, as: admin)
            })
        }
        await shop.close()
        return Result(sales: sales, buyers: buyers, products: products, fillSeconds: fillSeconds,
                      salesPerCommit: Double(sales) / Double(max(commits, 1)), timings: timings)
    }

    /// Median and 99th percentile of `repeats` calls of `kept`, the median of 3 `fullScan`s,
    /// after checking both give the same answer.
    private func measure(_ name: String, scanned: Int, _ kept: () throws -> Void, fullScan: () throws -> Void,
                         check: () throws -> Bool) throws -> Timing {
        guard try check() else { throw BenchError("\(name): counters and full scan disagree") }
        for _ in 0..<5 { try kept() }
        var keptTimes: [Double] = []
        for _ in 0..<repeats { keptTimes.append(try timed(kept).seconds) }
        keptTimes.sort()
        var scanTimes: [Double] = []
        for _ in 0..<3 { scanTimes.append(try timed(fullScan).seconds) }
        scanTimes.sort()
        return Timing(name: name, kept: (percentile(keptTimes, 0.5), percentile(keptTimes, 0.99)), fullScan: scanTimes[1], scanned: scanned)
    }
}
