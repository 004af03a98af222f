import BenchSupport
import Foundation
import NIOCore
import NIOPosix

/// One request of an open-loop run.
struct Sample {
    var index: Int
    /// When the schedule said to send it, when it was written, when its answer was read (monotonic ns).
    var scheduled: UInt64
    var sent: UInt64
    var done: UInt64
    var status: Int
    /// For purchases: the `id` of the sale in a 201 answer.
    var saleId: String?
    /// The answer's `Feed-Sequence` header: the change feed's sequence of the write's commit (its last change).
    var feedSequence: UInt64?
}

/// Sends `count` requests at a fixed `rate` over `connections` keep-alive HTTP/1.1 connections
/// driven by `loops` NIO event-loop threads: request i is due at start + i/rate whatever
/// happened to the others, so a slow server shows up as queueing delay (scheduled → done)
/// instead of a lower send rate.
///
/// A thread per connection with blocking sockets could not keep to the schedule at 20,000+
/// requests/s on the two cores it shares with the server: 64 threads woke up for every request
/// and fought the server for the CPU, so the client's own backlog showed up as the server's
/// latency. Here one event loop sends every due request from a timer set to the next due time
/// and from each answer it reads, so it wakes only when there is something to do. There is no
/// pipelining (one request per connection at a time, as a browser does): a due request that finds
/// every connection busy waits in the client, and that wait counts from its due time.
///
/// Request i goes out on event loop i mod `loops`, each loop with its share of the connections.
func openLoop(port: Int, rate: Double, count: Int, connections: Int, loops: Int, parseSaleId: Bool,
              request: @escaping @Sendable (Int) -> [UInt8]) async throws -> (samples: [Sample], errors: [String]) {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
    let eventLoops = Array(group.makeIterator())
    let senders = eventLoops.enumerated().map { k, loop in
        LoopSender(loop: loop, port: port, first: k, step: eventLoops.count, count: count, interval: 1e9 / rate,
                   parseSaleId: parseSaleId, request: request)
    }
    do {
        for c in 0..<connections { try await senders[c % senders.count].connect().get() }
        let start = monotonicNanos() + 50_000_000
        let finished = senders.map { $0.begin(at: start) }
        for future in finished { try await future.get() }
        var samples: [Sample] = []
        var errors: [String] = []
        for sender in senders {
            let (mine, myErrors) = try await sender.loop.submit { sender.finish() }.get()
            samples += mine
            errors += myErrors
        }
        try await group.shutdownGracefully()
        return (samples.sorted { $0.index < $1.index }, Array(errors.prefix(5)))
    } catch {
        try? await group.shutdownGracefully()
        throw error
    }
}

/// The share of an open-loop run one event loop drives: requests `first`, `first + step`, … on
/// its own connections. Every member is used only on `loop`, which is what makes it Sendable.
private final class LoopSender: @unchecked Sendable {
    let loop: any EventLoop
    private let port: Int
    private let count: Int
    private let step: Int
    private let interval: Double
    private let parseSaleId: Bool
    private let request: @Sendable (Int) -> [UInt8]
    private let done: EventLoopPromise<Void>
    private var start: UInt64 = 0
    /// The next request of this share to send, and how many of the share have no sample yet.
    private var next: Int
    private var unanswered: Int
    private var connections: [SenderConnection] = []
    /// Connections with no request outstanding, the most recently freed last.
    private var idle: [SenderConnection] = []
    private var connecting = 0
    private var timer: Scheduled<Void>?
    private var samples: [Sample] = []
    private var errors: [String] = []

    init(loop: any EventLoop, port: Int, first: Int, step: Int, count: Int, interval: Double, parseSaleId: Bool,
         request: @escaping @Sendable (Int) -> [UInt8]) {
        self.loop = loop
        self.port = port
        self.count = count
        self.step = step
        self.interval = interval
        self.parseSaleId = parseSaleId
        self.request = request
        next = first
        unanswered = first < count ? (count - first + step - 1) / step : 0
        samples.reserveCapacity(unanswered)
        done = loop.makePromise()
    }

