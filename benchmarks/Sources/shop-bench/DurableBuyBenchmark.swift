import BenchSupport
import Foundation
import Shop
import Store

/// `buy` commands from many concurrent buyers with full durability: every purchase is on
/// disk (fsync) before its caller hears back; group commit shares each fsync.
struct DurableBuyBenchmark {
    let folder: String
    let buyers: Int
    let buys: Int

    struct Result {
        var buysPerSecond: Double
        var p50: Double
        var p99: Double
        var buys: Int
        var seconds: Double
        /// Purchases per group commit (per fsync).
        var buysPerCommit: Double
    }

    func run() async throws -> Result {
        progress("durable buys: \(buys.grouped) purchases from \(buyers) concurrent buyers")
        let bench = try await BenchShop.make(folder: folder, durability: .full, buyers: buyers, products: 50)
        let perBuyer = buys / buyers
        let commitsBefore = try bench.environment.read { $0.snapshotId }
        let (latencies, seconds) = try await timed {
            try await withThrowingTaskGroup(of: [Double].self) { group in
                for b in 0..<buyers {
                    group.addTask {
                        var rng = SplitMix64(seed: UInt64(b + 1))
                        var latencies: [Double] = []
                        latencies.reserveCapacity(perBuyer)
                        for _ in 0..<perBuyer {
                            let buy = bench.randomBuy(&rng)
                            let (_, took) = try await timed { try await bench.shop.execute(buy, as: bench.admin) }
                            latencies.append(took)
                        }
                        return latencies
                    }
                }
                var all: [Double] = []
                for try await part in group { all += part }
                return all.sorted()
            }
        }
        let sales = try bench.shop.dashboard(as: bench.admin).todaySales
        guard sales == Int64(latencies.count) else { throw BenchError("expected \(latencies.count) sales, the shop counts \(sales)") }
        let commits = try bench.environment.read { $0.snapshotId } - commitsBefore
        await bench.shop.close()
        return Result(buysPerSecond: Double(latencies.count) / seconds, p50: percentile(latencies, 0.5),
                      p99: percentile(latencies, 0.99), buys: latencies.count, seconds: seconds,
                      buysPerCommit: Double(latencies.count) / Double(max(commits, 1)))
    }
}

/// The value below which `fraction` of the sorted `values` fall.
func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}
