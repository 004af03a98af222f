import BenchSupport
import Foundation
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What one subscriber saw, written only by its own connection.
final class SubscriberLog: Sendable {
    /// A live query's frame: its `seq`, the monotonic time it was read, whether it was the
    /// snapshot, and the ids of the records it carries (a diff's `enter` and `update`).
    struct QueryFrame {
        var seq: UInt64
        var at: UInt64
        var snapshot: Bool
        var ids: [String]
    }
    struct State {
        /// `new_sale` events: the sale's id and the monotonic time the frame was read.
        var sales: [(id: String, at: UInt64)] = []
        /// `query_snapshot` and `query_diff` frames, in the order read.
        var queries: [QueryFrame] = []
        var events = 0
        var lastSeq: UInt64 = 0
        /// Events whose `seq` was not above the one before.
        var seqViolations = 0
        var resyncs = 0
        var ready = false
        var error: String?
    }
    let state = Mutex(State())
    /// The message sent once the server says `ready`: a `subscribe`, or a `watch`.
    let request: String

    init(request: String) { self.request = request }
}

/// N WebSocket subscribers on one server, each a NIO channel with a hand-written client.
///
/// hummingbird-websocket's client hands every frame to an async iterator through an actor:
/// with 10,000 subscribers that per-frame cost on the load generator's side, on the same two
/// cores as the server, capped deliveries at about 120,000 frames/s whatever the server did.
/// Here each connection is a channel handler on the event loops that does the upgrade by hand
/// and cuts frames straight out of the bytes read, so one read of several frames costs one
/// wake-up.
final class Fleet: Sendable {
    let logs: [SubscriberLog]
    let ready = Counter()
    let ended = Counter()
    let failed = Counter()
    let saleDeliveries = Counter()
    /// Live-query frames (snapshots and diffs) read by all connections.
    let queryFrames = Counter()
    private let channels = Mutex<[any Channel]>([])
    /// Whether `Scripts/ws-reader.c` reads these subscribers in its own process (``CReader``).
    let readInC: Bool
    private let cReader = Locked<CReader?>(nil)

    /// `count` subscribers of the `sales` and `inventory` topics; `readInC`: read by ``CReader``.
    convenience init(count: Int, readInC: Bool = false) {
        self.init(requests: Array(repeating: Self.subscribe, count: count), readInC: readInC)
    }

    /// One connection per message, each sending its own once signed in (a `subscribe` or a `watch`).
    /// ``CReader`` sends every connection the first message, and reads only `event` frames.
    init(requests: [String], readInC: Bool = false) {
        logs = requests.map { SubscriberLog(request: $0) }
        self.readInC = readInC
    }

    static let subscribe = #"{"type":"subscribe","topics":["sales","inventory"]}"#

    /// Opens every connection, at most `inFlight` handshakes at a time; returns once every
    /// one has its `ready` (or failed), or at the deadline.
    func open(port: Int, token: String, inFlight: Int = 256, timeout: Double = 180) async {
        let deadline = monotonicNanos() + UInt64(timeout * 1e9)
        if readInC {
            do {
                let reader = try CReader(fleet: self, port: port, token: token)
                cReader.withLock { $0 = reader }
                while ready.current + failed.current < logs.count, monotonicNanos() < deadline {
                    try? await Task.sleep(for: .milliseconds(10))
                }
            } catch {
                logs.first?.state.withLock { $0.error = "\(error)" }
                failed.add(logs.count)
            }
            return
        }
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
        let upgrade = "GET /ws?token=\(token) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        for (index, log) in logs.enumerated() {
            while index - ready.current - failed.current >= inFlight, monotonicNanos() < deadline {
                try? await Task.sleep(for: .milliseconds(1))
            }
            do {
                let channel = try await bootstrap.channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(SubscriberConnection(fleet: self, log: log, upgrade: upgrade))
                    }
                }.connect(host: "127.0.0.1", port: port).get()
                channels.withLock { $0.append(channel) }
            } catch {
                log.state.withLock { $0.error = $0.error ?? "\(error)" }
                failed.add()
                ended.add()
            }
        }
        while ready.current + failed.current < logs.count, monotonicNanos() < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// With ``CReader``: stops it and fills `logs` from what it read (before ``match(sentAt:)``).
    /// The NIO subscribers write their logs as they read, so there it does nothing.
    func collect() {
        guard let reader = cReader.withLock({ $0 }) else { return }
        do {
            try reader.collect(into: logs)
        } catch {
            logs.first?.state.withLock { $0.error = $0.error ?? "\(error)" }
        }
    }

    /// Waits (bounded) for every connection to end after the server went away, then closes the rest.
    func finish(timeout: Double = 20) async {
        guard !readInC else { return }   // ws-reader's connections ended with it, in collect()
        let deadline = monotonicNanos() + UInt64(timeout * 1e9)
        let all = channels.withLock { $0 }
        while ended.current < logs.count, monotonicNanos() < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for channel in all { channel.close(promise: nil) }
    }
}