    /// Opens one more connection on this loop; it joins the idle ones once it is active.
    func connect() -> EventLoopFuture<Void> {
        ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SenderConnection(sender: self))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .map { _ in }
    }

    /// Starts the schedule at `start` (monotonic ns); the future completes when every request of
    /// this share has its sample.
    func begin(at start: UInt64) -> EventLoopFuture<Void> {
        loop.execute {
            self.start = start
            if self.unanswered == 0 { self.done.succeed() } else { self.pump() }
        }
        return done.futureResult
    }

    /// Closes the connections and hands over the samples and the first errors.
    func finish() -> (samples: [Sample], errors: [String]) {
        timer?.cancel()
        for connection in connections { connection.close() }
        return (samples, errors)
    }

    private func due(_ index: Int) -> UInt64 { start + UInt64(Double(index) * interval) }

    /// Sends every due request an idle connection can take, then sets the timer to the next due
    /// time if a connection is left idle (a busy one calls back here when its answer arrives).
    private func pump() {
        let now = monotonicNanos()
        while next < count, let connection = idle.last {
            let scheduled = due(next)
            guard scheduled <= now else { break }
            idle.removeLast()
            connection.send(index: next, scheduled: scheduled, request: request(next))
            next += step
        }
        if next < count, !idle.isEmpty, timer == nil {
            timer = loop.scheduleTask(in: .nanoseconds(Int64(due(next) &- now))) {
                self.timer = nil
                self.pump()
            }
        }
    }

    private func record(_ sample: Sample) {
        samples.append(sample)
        unanswered -= 1
        if unanswered == 0 {
            timer?.cancel()
            done.succeed()
        }
    }

    private func note(_ error: String) {
        if errors.count < 5 { errors.append(error) }
    }

    // MARK: Called by the connections

    func active(_ connection: SenderConnection) {
        connections.append(connection)
        idle.append(connection)
        if start > 0 { pump() }
    }

    func answered(_ connection: SenderConnection, index: Int, scheduled: UInt64, sent: UInt64, done: UInt64,
                  status: Int, body: ByteBuffer?, feedSequence: UInt64?) {
        var saleId: String?
        if parseSaleId, status == 201, let body {
            let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))
            saleId = (json as? [String: Any])?["id"] as? String
        }
        if status >= 300 { note("\(status) \(String(buffer: body ?? ByteBuffer()).prefix(160))") }
        record(Sample(index: index, scheduled: scheduled, sent: sent, done: done, status: status, saleId: saleId,
                      feedSequence: feedSequence))
        idle.append(connection)
        pump()
    }

    /// A connection closed: its outstanding request (if any) failed. While requests remain, a
    /// new connection takes its place; if none can be opened, the rest of the share fails.
    func closed(_ connection: SenderConnection, outstanding: (index: Int, scheduled: UInt64, sent: UInt64)?, error: String?) {
        connections.removeAll { $0 === connection }
        idle.removeAll { $0 === connection }
        if let error { note(error) }
        if let outstanding {
            if error == nil { note("connection closed by the server with request \(outstanding.index) unanswered") }
            record(Sample(index: outstanding.index, scheduled: outstanding.scheduled, sent: outstanding.sent,
                          done: monotonicNanos(), status: 0, saleId: nil))
        }
        guard unanswered > 0 else { return }
        connecting += 1
        connect().whenComplete { result in
            self.connecting -= 1
            guard case .failure(let error) = result else { return }
            self.note("reconnect: \(error)")
            guard self.connections.isEmpty, self.connecting == 0 else { return }
            let now = monotonicNanos()
            while self.next < self.count {
                self.record(Sample(index: self.next, scheduled: self.due(self.next), sent: now, done: now, status: 0, saleId: nil))
                self.next += self.step
            }
        }
    }
}

/// One keep-alive connection of a ``LoopSender``: writes a request when told to and reads its
/// answer with ``HTTPResponseReader``, one request at a time.
private final class SenderConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let sender: LoopSender
    private var context: ChannelHandlerContext?
    private var outstanding: (index: Int, scheduled: UInt64, sent: UInt64)?
    private var pending = ByteBuffer()
    private var reader = HTTPResponseReader()
    private var error: String?

    init(sender: LoopSender) { self.sender = sender }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelActive(context: ChannelHandlerContext) { sender.active(self) }

    func channelInactive(context: ChannelHandlerContext) {
        sender.closed(self, outstanding: outstanding, error: error)
        outstanding = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.error = self.error ?? "\(error)"
        context.close(promise: nil)
    }

    func send(index: Int, scheduled: UInt64, request: [UInt8]) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: request.count)
        buffer.writeBytes(request)
        outstanding = (index, scheduled, monotonicNanos())
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    func close() { context?.close(promise: nil) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if pending.readableBytes == 0 { pending = bytes } else { pending.writeBuffer(&bytes) }
        do {
            while let answer = try reader.next(from: &pending) {
                guard let request = outstanding else { throw BenchError("an answer to no request") }
                outstanding = nil
                sender.answered(self, index: request.index, scheduled: request.scheduled, sent: request.sent,
                                done: monotonicNanos(), status: answer.status, body: answer.body, feedSequence: answer.feedSequence)
            }
        } catch {
            self.error = self.error ?? "\(error)"
            context.close(promise: nil)
            return
        }
        if pending.readableBytes == 0 { pending = ByteBuffer() }
    }
}

/// Cuts HTTP/1.1 answers out of the bytes read: the status and `Feed-Sequence`, then a
/// `Content-Length` or chunked body. The body is kept only where someone reads it (errors for the report, a 201's sale id);
/// the rest is skipped without a copy, since GET /api/products answers 11 KB 20,000 times a second.
struct HTTPResponseReader {
    struct Answer {
        var status: Int
        var body: ByteBuffer?
        var feedSequence: UInt64?
    }

    private enum Stage {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunk(remaining: Int)
        case chunkEnd
        case trailer
    }

