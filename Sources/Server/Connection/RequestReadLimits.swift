import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// The limits on how a client sends an HTTP/1 request, enforced on its connection below
/// Hummingbird's router: the first request head within ``Limits/headTimeout`` of connecting, a
/// head no larger than NIO's decoder is told to take (answered 431), and a body that keeps
/// arriving at ``Limits/minimumBodyRate`` (answered 408).
///
/// Hummingbird's idle timeout (`HTTPConnectionStateHandler`, which closes kept-alive connections
/// here) starts only once the first head has been parsed and restarts with every body part, so
/// a connection that never finishes its head, or a body that trickles a byte a second, would
/// otherwise be held for ever.
///
/// The body's clock runs only while the server waits for the peer: from a `read` passing down
/// the pipeline to the `channelReadComplete` that answers it. While Hummingbird holds reads back
/// because the route has not taken what came (backpressure), the client is not to blame and the
/// clock stops.
///
/// It sits after NIO's upgrade handler, so it sees a request once the server has decided it is
/// not a WebSocket upgrade, and is removed when the connection becomes a WebSocket. It tells
/// ``OpenConnections`` when the connection waits for a request head (and may be closed to make
/// room) and when it is busy, and has it count the connection as it starts.
final class RequestReadLimits: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The limits, from ``ServerConfiguration``.
    struct Limits: Sendable {
        var headTimeout: TimeAmount
        var bodyTimeout: TimeAmount
        /// Bytes a second, averaged over each `bodyTimeout` of waiting.
        var minimumBodyRate: Int
        /// What NIO's decoder was told (named in the 431's message).
        var maxHeadSize: Int
        var maxHeaderCount: Int
    }

    /// Why a connection was cut short: logged, and counted in `/metrics`.
    enum Reason: String, Sendable, CaseIterable {
        case headTimeout = "head_timeout"
        case headTooLarge = "head_too_large"
        case malformedHead = "malformed_head"
        case bodyTooSlow = "body_too_slow"
    }

    /// What a route reading a body that was cut off for arriving too slowly gets, so that it
    /// fails rather than taking the part that came for the whole (a 408, which the connection
    /// has already answered).
    static let bodyTooSlow = HTTPError(.requestTimeout, message: "the body came too slowly")

    /// How long a connection answered 431, 400 or 408 keeps discarding what the client still
    /// sends before it is closed. Closing at once with unread bytes makes the kernel reset the
    /// connection, and a client still writing its megabyte of headers may then lose the answer.
    static let lingerTime = TimeAmount.seconds(2)

    private let limits: Limits
    private let connections: OpenConnections?
    private let metrics: ServerMetrics?
    private let logger: Logger

    private var started = false
    private var headDeadline: Scheduled<Void>?
    private var firstHeadSeen = false
    /// Between a request's head and its end.
    private var requestOpen = false
    /// Requests whose answer has not been written to its end.
    private var answersPending = 0
    private var answerStarted = false
    /// A limit was hit: nothing more is read or answered.
    private var closing = false
    private var linger: Scheduled<Void>?

    // The body's clock: waiting time and body bytes in the current window.
    private var bodyCheck: Scheduled<Void>?
    private var waitingSince: NIODeadline?
    private var windowWaited = TimeAmount.zero
    private var windowBytes = 0

    init(limits: Limits, connections: OpenConnections?, metrics: ServerMetrics?, logger: Logger) {
        self.limits = limits
        self.connections = connections
        self.metrics = metrics
        self.logger = logger
    }

    // MARK: Lifetime

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { connectionStarted(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        connectionStarted(context)
        context.fireChannelActive()
    }

    private func connectionStarted(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        if let connections, !connections.admit(context.channel) {
            closing = true
            return context.close(promise: nil)
        }
        connections?.waitingForHead(context.channel)
        headDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: limits.headTimeout) { [self] in
            headDeadline = nil
            guard !firstHeadSeen, !closing else { return }
            cut(context, .headTimeout)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimers()
        connections?.busy(context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimers()
        connections?.busy(context.channel)
        context.fireChannelInactive()
    }

    private func stopTimers() {
        headDeadline?.cancel()
        headDeadline = nil
        bodyCheck?.cancel()
        bodyCheck = nil
        linger?.cancel()
        linger = nil
    }

    // MARK: Requests in

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .head:
            if !firstHeadSeen {
                firstHeadSeen = true
                headDeadline?.cancel()
                headDeadline = nil
            }
            requestOpen = true
            answersPending += 1
            windowWaited = .zero
            windowBytes = 0
            connections?.busy(context.channel)
        case .body(let buffer):
            windowBytes += buffer.readableBytes
        case .end:
            requestOpen = false
            waitingSince = nil
            bodyCheck?.cancel()
            bodyCheck = nil
            waitForNextHeadIfDone(context)
        }
        context.fireChannelRead(data)
    }

    /// The server asks the socket for more: while a body is open, the peer is now the one
    /// keeping the request waiting. (A body that came with its head never starts the clock.)
    func read(context: ChannelHandlerContext) {
        if requestOpen, !closing {
            if waitingSince == nil { waitingSince = .now() }
            if bodyCheck == nil { scheduleBodyCheck(context, in: limits.bodyTimeout - windowWaited) }
        }
        context.read()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let since = waitingSince {
            windowWaited = windowWaited + (.now() - since)
            waitingSince = nil
        }
        context.fireChannelReadComplete()
    }

    private func scheduleBodyCheck(_ context: ChannelHandlerContext, in delay: TimeAmount) {
        bodyCheck = context.eventLoop.assumeIsolated().scheduleTask(in: max(delay, .zero)) { [self] in
            bodyCheck = nil
            checkBody(context)
        }
    }

    /// At the end of a window of waiting: a body that brought enough starts the next one; a
    /// slower one is cut off. A check that finds the server not waiting (it holds reads back)
    /// leaves the next one to the next `read`.
    private func checkBody(_ context: ChannelHandlerContext) {
        guard requestOpen, !closing, let since = waitingSince else { return }
        let now = NIODeadline.now()
        let waited = windowWaited + (now - since)
        guard waited >= limits.bodyTimeout else {
            return scheduleBodyCheck(context, in: limits.bodyTimeout - waited)
        }
        let expected = Double(limits.minimumBodyRate) * Double(limits.bodyTimeout.nanoseconds) / 1e9
        guard Double(windowBytes) >= expected else {
            return cut(context, .bodyTooSlow, answer: (.requestTimeout, "request_timeout",
                                                      "the body came slower than \(limits.minimumBodyRate) bytes a second"))
        }
        windowWaited = .zero
        windowBytes = 0
        waitingSince = now
        scheduleBodyCheck(context, in: limits.bodyTimeout)
    }

    // MARK: Answers out

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head:
            answerStarted = true
        case .body:
            break
        case .end:
            answerStarted = false
            answersPending = max(0, answersPending - 1)
            waitForNextHeadIfDone(context)
        }
        context.write(data, promise: promise)
    }

    /// A request fully read and answered: the connection now waits for the next head, and is
    /// one ``OpenConnections`` may close to make room.
    private func waitForNextHeadIfDone(_ context: ChannelHandlerContext) {
        guard !requestOpen, answersPending == 0, !closing else { return }
        connections?.waitingForHead(context.channel)
    }

    /// Graceful shutdown: a connection waiting for a request head has nothing to finish.
    /// (Hummingbird's handler does the same for kept-alive ones, but it is not in the pipeline
    /// before the first head, and such a connection would hold the shutdown until its deadline.)
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, !requestOpen, answersPending == 0, !closing {
            closing = true
            stopTimers()
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Errors

    /// A head NIO's decoder refused (too large, or not HTTP) while no request is open is
    /// answered here, 431 or 400, and the connection closed; Hummingbird would answer 400 to
    /// every kind, and on a connection's first request nobody would answer at all (the upgrade
    /// handler is still in the pipeline and ignores errors). A malformed body is Hummingbird's
    /// to handle, as before.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // What follows a cut is noise: the decoder reports each later read as data in its error state.
        guard !closing else { return }
        guard let parseError = error as? HTTPParserError, !requestOpen, answersPending == 0 else {
            return context.fireErrorCaught(error)
        }
        // A client gone mid-head leaves nobody to answer.
        guard context.channel.isActive else { return }
        if case .headerOverflow = parseError {
            cut(context, .headTooLarge, answer: (.requestHeaderFieldsTooLarge, "headers_too_large",
                                                "the request head is larger than \(limits.maxHeadSize) bytes or has more than \(limits.maxHeaderCount) fields"))
        } else {
            cut(context, .malformedHead, answer: (.badRequest, "bad_request", "the request head is not valid HTTP/1.1"))
        }
    }

    // MARK: Cutting a connection short

    /// Closes the connection for `reason`, first answering `answer` (status, the contract's
    /// error code, a message) when no answer has started; the output is then shut and what the
    /// client still sends is discarded for ``lingerTime``.
    private func cut(_ context: ChannelHandlerContext, _ reason: Reason, answer: (HTTPResponseStatus, String, String)? = nil) {
        closing = true
        stopTimers()
        waitingSince = nil
        connections?.busy(context.channel)
        metrics?.connectionCut(reason)
        logger.debug("connection closed by a limit", metadata: ["reason": .string(reason.rawValue)])
        guard let answer, !answerStarted, context.channel.isActive else {
            return context.close(promise: nil)
        }
        let (status, code, message) = answer
        let body = ByteBuffer(string: #"{"error":{"code":"\#(code)","message":"\#(message)"}}"#)
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: [
            "Connection": "close", "Content-Type": "application/json; charset=utf-8", "Content-Length": String(body.readableBytes),
        ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        // A route still reading the body must fail, not take what came for the whole.
        if reason == .bodyTooSlow { context.fireErrorCaught(Self.bodyTooSlow) }
        written.futureResult.assumeIsolated().whenComplete { [self] _ in
            context.close(mode: .output, promise: nil)
            linger = context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTime) { context.close(promise: nil) }
        }
    }
}