/// Every (subscriber, sale) delivery of a fleet matched with its purchase.
struct DeliveryStats {
    /// Nanoseconds from the purchase's write to the `new_sale` frame's read, one per first delivery.
    var latencies: [UInt64] = []
    /// (subscriber, sale) pairs never received; a sale received twice by one subscriber; a sale
    /// with no 201 among the purchases (not timed).
    var lost = 0, duplicated = 0, foreign = 0
    var seqViolations = 0, resyncs = 0, events = 0
    var errors: [String] = []
    /// The monotonic time of the last matched delivery.
    var lastDelivery: UInt64 = 0
    var delivered: Int { latencies.count }
}

extension Fleet {
    /// Matches what every ready subscriber received with `sentAt` (sale id → monotonic time its
    /// purchase was written).
    func match(sentAt: [String: UInt64]) -> DeliveryStats {
        var stats = DeliveryStats()
        stats.latencies.reserveCapacity(sentAt.count * logs.count)
        for log in logs {
            log.state.withLock { state in
                if stats.errors.count < 5, let error = state.error { stats.errors.append(error) }
                guard state.ready else { return }
                stats.seqViolations += state.seqViolations
                stats.resyncs += state.resyncs
                stats.events += state.events
                var seen = Set<String>()
                for (id, at) in state.sales {
                    guard let sent = sentAt[id] else { stats.foreign += 1; continue }
                    if !seen.insert(id).inserted { stats.duplicated += 1; continue }
                    stats.latencies.append(at &- sent)
                    stats.lastDelivery = max(stats.lastDelivery, at)
                }
                stats.lost += sentAt.count - seen.count
            }
        }
        return stats
    }
}

/// One subscriber's connection: the HTTP upgrade, then server frames cut from the bytes read,
/// each handled as ``FrameScan`` reads it. Client frames (the subscription, pongs) are masked,
/// as RFC 6455 requires.
private final class SubscriberConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let fleet: Fleet
    let log: SubscriberLog
    let upgrade: String
    private static let headerEnd: [UInt8] = Array("\r\n\r\n".utf8)
    private var upgraded = false
    private var pending = ByteBuffer()
    /// The payload of a fragmented message so far.
    private var partial: ByteBuffer?

    init(fleet: Fleet, log: SubscriberLog, upgrade: String) {
        self.fleet = fleet
        self.log = log
        self.upgrade = upgrade
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: upgrade)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        let now = monotonicNanos()
        pending.writeBuffer(&bytes)
        if !upgraded {
            let headerEnd = pending.withUnsafeReadableBytes { bytes in Self.headerEnd.withUnsafeBytes { findBytes($0, in: bytes) } }
            guard let headerEnd else { return }
            let head = pending.readString(length: headerEnd + 4) ?? ""
            guard head.hasPrefix("HTTP/1.1 101") else {
                fail(context, "upgrade refused: \(head.prefix(80))")
                return
            }
            upgraded = true
        }
        while let (opcode, fin, payload) = nextFrame() {
            switch opcode {
            case 0x1, 0x0:
                var message = payload
                if !fin || partial != nil {
                    var piece = payload
                    partial = partial ?? ByteBuffer()
                    partial!.writeBuffer(&piece)
                    guard fin else { continue }
                    message = partial!
                    partial = nil
                }
                handle(message, now: now, context: context)
            case 0x9:
                send(opcode: 0xA, payload: payload, context: context)
            case 0x8:
                context.close(promise: nil)
                return
            default:
                break
            }
        }
        pending.discardReadBytes()
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !log.state.withLock({ $0.ready }) { fleet.failed.add() }
        fleet.ended.add()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        log.state.withLock { $0.error = $0.error ?? "\(error)" }
        context.close(promise: nil)
    }

    private func fail(_ context: ChannelHandlerContext, _ message: String) {
        log.state.withLock { $0.error = $0.error ?? message }
        context.close(promise: nil)
    }

    /// The next whole frame in `pending` (server frames are never masked), or nil for more bytes.
    private func nextFrame() -> (opcode: UInt8, fin: Bool, payload: ByteBuffer)? {
        let start = pending.readerIndex
        guard let first = pending.getInteger(at: start, as: UInt8.self),
              let second = pending.getInteger(at: start + 1, as: UInt8.self) else { return nil }
        var length = Int(second & 0x7F)
        var offset = 2
        if length == 126 {
            guard let extended = pending.getInteger(at: start + 2, as: UInt16.self) else { return nil }
            length = Int(extended)
            offset = 4
        } else if length == 127 {
            guard let extended = pending.getInteger(at: start + 2, as: UInt64.self) else { return nil }
            length = Int(extended)
            offset = 10
        }
        guard pending.readableBytes >= offset + length else { return nil }
        pending.moveReaderIndex(forwardBy: offset)
        let payload = pending.readSlice(length: length)!
        return (first & 0x0F, first & 0x80 != 0, payload)
    }

    private func handle(_ message: ByteBuffer, now: UInt64, context: ChannelHandlerContext) {
        switch message.withUnsafeReadableBytes({ FrameScan.parse($0) }) {
        case .ready:
            let first = log.state.withLock { state -> Bool in
                defer { state.ready = true }
                return !state.ready
            }
            send(opcode: 0x1, payload: ByteBuffer(string: log.request), context: context)
            if first { fleet.ready.add() }
        case .event(let seq, let saleId):
            log.state.withLock { state in
                state.events += 1
                if seq <= state.lastSeq { state.seqViolations += 1 }
                state.lastSeq = seq
                if let saleId { state.sales.append((saleId, now)) }
            }
            if saleId != nil { fleet.saleDeliveries.add() }
        case .query(let seq, let snapshot, let ids):
            log.state.withLock { state in
                if seq <= state.lastSeq { state.seqViolations += 1 }
                state.lastSeq = seq
                state.queries.append(.init(seq: seq, at: now, snapshot: snapshot, ids: ids))
            }
            fleet.queryFrames.add()
        case .resync:
            log.state.withLock { $0.resyncs += 1 }
        case .other(let text):
            log.state.withLock { $0.error = $0.error ?? String(text.prefix(200)) }
        }
    }

    /// Writes one final, masked client frame (flushed at the end of the read).
    private func send(opcode: UInt8, payload: ByteBuffer, context: ChannelHandlerContext) {
        let mask: [UInt8] = [0x5A, 0xA5, 0x3C, 0xC3]
        var frame = context.channel.allocator.buffer(capacity: payload.readableBytes + 14)
        frame.writeInteger(0x80 | opcode)
        if payload.readableBytes < 126 {
            frame.writeInteger(UInt8(0x80 | payload.readableBytes))
        } else {
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(payload.readableBytes))
        }
        frame.writeBytes(mask)
        for (i, byte) in payload.readableBytesView.enumerated() { frame.writeInteger(byte ^ mask[i & 3]) }
        context.write(wrapOutboundOut(frame), promise: nil)
    }
}