    private var stage = Stage.head
    private var status = 0
    private var feedSequence: UInt64?
    private var body: ByteBuffer?
    private static let crlf: [UInt8] = [13, 10]
    private static let headEnd: [UInt8] = [13, 10, 13, 10]

    /// The next whole answer in `buffer` (consumed), or nil when more bytes are needed.
    mutating func next(from buffer: inout ByteBuffer) throws -> Answer? {
        while true {
            switch stage {
            case .head:
                guard let end = Self.find(Self.headEnd, in: buffer) else { return nil }
                let head = try buffer.withUnsafeReadableBytes { try Self.parseHead(UnsafeRawBufferPointer(rebasing: $0[..<end])) }
                buffer.moveReaderIndex(forwardBy: end + 4)
                status = head.status
                feedSequence = head.feedSequence
                body = status == 201 || status >= 300 ? ByteBuffer() : nil
                stage = head.chunked ? .chunkSize : .body(remaining: head.length)
            case .body(let remaining):
                let left = take(remaining, from: &buffer)
                guard left == 0 else { stage = .body(remaining: left); return nil }
                return complete()
            case .chunkSize:
                guard let end = Self.find(Self.crlf, in: buffer) else { return nil }
                let line = buffer.getString(at: buffer.readerIndex, length: end) ?? ""
                guard let size = Int(line.prefix { $0.isHexDigit }, radix: 16) else { throw BenchError("bad chunk size: \(line.prefix(40))") }
                buffer.moveReaderIndex(forwardBy: end + 2)
                stage = size == 0 ? .trailer : .chunk(remaining: size)
            case .chunk(let remaining):
                let left = take(remaining, from: &buffer)
                guard left == 0 else { stage = .chunk(remaining: left); return nil }
                stage = .chunkEnd
            case .chunkEnd:
                guard buffer.readableBytes >= 2 else { return nil }
                buffer.moveReaderIndex(forwardBy: 2)
                stage = .chunkSize
            case .trailer:
                guard let end = Self.find(Self.crlf, in: buffer) else { return nil }
                buffer.moveReaderIndex(forwardBy: end + 2)
                if end == 0 { return complete() }
            }
        }
    }

    /// Consumes up to `wanted` body bytes (kept if the body is), returns how many are still to come.
    private mutating func take(_ wanted: Int, from buffer: inout ByteBuffer) -> Int {
        let n = min(wanted, buffer.readableBytes)
        if body != nil, var slice = buffer.readSlice(length: n) { body!.writeBuffer(&slice) } else { buffer.moveReaderIndex(forwardBy: n) }
        return wanted - n
    }

    private mutating func complete() -> Answer {
        stage = .head
        defer { body = nil }
        return Answer(status: status, body: body, feedSequence: feedSequence)
    }

    private static func find(_ needle: [UInt8], in buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes in needle.withUnsafeBytes { findBytes($0, in: bytes) } }
    }

    /// The status, `Content-Length` (0 if absent), whether the body is chunked and `Feed-Sequence`
    /// (nil if absent), from the head's bytes.
    private static func parseHead(_ head: UnsafeRawBufferPointer) throws -> (status: Int, length: Int, chunked: Bool, feedSequence: UInt64?) {
        guard head.count >= 12, head.starts(with: "HTTP/1.".utf8),
              let status = Int(String(decoding: UnsafeRawBufferPointer(rebasing: head[9..<12]), as: UTF8.self)) else {
            throw BenchError("bad status line: \(String(decoding: head.prefix(80), as: UTF8.self))")
        }
        var length = 0
        var chunked = false
        var feedSequence: UInt64?
        var lineStart = 0
        while lineStart < head.count {
            var lineEnd = lineStart
            while lineEnd < head.count, head[lineEnd] != 13 { lineEnd += 1 }
            let line = UnsafeRawBufferPointer(rebasing: head[lineStart..<lineEnd])
            if let value = headerValue(line, named: "content-length") {
                length = value.reduce(0) { $1 >= 48 && $1 <= 57 ? $0 * 10 + Int($1 - 48) : $0 }
            } else if let value = headerValue(line, named: "transfer-encoding") {
                chunked = String(decoding: value, as: UTF8.self).lowercased().contains("chunked")
            } else if let value = headerValue(line, named: "feed-sequence") {
                feedSequence = UInt64(String(decoding: value, as: UTF8.self).trimmingCharacters(in: .whitespaces))
            }
            lineStart = lineEnd + 2
        }
        return (status, length, chunked, feedSequence)
    }

    /// The bytes after `name:` if `line` is that header (names compare without regard to case).
    private static func headerValue(_ line: UnsafeRawBufferPointer, named name: StaticString) -> UnsafeRawBufferPointer.SubSequence? {
        let count = name.utf8CodeUnitCount
        guard line.count > count, line[count] == UInt8(ascii: ":") else { return nil }
        let lowercase = name.utf8Start
        for i in 0..<count {
            let byte = line[i]
            if (byte >= 65 && byte <= 90 ? byte + 32 : byte) != lowercase[i] { return nil }
        }
        return line[(count + 1)...]
    }
}
