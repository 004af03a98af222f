import BenchSupport
import Foundation
import Store

/// The store benchmark: every workload, raw C beside the Store, in one process; prints one report.
@main
struct StoreBench {
    static func main() async {
        let options: Options
        do {
            options = try Options(parsing: Array(CommandLine.arguments.dropFirst()))
        } catch {
            guard let message = error.message else {
                print(Options.usage)
                exit(0)
            }
            progress("store-bench: \(message)\n\n" + Options.usage)
            exit(2)
        }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("tenda-store-bench-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let report = try await run(options, folder: folder)
            try? FileManager.default.removeItem(atPath: folder)
            print(report)
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            progress("store-bench: \(error)")
            exit(1)
        }
    }

    static func run(_ options: Options, folder: String) async throws -> String {
        let loadBefore = Machine.loadAverage()
        var report = Report(options: options, folder: folder)

        for (records, name) in [(options.records, "main"), (options.smallRecords, "small")] {
            progress("filling \(records.grouped) records (raw C, Store bytes, Store typed)")
            let set = try await DataSet.create(records: records, folder: folder + "/" + name)
            report.puts.append(try await PutBenchmark(set: set, batch: options.batch).run())
            progress("random reads and scans on \(records.grouped) records")
            let keys = randomReadKeys(records: records, count: options.reads)
            report.reads.append(try ReadBenchmark(set: set, keys: keys).run(repeats: options.repeats))
            report.scans.append(try ScanBenchmark(set: set).run(repeats: options.repeats))
            await set.discard()
            // Leave no writeback of this set's pages running under the next workloads.
            sync()
        }

        progress("decoding products alone")
        report.decodeOnly = try ReadBenchmark.decodeOnly(count: options.reads, repeats: options.repeats)

        report.durable = try await DurableCommitBenchmark(
            folder: folder, writers: options.writers, writes: options.durableWrites).run(repeats: options.repeats)
        report.loadAverages = (loadBefore, Machine.loadAverage())
        return report.render()
    }
}