/// Reads the few fields the benchmark needs straight from a frame's bytes, without decoding
/// the JSON: 10,000 subscribers read hundreds of thousands of frames a second on the same
/// two cores as the server.
enum FrameScan {
    enum Parsed {
        case ready
        case event(seq: UInt64, saleId: String?)
        /// A `query_snapshot` or `query_diff`: its `seq` and the ids of the records in it.
        case query(seq: UInt64, snapshot: Bool, ids: [String])
        case resync
        case other(String)
    }

    private static let eventPrefix = Array(#"{"type":"event","seq":"#.utf8)
    private static let ready = Array(#""type":"ready""#.utf8)
    private static let resync = Array(#""type":"resync""#.utf8)
    private static let newSale = Array(#""event":"new_sale""#.utf8)
    private static let sale = Array(#""sale":{"#.utf8)
    private static let id = Array(#""id":""#.utf8)
    private static let userId = Array(#""userId":""#.utf8)
    private static let querySnapshot = Array(#"{"type":"query_snapshot","#.utf8)
    private static let queryDiff = Array(#"{"type":"query_diff","#.utf8)
    private static let seq = Array(#""seq":"#.utf8)
    private static let leave = Array(#""leave":"#.utf8)

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
        for (prefix, snapshot) in [(queryDiff, false), (querySnapshot, true)]
        where bytes.count > prefix.count && memcmp(base, prefix, prefix.count) == 0 {
            return parseQuery(bytes, snapshot: snapshot)
        }
        if find(ready, in: bytes, from: 0) != nil { return .ready }
        if find(resync, in: bytes, from: 0) != nil { return .resync }
        return .other(String(decoding: bytes, as: UTF8.self))
    }

    /// A query frame's `seq`, then every `"id":"…"` and `"userId":"…"` value after it: the records'
    /// ids (a debt's id is its `userId`; the watch's own `id` comes before `seq`, a diff's `leave`
    /// is a bare list of ids and is not read).
    private static func parseQuery(_ bytes: UnsafeRawBufferPointer, snapshot: Bool) -> Parsed {
        guard let seqAt = find(seq, in: bytes, from: 0) else { return .other(String(decoding: bytes, as: UTF8.self)) }
        var value: UInt64 = 0
        var i = seqAt + seq.count
        while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { value = value * 10 + UInt64(bytes[i] - 48); i += 1 }
        let end = find(leave, in: bytes, from: i) ?? bytes.count
        var ids: [String] = []
        for needle in [id, userId] {
            var from = i
            while let at = find(needle, in: bytes, from: from), at < end {
                var close = at + needle.count
                while close < bytes.count, bytes[close] != 34 { close += 1 }
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(at + needle.count)..<close]), as: UTF8.self)
                if !ids.contains(text) { ids.append(text) }
                from = close
            }
        }
        return .query(seq: value, snapshot: snapshot, ids: ids)
    }

    static func find(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        needle.withUnsafeBytes { findBytes($0, in: bytes, from: start) }
    }
}
