import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// Each accepted TCP connection: HTTP/1.1 served by Hummingbird's router, or, for a request to
/// `/ws` that asks for it, an upgrade to a ``WebSocketConnection`` in the channel's pipeline.
///
/// An upgraded connection's task ends at once: the connection lives in its channel handler,
/// so an idle WebSocket keeps no task (and no task's async stack) alive. Hummingbird's own
/// WebSocket server keeps one per connection; this is the same upgrade, set up the same way
/// (`HTTP1WebSocketUpgradeChannel`), with the task left out.
///
/// Until a connection becomes a WebSocket, ``RequestReadLimits`` holds its requests to their
/// deadlines and sizes, and counts it against the connection limit.
struct WebSocketServerChannel: ServerChildChannel, HTTPChannelHandler {
    /// How a connection's first request went.
    enum Negotiated: Sendable {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// A WebSocket upgrade of a path other than `/ws`, or a malformed one: answered 400.
        case refusedUpgrade(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case webSocket
    }

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    /// Makes the handler of an upgraded connection: its channel, the upgrade request, and
    /// whether permessage-deflate was agreed.
    typealias MakeConnection = @Sendable (any Channel, HTTPRequestHead, Bool) -> WebSocketConnection

    /// Where clients upgrade (documented in /openapi.json as `GET /ws`).
    static let webSocketPath = "/ws"

    let responder: HTTPChannelHandler.Responder
    private let http1: HTTP1Channel.Configuration
    private let readLimits: RequestReadLimits.Limits
    private let connections: OpenConnections?
    private let metrics: ServerMetrics?
    private let makeConnection: MakeConnection
    /// Whether the connection came over TLS (requests' scheme is then `https`).
    private let secure: Bool

    /// `http1` gives the request decoder's limits and the idle timeout of kept-alive
    /// connections; `readLimits` the rest of ``RequestReadLimits``.
    init(responder: @escaping HTTPChannelHandler.Responder, http1: HTTP1Channel.Configuration = .init(),
         readLimits: RequestReadLimits.Limits, connections: OpenConnections? = nil, metrics: ServerMetrics? = nil,
         secure: Bool = false, makeConnection: @escaping MakeConnection) {
        self.responder = Self.redirectingLateUpgrades(responder)
        self.http1 = http1
        self.readLimits = readLimits
        self.connections = connections
        self.metrics = metrics
        self.makeConnection = makeConnection
        self.secure = secure
    }

