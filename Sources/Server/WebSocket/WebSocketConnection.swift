import Foundation
import NIOCore
import NIOWebSocket
import Realtime

/// One `/ws` connection's transport, in its channel's pipeline after the upgrade: frames in,
/// frames out, the close handshake, the heartbeat's pings, and the hub's live frames.
///
/// What the client says is handed, one message at a time, to its ``WebSocketSession`` in a task
/// that exists only while messages wait, so an idle connection is this handler and its channel
/// and nothing else: no task parked on the socket, whose async stack would stay allocated
/// (hummingbird-websocket's server kept one per connection, about 12 KB of an idle one's 30).
///
/// Live frames: the hub calls ``framesReady()`` once per commit; the connection joins its event
/// loop's ``LiveWrites/LoopQueue``, whose one task per pass takes everything queued for each
/// ready connection and writes it as consecutive, complete, unmasked text frames with one
/// flush. While the channel is not writable (the peer stops reading) it takes nothing, so the
/// hub's bounded queue fills and a reader that never catches up is cut off there with
/// `resync`; the connection writes that frame and closes with 1008.
///
/// Server messages are never compressed, even when permessage-deflate was negotiated (RFC 7692
/// lets a sender leave any message uncompressed); the client's compressed messages are inflated
/// with a cap (``PerMessageDeflate``).
///
/// Thread-safety: every stored `var` is touched only on `eventLoop`; the methods other threads
/// call (``framesReady()``, ``beat()``, ``send(_:)``, ``close(_:reason:)``, …) hop there.
final class WebSocketConnection: ChannelInboundHandler, FrameSink, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame

    /// The largest message a client may send (a command or a subscription, never a file),
    /// after any fragments are joined and any compression undone; counted across fragments as
    /// they come, so a message is refused (1009) as soon as it passes the size.
    static let maxMessageSize = 64 << 10
    /// The most frames one message may come in. Browsers send every message as one frame; this
    /// stops a peer holding a message open with empty continuation frames, which add nothing to
    /// its size (1009).
    static let maxFragmentsPerMessage = 128
    /// How long a close handshake may wait for the peer's close before the socket is closed.
    static let closeTimeout = TimeAmount.seconds(5)
    /// Messages waiting for the session beyond which the socket stops reading.
    static let inboxLimit = 16

    /// What the session is handed, in order.
    enum Inbound: Sendable {
        case opened
        case text(String)
        /// A binary message: not part of the contract.
        case binary
        /// The token of this sign-in (the session's count) expires soon: time to re-authenticate.
        case tokenExpiring(Int)
        /// The token of this sign-in has expired.
        case tokenExpired(Int)
        case closed
    }

    /// What every connection of a server shares, held once rather than in each idle socket.
    final class Settings: Sendable {
        /// A socket not signed in by then is closed (a client that never says who it is would
        /// otherwise hold its place for as long as it answers pings).
        let signInDeadline: TimeAmount
        /// A fragmented message not finished by then, from its first frame, closes the socket with
        /// 1008: a peer that pings between fragments would otherwise keep the heartbeat content and
        /// the message's buffer (up to ``maxMessageSize``) held for ever.
        let messageTimeout: TimeAmount
        let heartbeat: Heartbeat
        let metrics: ServerMetrics
        let liveWrites: LiveWrites

        init(signInDeadline: TimeAmount, messageTimeout: TimeAmount = .seconds(10), heartbeat: Heartbeat, metrics: ServerMetrics,
             liveWrites: LiveWrites = LiveWrites()) {
            self.signInDeadline = signInDeadline
            self.messageTimeout = messageTimeout
            self.heartbeat = heartbeat
            self.metrics = metrics
            self.liveWrites = liveWrites
        }
    }

    private let settings: Settings
    private let session: WebSocketSession
    /// Where ``framesReady()`` puts this connection: its loop's list of sockets to write.
    private let liveWrites: LiveWrites.LoopQueue
    /// The channel's event loop, where every stored `var` is touched.
    var eventLoop: any EventLoop { liveWrites.eventLoop }

    /// The connection's place in the pipeline; nothing but the socket is below it for writes (the
    /// server takes NIO's frame encoder out: frames are written here as bytes).
    private var context: ChannelHandlerContext?
    /// The subscription whose live frames this connection takes (after its replay).
    private var live: Subscription?
    /// A fragmented message so far (nil between messages: an idle socket holds one pointer for it).
    private var fragments: PartialMessage?
    private var inbox: [Inbound] = []
    // The flags together, so that they share one word rather than each padding one out.
    /// Whether permessage-deflate was agreed (the client's messages may come compressed).
    private let deflate: Bool
    private var inboxRunning = false
    /// The channel's writability as NIO last told it (``channelWritabilityChanged(context:)``):
    /// the live write of each commit checks this flag rather than the channel, an object of its
    /// own that would be one more cold cache line per socket in a fan-out.
    private var writable = true
    /// Whether the socket is read (`autoRead`).
    private var reading = true
    private var closeSent = false
    private var signedIn = false
    /// The sign-in deadline's timer, until the socket signs in or closes.
    private var signInTimer: NIOScheduledCallback?
    /// The session's token notices (``scheduleTokenNotices(generation:warning:expiry:)``) still to
    /// hand over: the sign-in they are for, and the expiry's date while the warning's timer runs
    /// (nil once the warning is handed over and the expiry's timer set).
    private var tokenNotices: (generation: Int, expiry: Date?)?
    /// The timer of the next token notice, cancelled when the notices are replaced or the socket closes.
    private var tokenTimer: NIOScheduledCallback?
    /// Bytes came from the peer since the last ping.
    private var heardFromPeer = true
    private var pingOutstanding = false

    init(eventLoop: any EventLoop, session: WebSocketSession, deflate: Bool, settings: Settings) {
        liveWrites = settings.liveWrites.queue(for: eventLoop)
        self.session = session
        self.deflate = deflate
        self.settings = settings
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        writable = context.channel.isWritable
        settings.metrics.webSocketOpened()
        settings.heartbeat.watch(self)
        enqueue(.opened)
        signInTimer = try? context.eventLoop.scheduleCallback(in: settings.signInDeadline, handler: ConnectionTimer(connection: self, kind: .signInDeadline))
    }

    /// A socket still not signed in at its deadline gets the error and a 1008 close.
    private func signInDeadlinePassed() {
        guard !signedIn else { return }
        send(Array(#"{"code":"not_authenticated","message":"sign in first: ?token= or {\"type\":\"auth\"}","type":"error"}"#.utf8))
        close(.policyViolation, reason: "not_authenticated")
    }

    /// The session has signed the caller in: the sign-in deadline no longer applies.
    func markSignedIn() {
        eventLoop.execute { [self] in
            signedIn = true
            // Out of the loop's timer queue now, not at the deadline: after a storm of connections
            // the queue would otherwise hold every socket's deadline as well as its token's timer.
            signInTimer?.cancel()
            signInTimer = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        live = nil
        dropFragments()
        cancelTokenNotices()
        signInTimer?.cancel()
        signInTimer = nil
        settings.metrics.webSocketClosed()
        settings.heartbeat.forget(self)
        enqueue(.closed)
        context.fireChannelInactive()
    }

    /// A frame the decoder refused (longer than ``maxMessageSize``, a fragmented or long control
    /// frame): a close frame with the matching code, then the socket, as NIO's
    /// `WebSocketProtocolErrorHandler` does; the pipeline does without that handler (its context
    /// would stay with every socket).
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOWebSocketError {
            var payload = ByteBuffer()
            switch error {
            case .invalidFrameLength: payload.write(webSocketErrorCode: .messageTooLarge)
            case .fragmentedControlFrame, .multiByteControlFrameLength: payload.write(webSocketErrorCode: .protocolError)
            }
            writeControl(opcode: 0x8, payload: payload).whenComplete { _ in context.close(promise: nil) }
        }
        context.fireErrorCaught(error)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writable = context.channel.isWritable
        if writable {
            var encoded = EncodedFrames()
            drain(encoded: &encoded)
        }
        updateReading()
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        heardFromPeer = true
        let frame = unwrapInboundIn(data)
        // Once the server has said close, only the peer's close matters.
        guard !closeSent || frame.opcode == .connectionClose else { return }
        switch frame.opcode {
        case .text, .binary:
            guard fragments == nil else { return fail(.protocolError) }
            if frame.fin { return finishMessage(opcode: frame.opcode, compressed: frame.rsv1, data: frame.unmaskedData) }
            let message = PartialMessage(opcode: frame.opcode, compressed: frame.rsv1, data: frame.unmaskedData)
            message.deadline = context.eventLoop.scheduleTask(in: settings.messageTimeout) { [self] in
                guard fragments === message else { return }
                close(.policyViolation, reason: "message not finished in time")
            }
            fragments = message
        case .continuation:
            guard let message = fragments else { return fail(.protocolError) }
            var piece = frame.unmaskedData
            message.frames += 1
            guard message.data.readableBytes + piece.readableBytes <= Self.maxMessageSize else { return fail(.messageTooLarge) }
            guard message.frames <= Self.maxFragmentsPerMessage else { return close(.messageTooLarge, reason: "too many fragments") }
            message.data.writeBuffer(&piece)
            guard frame.fin else { return }
            dropFragments()
            finishMessage(opcode: message.opcode, compressed: message.compressed, data: message.data)
        case .ping:
            guard frame.fin, frame.length < 126 else { return fail(.protocolError) }
            // A peer that pings without reading the pongs would pile them up here; RFC 6455
            // §5.5.3 lets a pong answer only the latest ping, so none is written while the
            // socket takes no more (the peer's next ping, once it reads, gets one).
            if context.channel.isWritable { writeControl(opcode: 0xA, payload: frame.unmaskedData) }
        case .pong:
            break
        case .connectionClose:
            if closeSent {
                context.close(promise: nil)
            } else {
                // The peer closes first: answer, then close the socket.
                closeSent = true
                live = nil
                writeClose(.normalClosure, reason: nil).whenComplete { _ in context.close(promise: nil) }
            }
        default:
            fail(.protocolError)
        }
    }

    /// A fragmented message's frames so far and the deadline for its last one.
    private final class PartialMessage {
        let opcode: WebSocketOpcode
        let compressed: Bool
        var data: ByteBuffer
        /// How many frames it came in.
        var frames = 1
        var deadline: Scheduled<Void>?

        init(opcode: WebSocketOpcode, compressed: Bool, data: ByteBuffer) {
            self.opcode = opcode
            self.compressed = compressed
            self.data = data
        }
    }

    private func dropFragments() {
        fragments?.deadline?.cancel()
        fragments = nil
    }

    private func finishMessage(opcode: WebSocketOpcode, compressed: Bool, data: ByteBuffer) {
        guard opcode == .text else { return enqueue(.binary) }
        var data = data
        if compressed {
            guard deflate else { return fail(.protocolError) }
            do {
                data = try PerMessageDeflate.inflate(data, maxSize: Self.maxMessageSize)
            } catch {
                return fail(.messageTooLarge)
            }
        }
        guard let text = data.readString(length: data.readableBytes) else { return fail(.dataInconsistentWithMessage) }
        enqueue(.text(text))
    }

    /// Ends the connection for a protocol fault: a close frame with `code`, then the socket.
    private func fail(_ code: WebSocketErrorCode) {
        close(code, reason: nil)
    }

    // MARK: The session's inbox

    /// Hands `item` to the session after the ones before it, starting the task that feeds
    /// them when none runs; a client that floods is not read until the session catches up.
    private func enqueue(_ item: Inbound) {
        inbox.append(item)
        updateReading()
        guard !inboxRunning else { return }
        inboxRunning = true
        Task { [self] in
            while let item = await nextInbound() { await session.handle(item, on: self) }
        }
    }

    /// Reads the socket only while the session keeps up with what came (fewer than
    /// ``inboxLimit`` messages wait) and the peer takes what is written to it. A peer that sends
    /// without reading (messages whose answers would pile up in memory without bound) is then
    /// not read either: its answers stop a few past the channel's high-water mark, and the
    /// heartbeat, hearing nothing more from it, closes it. A slow reader is read again each time
    /// it takes enough for the channel to become writable.
    private func updateReading() {
        guard let context else { return }
        let wanted = inbox.count < Self.inboxLimit && context.channel.isWritable
        guard wanted != reading else { return }
        reading = wanted
        context.channel.setOption(ChannelOptions.autoRead, value: wanted).whenComplete { _ in }
    }

    /// The next message for the session; nil (and the feeding task ends) when none waits.
    private func nextInbound() async -> Inbound? {
        let next = try? await eventLoop.submit { [self] () -> Inbound? in
            guard !inbox.isEmpty else {
                inboxRunning = false
                return nil
            }
            defer { updateReading() }
            let item = inbox.removeFirst()
            // An idle socket keeps no spare capacity from the messages it once had waiting.
            if inbox.isEmpty { inbox = [] }
            return item
        }.get()
        return next ?? nil
    }

    /// Hands the session `.tokenExpiring(generation)` at `warning` and `.tokenExpired(generation)`
    /// at `expiry`, in turn with the messages that came meanwhile, replacing the notices scheduled
    /// before (an earlier sign-in's).
    ///
    /// One timer at a time: the expiry's is set when the warning is handed over.
    func scheduleTokenNotices(generation: Int, warning: Date, expiry: Date) {
        eventLoop.execute { [self] in
            cancelTokenNotices()
            guard context != nil else { return }
            tokenNotices = (generation, expiry)
            setTokenTimer(at: warning)
        }
    }

    private func setTokenTimer(at date: Date) {
        tokenTimer = try? eventLoop.scheduleCallback(in: Self.delay(until: date), handler: ConnectionTimer(connection: self, kind: .tokenNotice))
    }

    /// The token timer fired: the warning goes to the session and the expiry's timer is set, or
    /// the expiry goes to the session.
    private func tokenNoticeDue() {
        tokenTimer = nil
        guard context != nil, let notices = tokenNotices else { return }
        if let expiry = notices.expiry {
            tokenNotices = (notices.generation, nil)
            enqueue(.tokenExpiring(notices.generation))
            setTokenTimer(at: expiry)
        } else {
            tokenNotices = nil
            enqueue(.tokenExpired(notices.generation))
        }
    }

    private func cancelTokenNotices() {
        tokenTimer?.cancel()
        tokenTimer = nil
        tokenNotices = nil
    }

    /// A connection's timer: run by its event loop as a callback, with no closure, promise or
    /// task of its own, so a pending one costs only its entry in the loop's queue (an idle socket
    /// has its token's, and its sign-in deadline's for the first seconds).
    private struct ConnectionTimer: NIOScheduledCallbackHandler, Sendable {
        enum Kind { case signInDeadline, tokenNotice }
        let connection: WebSocketConnection
        let kind: Kind

        func handleScheduledCallback(eventLoop: some EventLoop) {
            switch kind {
            case .signInDeadline: connection.signInDeadlinePassed()
            case .tokenNotice: connection.tokenNoticeDue()
            }
        }
    }

    /// The time from now to `date`, none if it has passed, at most a day (a token lives minutes).
    private static func delay(until date: Date) -> TimeAmount {
        let seconds = min(max(0, date.timeIntervalSinceNow), 86_400)
        return .nanoseconds(Int64(seconds * 1_000_000_000))
    }

    // MARK: Writing

    /// Writes one server message (`ready`, `pong`, a result, an error) as a text frame, after
    /// what was written before.
    func send(_ message: [UInt8]) {
        eventLoop.execute { [self] in
            guard let context, !closeSent else { return }
            var buffer = context.channel.allocator.buffer(capacity: message.count + 10)
            buffer.writeTextFrame(message)
            context.writeAndFlush(NIOAny(buffer), promise: nil)
        }
    }

    /// Ends the connection because the caller's session ended: a last `closed` message saying
    /// why, then the close handshake with the reason's code (4001–4003).
    func end(_ reason: SessionEnd) {
        send(Frame.closed(reason).bytes)
        close(WebSocketErrorCode(codeNumber: Int(reason.closeCode)), reason: reason.rawValue)
    }

    /// Starts the close handshake: a close frame with `code`, then the socket is closed when the
    /// peer answers or after ``closeTimeout``. Nothing is written after it.
    func close(_ code: WebSocketErrorCode, reason: String?) {
        eventLoop.execute { [self] in
            guard let context, !closeSent else { return }
            closeSent = true
            live = nil
            dropFragments()
            writeClose(code, reason: reason).whenComplete { _ in }
            context.eventLoop.scheduleTask(in: Self.closeTimeout) { context.close(promise: nil) }
        }
    }

    private func writeClose(_ code: WebSocketErrorCode, reason: String?) -> EventLoopFuture<Void> {
        var payload = ByteBuffer()
        payload.write(webSocketErrorCode: code)
        if let reason { payload.writeString(reason) }
        return writeControl(opcode: 0x8, payload: payload)
    }

    @discardableResult
    private func writeControl(opcode: UInt8, payload: ByteBuffer) -> EventLoopFuture<Void> {
        guard let context else { return eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
        var frame = context.channel.allocator.buffer(capacity: payload.readableBytes + 2)
        frame.writeInteger(0x80 | opcode)  // FIN + opcode
        frame.writeInteger(UInt8(payload.readableBytes))  // control payloads are < 126 bytes
        frame.writeImmutableBuffer(payload)
        let written = eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(frame), promise: written)
        return written.futureResult
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

    /// The most replayed frames in one write.
    static let framesPerHistoryWrite = 64

    /// Takes `subscription`'s live frames from now on (its history, if any, has been written).
    func deliverLive(_ subscription: Subscription) {
        eventLoop.execute { [self] in
            guard context != nil, !closeSent else { return }
            live = subscription
            subscription.deliver(to: self)
        }
    }

    private func write(_ frames: [Frame]) async throws {
        try await eventLoop.flatSubmit { [self] () -> EventLoopFuture<Void> in
            guard let context, !closeSent else { return eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
            let written = eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(NIOAny(EncodedFrames.encode(frames, allocator: context.channel.allocator)), promise: written)
            return written.futureResult
        }.get()
    }

    func framesReady() {
        liveWrites.add(self)
    }

    /// Writes everything queued in one buffer with one flush (the bytes shared with the
    /// connections of the same pass that got the same frames); closes the connection when the
    /// subscription was cut off for reading too slowly. On the event loop.
    func drain(encoded: inout EncodedFrames) {
        guard writable, let context, let subscription = live else { return }
        let ended = subscription.takeQueued(into: &encoded.taken)
        guard let last = encoded.taken.last else {
            if ended { live = nil }
            return
        }
        context.writeAndFlush(NIOAny(encoded.bufferForTaken()), promise: nil)
        encoded.taken.removeAll(keepingCapacity: true)
        guard ended else { return }
        live = nil
        if last.kind == .resync, last.name == ResyncReason.slowConsumer.rawValue {
            close(.policyViolation, reason: "slow consumer")
        }
        if last.kind == .closed, let reason = SessionEnd(rawValue: last.name) {
            // The hub ended the caller's session (logout, revocation, block): the `closed`
            // message is written; the close code follows.
            close(WebSocketErrorCode(codeNumber: Int(reason.closeCode)), reason: reason.rawValue)
        }
        // Otherwise the session replaced or dropped the subscription, it ended with a
        // `since_too_old` resync the client answers by reloading, or the hub stopped with the
        // server, whose `Heartbeat` closes every socket with 1001: the connection stays until then.
    }

    // MARK: Heartbeat

    /// One beat of the server's heartbeat: a peer that sent nothing since the last ping (not
    /// even the pong) is gone and its socket is closed; otherwise it is pinged again.
    func beat() {
        eventLoop.execute { [self] in
            // Nothing may follow a close frame; the close handshake has its own deadline.
            guard let context, !closeSent else { return }
            if pingOutstanding && !heardFromPeer {
                context.close(promise: nil)
                return
            }
            heardFromPeer = false
            pingOutstanding = true
            writeControl(opcode: 0x9, payload: ByteBuffer())
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
