import BenchSupport
import CallgrindControl
import Foundation

/// One phase of the workload measured alone under callgrind, by client requests.
///
/// The run starts with `--instr-atstart=no`, so the setup and the warm-up run at valgrind's
/// uninstrumented speed and count nothing. A phase turns instrumentation on, zeroes every
/// thread's counts, runs, and dumps them to a file of its own named after the phase (the
/// store's writer thread, NIO's event loops and Swift's cooperative threads included: the
/// requests act on all threads). Outside valgrind the requests do nothing and only the wall
/// clock is kept.
enum Callgrind {
    static var isRunning: Bool { callgrind_running_on_valgrind() != 0 }

    /// Runs `body` as the measured phase `phase`; returns its seconds of wall time.
    static func measure(_ phase: String, _ body: () throws -> Void) rethrows -> Double {
        begin()
        let (_, seconds) = try timed(body)
        end(phase)
        return seconds
    }

    static func measure(_ phase: String, _ body: () async throws -> Void) async rethrows -> Double {
        begin()
        let (_, seconds) = try await timed(body)
        end(phase)
        return seconds
    }

    private static func begin() {
        callgrind_start_instrumentation()
        callgrind_zero_stats()
    }

    private static func end(_ phase: String) {
        phase.withCString { callgrind_dump_stats_at($0) }
        callgrind_stop_instrumentation()
    }
}
