import BenchSupport
import CallgrindControl
import Foundation
import Synchronization

/// A fixed workload whose instruction counts can be compared across machines and runs:
/// purchases, one event to many in-process subscribers, product-list GETs, each phase
/// measured alone. `Scripts/callgrind.sh` runs it under callgrind and reads the counts; run
/// plainly it prints only wall-clock figures, which move by ±30 % on a shared machine.
@main
struct InstrBench {
    /// A synchronous `main` that waits for the async run: under valgrind, Swift's global
    /// executor is swapped for plain threads first (see `plain_executor.h`), and an async
    /// `main` would park the main thread in `dispatch_main`, which crashes valgrind 3.19.
    static func main() {
        if Callgrind.isRunning { plain_executor_install(2) }
        let finished = DispatchSemaphore(value: 0)
        let status = Mutex<Int32>(0)
        // Detached: a task made here would inherit the main actor, whose queue a blocked main thread never drains.
        Task.detached {
            let code = await run()
            status.withLock { $0 = code }
            finished.signal()
        }
        finished.wait()
        exit(status.withLock { $0 })
    }

    /// Runs the three phases and prints the report; returns the exit status.
    static func run() async -> Int32 {
        let options: InstrBenchOptions
        do {
            options = try InstrBenchOptions(parsing: Array(CommandLine.arguments.dropFirst()))
        } catch {
            progress("instr-bench: \(error)\n\n" + InstrBenchOptions.usage)
            return 2
        }
        progress(Callgrind.isRunning ? "under valgrind: each phase dumps its counts" : "not under valgrind: wall clock only")
        var workload: Workload?
        do {
            let started = try await Workload.start(buyers: 64, products: 50)
            workload = started
            let results = [
                try await PurchasePhase(workload: started, purchases: options.purchases, warmUp: options.warmUp).run(),
                try await DeliveryPhase(workload: started, subscribers: options.subscribers).run(),
                try await ProductListPhase(workload: started, requests: options.gets, warmUp: options.warmUp).run(),
            ]
            await started.stop()
            print(report(results, options: options))
            return 0
        } catch {
            await workload?.stop()
            progress("instr-bench: \(error)")
            return 1
        }
    }

    /// One `phase` line per phase (the script reads them: name, operations, wall µs per
    /// operation), then the machine.
    static func report(_ results: [PhaseResult], options: InstrBenchOptions) -> String {
        var lines = results.map { r in
            "phase \(r.name) \(r.operations) \((r.seconds / Double(r.operations) * 1e6).fixed(1)) µs per \(r.unit), wall clock"
                + (Callgrind.isRunning ? " under valgrind" : "")
        }
        // Without the Swift version: under valgrind `swift --version` does not start; the script adds it.
        let machine = Machine.current()
        lines.append("machine: \(machine.cpuModel), \(machine.processors) cores, \(machine.memory), \(machine.kernel)")
        return lines.joined(separator: "\n")
    }
}

/// One measured phase: how many operations it did and its wall time.
struct PhaseResult {
    let name: String
    let unit: String
    let operations: Int
    let seconds: Double
}

/// The workload's sizes, from the command line; the defaults are what the recorded counts
/// come from, so change them only to explore.
struct InstrBenchOptions {
    var purchases = 1_000
    var subscribers = 1_000
    var gets = 1_000
    var warmUp = 50

    static let usage = """
        usage: instr-bench [--purchases N] [--subscribers N] [--gets N] [--warm-up N]
          --purchases    buy commands measured, one at a time (1,000)
          --subscribers  in-process subscribers one restock's inventory_update reaches (1,000)
          --gets         GET /api/products measured on one keep-alive connection (1,000)
          --warm-up      purchases and GETs run before each of those phases is measured (50)
        Run it through benchmarks/Scripts/callgrind.sh for instruction counts.
        """

    init(parsing arguments: [String]) throws {
        var line = Arguments(arguments)
        while let option = line.next() {
            switch option {
            case "--purchases": purchases = try line.number()
            case "--subscribers": subscribers = try line.number()
            case "--gets": gets = try line.number()
            case "--warm-up": warmUp = try line.number()
            default: throw line.unknown(option)
            }
        }
    }
}