    /// The size of a connection's first read buffer. NIO keeps the buffer it reads into
    /// between reads and reuses it, growing it for larger reads and never shrinking it, so the
    /// first one's size is what every idle WebSocket holds for its whole life: NIO's default
    /// 2 KB was a third of an idle socket's memory. A request head larger than this takes a
    /// second read into a buffer twice the size (kept too); an upgrade request with its token
    /// fits in this one.
    static let firstReadBufferSize = 512

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.syncOptions?.setOption(
                ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: Self.firstReadBufferSize, maximum: 65536))
            let upgradeAttempted = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let makeConnection = self.makeConnection
            let upgrader = NIOTypedWebSocketServerUpgrader<Negotiated>(
                maxFrameSize: WebSocketConnection.maxMessageSize,
                // The connection answers the decoder's errors itself (``WebSocketConnection/errorCaught(context:error:)``).
                enableAutomaticErrorHandling: false,
                shouldUpgrade: { channel, head in
                    upgradeAttempted.value = true
                    guard head.uri == Self.webSocketPath || head.uri.hasPrefix(Self.webSocketPath + "?") else {
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                    var headers = HTTPHeaders()
                    if PerMessageDeflate.offered(in: head.headers) { headers.add(name: "Sec-WebSocket-Extensions", value: PerMessageDeflate.response) }
                    return channel.eventLoop.makeSucceededFuture(headers)
                },
                upgradePipelineHandler: { channel, head in
                    channel.eventLoop.makeCompletedFuture {
                        // A WebSocket has its own limits (the sign-in deadline, the heartbeat, the message caps).
                        let httpLimits = try channel.pipeline.syncOperations.handler(type: RequestReadLimits.self)
                        channel.pipeline.syncOperations.removeHandler(httpLimits, promise: nil)
                        // NIO's decoder only while a frame is read (``WebSocketFrameReader``), not for the socket's life;
                        // no frame encoder (the connection writes frames as bytes).
                        let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
                        channel.pipeline.syncOperations.removeHandler(decoder, promise: nil)
                        let encoder = try channel.pipeline.syncOperations.handler(type: WebSocketFrameEncoder.self)
                        channel.pipeline.syncOperations.removeHandler(encoder, promise: nil)
                        try channel.pipeline.syncOperations.addHandler(WebSocketFrameReader(maxFrameSize: WebSocketConnection.maxMessageSize))
                        try channel.pipeline.syncOperations.addHandler(makeConnection(channel, head, PerMessageDeflate.offered(in: head.headers)))
                        return .webSocket
                    }
                }
            )
            let http1 = self.http1
            let secure = self.secure
            let notUpgrading = NIOTypedHTTPServerUpgradeConfiguration<Negotiated>(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: secure))
                        try channel.pipeline.syncOperations.addHandlers(http1.additionalChannelHandlers())
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(idleTimeout: http1.idleTimeout.map { .init($0) }, logger: logger))
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        return upgradeAttempted.value ? .refusedUpgrade(asyncChannel) : .http(asyncChannel)
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Negotiated>(upgradeConfiguration: notUpgrading)
            configuration.enablePipelining = false  // NIOAsyncChannel serialises HTTP requests
            configuration.enableErrorHandling = false  // Hummingbird answers errors
            configuration.enableResponseHeaderValidation = false  // swift-http-types validates them
            configuration.decoderConfiguration.maxHeaderFieldSize = http1.httpDecoder.maxHeaderFieldSize
            configuration.decoderConfiguration.maxHeaderListSize = http1.httpDecoder.maxHeaderListSize
            configuration.decoderConfiguration.maxHeaderFieldCount = http1.httpDecoder.maxHeaderFieldCount
            let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            // Last for now, after the upgrade handler; Hummingbird's handlers go after it once the
            // first request is known not to be an upgrade.
            try channel.pipeline.syncOperations.addHandler(
                RequestReadLimits(limits: self.readLimits, connections: self.connections, metrics: self.metrics, logger: logger))
            return Value(negotiated: negotiated, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http(let http1):
                await handleHTTP(asyncChannel: http1, logger: logger)
            case .refusedUpgrade(let http1):
                try await http1.executeThenClose { _, outbound in
                    try await outbound.write(contentsOf: [
                        .head(HTTPResponse(status: .badRequest, headerFields: [.connection: "close", .contentLength: "0"])), .end(nil),
                    ])
                }
            case .webSocket:
                return
            }
        } catch {
            logger.debug("connection ended during its first request", metadata: ["error.type": "\(error)"])
        }
    }

    /// NIO upgrades only on a connection's first request; a later request asking for
    /// WebSocket is redirected to the same address with the connection closed, so the client
    /// asks again on a new one (as Hummingbird's WebSocket server does).
    private static func redirectingLateUpgrades(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        struct RedirectThenClose: Error {}
        return { request, responseWriter, channel in
            guard request.headers[.upgrade]?.lowercased() == "websocket" else {
                return try await responder(request, responseWriter, channel)
            }
            let location = request.uri.query.map { request.uri.path + "?" + $0 } ?? request.uri.path
            try await responseWriter.writeResponse(HTTPResponse(status: .temporaryRedirect, headerFields: [.connection: "close", .location: location]))
            throw RedirectThenClose()
        }
    }
}

/// NIO's upgrader puts its frame encoder in every upgraded channel and does not declare it
/// removable, though it keeps nothing a removal could lose (a header buffer it reuses). The
/// connection writes its frames as bytes, so the encoder is taken out the way NIO takes out any
/// removable handler, and an idle socket does not keep it and its context (~210 bytes).
extension WebSocketFrameEncoder: @retroactive RemovableChannelHandler {}
