import BenchSupport
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Nanoseconds on the monotonic clock: every timestamp of the benchmark, comparable across threads.
@inline(__always) func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Raises this process's open-file limit as far as it goes (10,000 sockets need more than the default 1,024).
@discardableResult func raiseOpenFileLimit(to wanted: UInt64 = 65_536) -> UInt64 {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    var raised = rlimit(rlim_cur: rlim_t(wanted), rlim_max: max(limit.rlim_max, rlim_t(wanted)))
    if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt64(wanted) }
    raised = rlimit(rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max)
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised)
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    return UInt64(limit.rlim_cur)
}

/// A shared counter.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
    @inline(__always) func add(_ n: Int = 1) { value.add(n, ordering: .relaxed) }
    var current: Int { value.load(ordering: .relaxed) }
}

/// Latency percentiles over nanosecond samples.
struct Percentiles {
    let count: Int
    let p50: Double, p90: Double, p99: Double, max: Double, mean: Double   // milliseconds

    init(_ samples: [UInt64]) {
        let sorted = samples.sorted()
        count = sorted.count
        func at(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            let index = Swift.min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)
            return Double(sorted[Swift.max(0, index)]) / 1e6
        }
        p50 = at(0.50); p90 = at(0.90); p99 = at(0.99)
        max = sorted.last.map { Double($0) / 1e6 } ?? .nan
        mean = sorted.isEmpty ? .nan : Double(sorted.reduce(0, { $0 &+ $1 })) / Double(sorted.count) / 1e6
    }
}

extension Double {
    /// Milliseconds with two decimals below 10, one above.
    var ms: String { isNaN ? "–" : (self < 10 ? fixed(2) : fixed(1)) }
}

/// A value behind a lock, for closures that outlive the scope (a `Mutex` cannot be captured).
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Reads `handle` (a child process's output) line by line on a thread of its own, handing each
/// line to `line`, and signals `ended` at the end of the file.
func readLines(of handle: FileHandle, ended: DispatchSemaphore, _ line: @escaping @Sendable (String) -> Void) {
    Thread.detachNewThread {
        var text = ""
        while true {
            let data = handle.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            while let newline = text.firstIndex(of: "\n") {
                line(String(text[..<newline]))
                text.removeSubrange(...newline)
            }
        }
        ended.signal()
    }
}

/// `benchmarks/Scripts/<name>.c` built with the system's C compiler into a temporary file (once
/// per run of ws-bench); the binary's path.
func compiledScript(_ name: String) throws -> String {
    let binary = NSTemporaryDirectory() + "ws-bench-\(getpid())-\(name)"
    if FileManager.default.isExecutableFile(atPath: binary) { return binary }
    let source = WSBenchOptions.benchmarksFolder + "/Scripts/\(name).c"
    let cc = Process()
    cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    cc.arguments = ["cc", "-O2", "-Wall", "-Wextra", "-pthread", "-o", binary, source]
    try cc.run()
    cc.waitUntilExit()
    guard cc.terminationStatus == 0 else { throw BenchError("could not compile \(source) with cc") }
    return binary
}
