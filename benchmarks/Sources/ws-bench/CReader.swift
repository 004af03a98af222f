import BenchSupport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A fleet's subscribers read by `Scripts/ws-reader.c` in its own process instead of by SwiftNIO
/// channels in this one (`--c-reader`).
///
/// The load generator shares the machine's two cores with the server, so what reading costs per
/// frame is inside every latency a live run measures. The floor (`raw-fanout.c`) is read by a C
/// epoll loop; this reader is the same kind of loop, so Tenda's p99 beside the floor's compares
/// the servers. It reports into the fleet's own counters and, at ``collect()``, its logs, so the
/// matching and the report are the same for either reader.
final class CReader: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let dumpPath: String
    private let lines = Locked<[String]>([])
    private let ended = DispatchSemaphore(value: 0)

    /// Compiles the reader (once per run of ws-bench) and starts it against `port`; the fleet's
    /// `ready`, `failed` and `saleDeliveries` follow its reports from then on.
    init(fleet: Fleet, port: Int, token: String, threads: Int = 2) throws {
        let binary = try compiledScript("ws-reader")
        dumpPath = NSTemporaryDirectory() + "ws-reader-\(getpid())-\(port).txt"
        let subscribe = fleet.logs.first?.request ?? Fleet.subscribe
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        // 10,000 connections need more than the default 1,024 descriptors.
        process.arguments = ["-c", "ulimit -n 65536 2>/dev/null || ulimit -n $(ulimit -Hn); exec \"$0\" \"$@\"", binary,
                             "--port", String(port), "--token", token, "--connections", String(fleet.logs.count),
                             "--threads", String(threads), "--subscribe", subscribe, "--dump", dumpPath]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        let lines = self.lines
        readLines(of: output.fileHandleForReading, ended: ended) { line in
            let words = line.split(separator: " ")
            switch words.first {
            case "ready" where words.count == 4:
                fleet.ready.add(Int(words[1]) ?? 0)
                fleet.failed.add(Int(words[3]) ?? 0)
            case "deliveries" where words.count == 2:
                fleet.saleDeliveries.add((Int(words[1]) ?? 0) - fleet.saleDeliveries.current)
            default:
                lines.withLock { $0.append(line) }
            }
        }
    }

    /// Stops the reader and fills every subscriber's log from what it read.
    func collect(into logs: [SubscriberLog]) throws {
        try input.fileHandleForWriting.close()
        guard ended.wait(timeout: .now() + 120) == .success else {
            process.terminate()
            throw BenchError("ws-reader did not finish within 120 s")
        }
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(atPath: dumpPath) }
        guard process.terminationStatus == 0, lines.withLock({ $0.contains("done") }) else {
            throw BenchError("ws-reader exited with \(process.terminationStatus)")
        }
        let dump = try Data(contentsOf: URL(fileURLWithPath: dumpPath))
        var log: SubscriberLog?
        var sales: [(id: String, at: UInt64)] = []
        func flush() {
            guard let log, !sales.isEmpty else { return }
            log.state.withLock { $0.sales += sales }
            sales.removeAll(keepingCapacity: true)
        }
        for line in dump.split(separator: UInt8(ascii: "\n")) {
            let words = line.split(separator: UInt8(ascii: " "), maxSplits: 2)
            guard words.count >= 3 else { continue }
            switch words[0].first {
            case UInt8(ascii: "s"):
                guard let at = UInt64(String(decoding: words[2], as: UTF8.self)) else { continue }
                sales.append((String(decoding: words[1], as: UTF8.self), at))
            case UInt8(ascii: "c"):
                flush()
                let fields = line.split(separator: UInt8(ascii: " ")).dropFirst().compactMap { Int(String(decoding: $0, as: UTF8.self)) }
                guard fields.count == 5, logs.indices.contains(fields[0]) else { log = nil; continue }
                log = logs[fields[0]]
                log?.state.withLock { state in
                    state.ready = fields[1] == 1
                    state.events = fields[2]
                    state.seqViolations = fields[3]
                    state.resyncs = fields[4]
                }
            case UInt8(ascii: "e"):
                let text = String(decoding: words[2], as: UTF8.self)
                log?.state.withLock { $0.error = $0.error ?? text }
            default:
                continue
            }
        }
        flush()
    }
}
