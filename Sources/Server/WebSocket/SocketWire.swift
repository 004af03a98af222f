import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import Realtime

/// The request context of `/ws`: Hummingbird's WebSocket context, plus the connection's NIO
/// channel, where the session installs its ``SocketWire``.
struct SocketRequestContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let channel: any Channel

    init(source: Source) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}

/// One WebSocket connection's own handler, in its channel's pipeline just below the frame
/// encoder: it writes the hub's event frames and the heartbeat's pings straight to the socket.
///
/// Why a channel handler and not a task per connection: an idle subscriber then costs no
/// parked task (whose async stack stays allocated) and waking it costs no task switch. The hub
/// calls ``framesReady()`` once per commit; the wire takes everything queued on its event
/// loop and writes it as consecutive, complete, unmasked text frames with one flush, where
/// hummingbird-websocket's writer goes through its actor and flushes each frame.
///
/// Backpressure: while the channel is not writable (the peer stops reading) the wire takes
/// nothing, so the hub's bounded queue fills and a reader that never catches up is cut off
/// there with `resync`; the wire then writes that frame and closes with 1008.
///
/// Event frames are sent uncompressed even when permessage-deflate was negotiated (RFC 7692
/// lets a sender leave any message uncompressed: its RSV1 bit is clear); replies and the close
/// handshake still go through hummingbird-websocket's writer, on the same event loop, so
/// frames never interleave.
///
/// Thread-safety: every stored property but `eventLoop` is touched only on `eventLoop`;
/// the methods other threads call (``framesReady()``, ``beat()``) only schedule work there.
final class SocketWire: ChannelInboundHandler, FrameSink, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    /// How the session closes the connection through hummingbird-websocket's handshake.
    typealias Close = @Sendable (WebSocketErrorCode, String) -> Void

    let eventLoop: any EventLoop
    private let close: Close
    private var context: ChannelHandlerContext?
    /// The subscription whose live frames this wire takes (after its replay).
    private var live: Subscription?
    /// Bytes came from the peer since the last ping.
    private var heardFromPeer = true
    private var pingOutstanding = false

    private init(eventLoop: any EventLoop, close: @escaping Close) {
        self.eventLoop = eventLoop
        self.close = close
    }

    /// Puts a wire into `channel`'s pipeline, below its WebSocket frame encoder.
    static func install(on channel: any Channel, close: @escaping Close) async throws -> SocketWire {
        let wire = SocketWire(eventLoop: channel.eventLoop, close: close)
        try await channel.eventLoop.submit {
            let encoder = try channel.pipeline.syncOperations.handler(type: WebSocketFrameEncoder.self)
            try channel.pipeline.syncOperations.addHandler(wire, position: .before(encoder))
        }.get()
        return wire
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        live = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        heardFromPeer = true
        context.fireChannelRead(data)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { drain() }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Event frames

    /// Writes `subscription`'s replayed history, returning as the socket takes each page so a
    /// replay to a slow reader goes at the reader's pace; then takes its live frames from the
    /// event loop. Stops quietly when the connection closes meanwhile.
    func replayThenDeliver(_ subscription: Subscription) async {
        while let frames = await subscription.nextHistoryBatch(limit: Self.framesPerHistoryWrite) {
            do {
                try await write(frames)
            } catch {
                return
            }
        }
        deliverLive(subscription)
    }

    /// Takes `subscription`'s live frames from now on (its history, if any, has been written).
    func deliverLive(_ subscription: Subscription) {
        eventLoop.execute { [self] in
            guard context != nil else { return }
            live = subscription
            subscription.deliver(to: self)
        }
    }

    /// Writes one server message (`ready`, `pong`) as a text frame, after what was written before.
    func send(_ message: [UInt8]) {
        eventLoop.execute { [self] in
            guard let context else { return }
            var buffer = context.channel.allocator.buffer(capacity: message.count + 10)
            buffer.writeTextFrame(message)
            context.writeAndFlush(NIOAny(buffer), promise: nil)
        }
    }

    /// The most replayed frames in one write.
    static let framesPerHistoryWrite = 64

    private func write(_ frames: [Frame]) async throws {
        try await eventLoop.flatSubmit { [self] () -> EventLoopFuture<Void> in
            guard let context else { return eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
            let written = eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(NIOAny(Self.encode(frames, allocator: context.channel.allocator)), promise: written)
            return written.futureResult
        }.get()
    }

    func framesReady() {
        eventLoop.execute { [self] in drain() }
    }

    /// Writes everything queued in one buffer with one flush; closes the connection when the
    /// subscription was cut off or the server is stopping.
    private func drain() {
        guard let context, let subscription = live, context.channel.isWritable else { return }
        let (frames, ended) = subscription.takeQueued()
        if !frames.isEmpty {
            context.writeAndFlush(NIOAny(Self.encode(frames, allocator: context.channel.allocator)), promise: nil)
        }
        guard ended else { return }
        live = nil
        if let last = frames.last, last.kind == .resync, last.name == ResyncReason.slowConsumer.rawValue {
            close(.policyViolation, "slow consumer")
        } else if subscription.endedByShutdown {
            close(.goingAway, "server shutting down")
        }
        // Otherwise the session replaced or dropped the subscription, or it ended with a
        // `since_too_old` resync the client answers by reloading: the connection stays.
    }

    static func encode(_ frames: [Frame], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: frames.reduce(0) { $0 + $1.bytes.count + 10 })
        for frame in frames { buffer.writeTextFrame(frame.bytes) }
        return buffer
    }

    // MARK: Heartbeat

    /// One beat of the server's heartbeat: a peer that sent nothing since the last ping (not
    /// even the pong) is gone and its connection is closed; otherwise it is pinged again.
    func beat() {
        eventLoop.execute { [self] in
            guard let context else { return }
            if pingOutstanding && !heardFromPeer {
                context.close(promise: nil)
                return
            }
            heardFromPeer = false
            pingOutstanding = true
            var ping = context.channel.allocator.buffer(capacity: 2)
            ping.writeInteger(UInt8(0x89))  // FIN + opcode 9 (ping)
            ping.writeInteger(UInt8(0))     // no payload
            context.writeAndFlush(NIOAny(ping), promise: nil)
        }
    }
}

extension ByteBuffer {
    /// Appends one final, unmasked text frame (RFC 6455 §5.2) carrying `payload`.
    mutating func writeTextFrame(_ payload: [UInt8]) {
        writeInteger(UInt8(0x81))  // FIN + opcode 1 (text)
        switch payload.count {
        case ..<126:
            writeInteger(UInt8(payload.count))
        case ...0xFFFF:
            writeInteger(UInt8(126))
            writeInteger(UInt16(payload.count))
        default:
            writeInteger(UInt8(127))
            writeInteger(UInt64(payload.count))
        }
        writeBytes(payload)
    }
}
