import BenchSupport
import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What one subscriber saw, written only by its own connection.
final class SubscriberLog: Sendable {
    struct State {
        /// `new_sale` events: the sale's id and the monotonic time the frame was read.
        var sales: [(id: String, at: UInt64)] = []
        var events = 0
        var lastSeq: UInt64 = 0
        /// Events whose `seq` was not above the one before.
        var seqViolations = 0
        var resyncs = 0
        var ready = false
        var error: String?
    }
    let state = Mutex(State())
}

/// N WebSocket subscribers on one server, each its own task.
final class Fleet: Sendable {
    let logs: [SubscriberLog]
    let ready = Counter()
    let ended = Counter()
    let failed = Counter()
    let saleDeliveries = Counter()
    private let tasks = Mutex<[Task<Void, Never>]>([])

    init(count: Int) { logs = (0..<count).map { _ in SubscriberLog() } }

    private static let subscribe = #"{"type":"subscribe","topics":["sales","inventory"]}"#

    /// Opens every connection, at most `inFlight` handshakes at a time; returns once every
    /// one has its `ready` (or failed), or at the deadline.
    func open(port: Int, token: String, inFlight: Int = 256, timeout: Double = 180) async {
        let logger = { var logger = Logger(label: "ws-bench"); logger.logLevel = .critical; return logger }()
        let url = "ws://127.0.0.1:\(port)/ws?token=\(token)"
        let deadline = monotonicNanos() + UInt64(timeout * 1e9)
        for (index, log) in logs.enumerated() {
            while index - ready.current - failed.current >= inFlight, monotonicNanos() < deadline {
                try? await Task.sleep(for: .milliseconds(1))
            }
            let task = Task { [self] in
                await self.run(url: url, log: log, logger: logger)
            }
            tasks.withLock { $0.append(task) }
        }
        while ready.current + failed.current < logs.count, monotonicNanos() < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func run(url: String, log: SubscriberLog, logger: Logger) async {
        do {
            try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 20), logger: logger) { inbound, outbound, _ in
                var iterator = inbound.makeAsyncIterator()
                var partial: ByteBuffer?
                while let frame = try await iterator.next() {
                    let now = monotonicNanos()
                    var data = frame.data
                    if !frame.fin || partial != nil {
                        partial = partial ?? ByteBuffer()
                        partial!.writeBuffer(&data)
                        guard frame.fin else { continue }
                        data = partial!
                        partial = nil
                    }
                    let parsed = data.withUnsafeReadableBytes { FrameScan.parse($0) }
                    switch parsed {
                    case .ready:
                        let first = log.state.withLock { state -> Bool in
                            defer { state.ready = true }
                            return !state.ready
                        }
                        try await outbound.write(.text(Self.subscribe))
                        if first { self.ready.add() }
                    case .event(let seq, let saleId):
                        log.state.withLock { state in
                            state.events += 1
                            if seq <= state.lastSeq { state.seqViolations += 1 }
                            state.lastSeq = seq
                            if let saleId { state.sales.append((saleId, now)) }
                        }
                        if saleId != nil { self.saleDeliveries.add() }
                    case .resync:
                        log.state.withLock { $0.resyncs += 1 }
                    case .other(let text):
                        log.state.withLock { $0.error = $0.error ?? String(text.prefix(200)) }
                    }
                }
            }
        } catch {
            log.state.withLock { $0.error = $0.error ?? "\(error)" }
        }
        if !log.state.withLock({ $0.ready }) { failed.add() }
        ended.add()
    }

    /// Waits (bounded) for every connection to end after the server went away, then cancels the rest.
    func finish(timeout: Double = 20) async {
        let deadline = monotonicNanos() + UInt64(timeout * 1e9)
        let all = tasks.withLock { $0 }
        while ended.current < all.count, monotonicNanos() < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for task in all { task.cancel() }
    }
}

/// Reads the few fields the benchmark needs straight from a frame's bytes, without decoding
/// the JSON: 10,000 subscribers read hundreds of thousands of frames a second on the same
/// two cores as the server.
enum FrameScan {
    enum Parsed {
        case ready
        case event(seq: UInt64, saleId: String?)
        case resync
        case other(String)
    }

    private static let eventPrefix = Array(#"{"type":"event","seq":"#.utf8)
    private static let ready = Array(#""type":"ready""#.utf8)
    private static let resync = Array(#""type":"resync""#.utf8)
    private static let newSale = Array(#""event":"new_sale""#.utf8)
    private static let sale = Array(#""sale":{"#.utf8)
    private static let id = Array(#""id":""#.utf8)

    static func parse(_ bytes: UnsafeRawBufferPointer) -> Parsed {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return .other("empty frame") }
        if bytes.count > eventPrefix.count, memcmp(base, eventPrefix, eventPrefix.count) == 0 {
            var seq: UInt64 = 0
            var i = eventPrefix.count
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { seq = seq * 10 + UInt64(bytes[i] - 48); i += 1 }
            guard find(newSale, in: bytes, from: i) != nil, let saleAt = find(sale, in: bytes, from: i),
                  let idAt = find(id, in: bytes, from: saleAt + sale.count) else { return .event(seq: seq, saleId: nil) }
            var end = idAt + id.count
            while end < bytes.count, bytes[end] != 34 { end += 1 }
            return .event(seq: seq, saleId: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(idAt + id.count)..<end]), as: UTF8.self))
        }
        if find(ready, in: bytes, from: 0) != nil { return .ready }
        if find(resync, in: bytes, from: 0) != nil { return .resync }
        return .other(String(decoding: bytes, as: UTF8.self))
    }

    static func find(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        needle.withUnsafeBytes { findBytes($0, in: bytes, from: start) }
    }
}
