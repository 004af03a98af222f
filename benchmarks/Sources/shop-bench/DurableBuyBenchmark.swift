import BenchSupport
import Foundation
import Shop
import Store

/// `buy` commands from many concurrent buyers with full durability: every purchase is on
/// disk (fsync) before its caller hears back; group commit shares each fsync. Run again with
/// `.noSync` beside it, the same purchases show what the writer thread's own work allows.
struct DurableBuyBenchmark {
    let folder: String
    let buyers: Int
    let buys: Int
    var durability: StoreConfiguration.Durability = .full

    struct Result {
        var buysPerSecond: Double
        var p50: Double
        var p99: Double
        var buys: Int
        var seconds: Double
        /// Purchases per group commit (per fsync).
        var buysPerCommit: Double
        /// CPU time of the store's writer thread per purchase (µs): its own work, the fsync's wait not included.
        var writerMicroseconds: Double
        /// CPU time of the whole process per purchase (µs): the writer, the buyers' tasks, the kernel's share.
        var processMicroseconds: Double?
        /// Bytes passed to write calls per purchase (KiB): LMDB's pages of each commit, and the meta page.
        var kilobytesWritten: Double?
        /// Bytes the disk holding the store wrote per purchase (KiB), from every process on the machine.
        var deviceKilobytesWritten: Double?
    }

    func run() async throws -> Result {
        progress("durable buys (\(durability)): \(buys.grouped) purchases from \(buyers) concurrent buyers")
        let bench = try await BenchShop.make(folder: folder, durability: durability, buyers: buyers, products: 50)
        let perBuyer = buys / buyers
        let commitsBefore = try bench.environment.read { $0.snapshotId }
        let writerBefore = bench.environment.writerCPUTime
        let processBefore = cpuSeconds(of: getpid())
        let writtenBefore = writeCallBytes(of: getpid())
        let deviceBefore = deviceBytesWritten(holding: folder)
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
        let writerSeconds = (bench.environment.writerCPUTime - writerBefore) / .seconds(1)
        let writer = writerSeconds * 1_000_000 / Double(latencies.count)
        let process = cpuSeconds(of: getpid()).flatMap { after in processBefore.map { (after - $0) * 1_000_000 / Double(latencies.count) } }
        // After closing, so that a no-fsync store's pages are on the disk too and counted.
        let commits = try bench.environment.read { $0.snapshotId } - commitsBefore
        await bench.shop.close()
        sync()
        let written = writeCallBytes(of: getpid()).flatMap { after in
            writtenBefore.map { Double(after - $0) / 1_024 / Double(latencies.count) }
        }
        let device = deviceBytesWritten(holding: folder).flatMap { after in
            deviceBefore.map { Double(after - $0) / 1_024 / Double(latencies.count) }
        }
        return Result(buysPerSecond: Double(latencies.count) / seconds, p50: percentile(latencies, 0.5),
                      p99: percentile(latencies, 0.99), buys: latencies.count, seconds: seconds,
                      buysPerCommit: Double(latencies.count) / Double(max(commits, 1)),
                      writerMicroseconds: writer, processMicroseconds: process, kilobytesWritten: written,
                      deviceKilobytesWritten: device)
    }
}

/// The value below which `fraction` of the sorted `values` fall.
func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}
