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

/// Blocks the calling thread until the monotonic clock reads `nanos`.
func sleepUntil(_ nanos: UInt64) {
    var ts = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
    while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
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

/// A free TCP port on 127.0.0.1 (bound to port 0, read back, released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw BenchError("socket: \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            guard bind(fd, pointer, length) == 0 else { return -1 }
            return getsockname(fd, pointer, &length)
        }
    }
    guard bound == 0 else { throw BenchError("bind: \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
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

/// Resident memory of a process in kB, from /proc/<pid>/status.
func residentKilobytes(of pid: Int32) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }
    return nil
}

/// CPU seconds (user + system) a process has used, from /proc/<pid>/stat.
func cpuSeconds(of pid: Int32) -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
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

/// The offset of the first `needle` in `haystack` at or after `start` (glibc's memmem is not exported to Swift).
func findBytes(_ needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer, from start: Int = 0) -> Int? {
    guard let h = haystack.baseAddress, let n = needle.baseAddress, !needle.isEmpty else { return nil }
    let first = Int32(needle[0])
    var i = start
    while i + needle.count <= haystack.count {
        guard let hit = memchr(h + i, first, haystack.count - needle.count + 1 - i) else { return nil }
        let at = h.distance(to: UnsafeRawPointer(hit))
        if memcmp(h + at, n, needle.count) == 0 { return at }
        i = at + 1
    }
    return nil
}
