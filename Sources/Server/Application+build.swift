import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Realtime
import Replication
import ServiceLifecycle
import Shop
import Store

/// Builds the HTTP and WebSocket server over a shop: used by `tenda serve` and by the tests.
///
/// The hub runs as one of the application's services, so it starts and stops with the server.
/// The composition root (`TendaApp`) wraps what this returns, so its type is spelled out.
///
/// With a `certificate` (made by the composition root from ``ServerConfiguration/tls``, before
/// the store is opened, so a bad pair stops `serve` at once), the port speaks only TLS, answers
/// carry `Strict-Transport-Security`, the certificate is reloaded on SIGHUP and when its files
/// change, and ``ServerConfiguration/httpRedirectPort`` redirects plain HTTP to it.
///
/// With `replication` (ARCHITECTURE.md, "Beyond one machine"), a primary also answers its
/// replicas (``ReplicationPeerMiddleware``, ``ReplicationRoutes``); a replica forwards every
/// write to its primary, REST (``ReplicaForwardingMiddleware``) and socket commands
/// (``CommandBridge``) alike, through one ``WriteForwarder``.
public func buildApplication(shop: Shop, hub: Hub, configuration: ServerConfiguration, commandLine: (any CommandLineRunner)? = nil,
                             telegramWebhook: TelegramWebhook? = nil, certificate: ServingCertificate? = nil, services: [any Service] = [],
                             replication: ReplicationSetup? = nil, logger: Logger) -> Application<RouterResponder<AppRequestContext>> {
    // A replica's one way to write: the primary, then wait for its own copy to catch up.
    var forwarder: WriteForwarder?
    if let replication, case .replica(let primary, let key) = replication.role {
        forwarder = WriteForwarder(link: PrimaryLink(primary: primary, key: key), catchUp: replication.catchUp ?? PollingFeedHead(shop: shop), logger: logger)
        forwarder?.catchUpTimeout = replication.catchUpTimeout
    }
    let bridge = CommandBridge(shop: shop, commandLine: commandLine, forwarder: forwarder)
    let connections = OpenConnections(limit: configuration.maxConnections, logger: logger)
    let metrics = ServerMetrics(connections: connections)
    let router = Router(context: AppRequestContext.self)
    if let certificate {
        router.middlewares.add(StrictTransportSecurityMiddleware(maxAge: certificate.settings.strictTransportSecurityMaxAge))
    }
    // Outermost, so every compressible answer (API, documents, the MiniApp's files) passes through it.
    router.middlewares.add(CompressionMiddleware())
    // First: the MiniApp's files need no token, no CORS and no rate limit; anything else falls through.
    router.middlewares.add(WebAppRoutes(webRoot: configuration.webRoot, chartJSFile: configuration.chartJSFile,
                                        botId: configuration.botToken.flatMap { $0.split(separator: ":").first.flatMap { Int64($0) } }))
    router.middlewares.add(OriginMiddleware(allowedOrigins: configuration.allowedOrigins))
    router.middlewares.add(MetricsMiddleware(metrics: metrics))
    if case .primary(let key) = replication?.role {
        // Outside ErrorMiddleware: the answers it makes of errors carry Feed-Head too.
        router.middlewares.add(ReplicationPeerMiddleware(key: key, shop: shop))
    }
    router.middlewares.add(ErrorMiddleware())
    router.middlewares.add(ClientAddressMiddleware(trustedProxies: configuration.trustedProxies))
    if let forwarder {
        // Before AuthMiddleware: the primary judges tokens, roles and rate limits of writes.
        router.middlewares.add(ReplicaForwardingMiddleware(forwarder: forwarder))
    }
    router.middlewares.add(AuthMiddleware(shop: shop))
    router.middlewares.add(RouteTableMiddleware(operations: OpenAPIOperations.all) { $0.principal.userId != nil })
    router.middlewares.add(RateLimitMiddleware(
        perUser: RateLimiter(burst: configuration.userRateLimit.burst, perSecond: configuration.userRateLimit.perSecond),
        perAddress: RateLimiter(burst: configuration.addressRateLimit.burst, perSecond: configuration.addressRateLimit.perSecond)))
    let replicationStatus = replication?.status
    router.get("/health") { request, context -> Response in
        let health = Health(storage: shop.storage, feedHead: shop.feedHead, epoch: shop.epoch, hubPosition: hub.position,
                            subscribers: hub.subscriberCount, replication: replicationStatus)
        // A replica too far behind, or whose following stopped, answers 503: a load balancer takes it out.
        let status: HTTPResponse.Status = replicationStatus.map { $0.isFit } == false ? .serviceUnavailable : .ok
        var response = try JSON(health).response(from: request, context: context)
        response.status = status
        return response
    }
    logStorageChanges(of: shop, to: logger)
    if configuration.metricsAccess != .off {
        router.get("/metrics") { _, context -> Response in
            if configuration.metricsAccess == .owner {
                guard context.principal.userId != nil else { throw APIError(.unauthorized, "not_authenticated", "metrics are for the owner: sign in") }
                guard try shop.me(as: context.principal).role == .owner else { throw APIError(.forbidden, "forbidden", "metrics are for the owner") }
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(string: await metrics.render(hub: hub, shop: shop, replication: replicationStatus))))
        }
    }
    AuthRoutes(shop: shop, configuration: configuration).add(to: router)
    ShopRoutes(shop: shop).add(to: router)
    OrderAndContractRoutes(shop: shop).add(to: router)
    AccountRoutes(shop: shop).add(to: router)
    ReportRoutes(shop: shop).add(to: router)
    ChangeRoutes(shop: shop, hub: hub).add(to: router)
    MediaRoutes(shop: shop).add(to: router)
    CommandRoutes(bridge: bridge).add(to: router)
    if case .primary = replication?.role {
        ReplicationRoutes(shop: shop, tokenSecretFile: replication?.tokenSecretFile).add(to: router)
    }
    TelegramWebhookRoutes(webhook: telegramWebhook).add(to: router)
    DocumentationRoutes().add(to: router)

    let heartbeat = Heartbeat(interval: configuration.heartbeatInterval)
    let sessionServices = WebSocketSession.Services(shop: shop, hub: hub, bridge: bridge)
    let connectionSettings = WebSocketConnection.Settings(
        signInDeadline: TimeAmount(configuration.webSocketSignInDeadline), messageTimeout: TimeAmount(configuration.webSocketMessageTimeout),
        heartbeat: heartbeat, metrics: metrics)
    let http1 = HTTP1Channel.Configuration(
        idleTimeout: TimeAmount(configuration.idleTimeout),
        httpDecoderConfiguration: .init(maxHeaderFieldSize: configuration.maxRequestHeadSize, maxHeaderListSize: configuration.maxRequestHeadSize,
                                        maxHeaderFieldCount: configuration.maxHeaderCount))
    let readLimits = RequestReadLimits.Limits(
        headTimeout: TimeAmount(configuration.requestHeadTimeout), bodyTimeout: TimeAmount(configuration.requestBodyTimeout),
        minimumBodyRate: configuration.minimumBodyRate, maxHeadSize: configuration.maxRequestHeadSize, maxHeaderCount: configuration.maxHeaderCount)
    // With or without TLS: SIGHUP (a service manager's reload) never ends the server.
    var tlsServices: [any Service] = [CertificateReloadService(certificate: certificate, logger: logger)]
    let tlsPort = BoundPort(configuration.port)
    if certificate != nil, let redirectPort = configuration.httpRedirectPort {
        tlsServices.append(HTTPSRedirect(publicURL: configuration.publicURL, tlsPort: tlsPort)
            .application(host: configuration.host, port: redirectPort, logger: logger))
    }
    return Application(
        router: router,
        server: HTTPServerBuilder { responder in
            let plain = WebSocketServerChannel(responder: responder, http1: http1, readLimits: readLimits, connections: connections,
                                               metrics: metrics, secure: certificate != nil) { channel, request, deflate in
                let query = URLComponents(string: request.uri)?.queryItems ?? []
                let token = query.first { $0.name == "token" }?.value
                // `?since=N&epoch=E`: where the client's picture stands, for its first subscribe.
                let resume = WebSocketSession.Resume(since: query.first { $0.name == "since" }?.value.flatMap { UInt64($0) },
                                                     epoch: query.first { $0.name == "epoch" }?.value)
                // The upgrade request says who is asking, as it does for REST: its commands are audited with it.
                let client = configuration.trustedProxies.client(
                    peer: channel.remoteAddress?.ipAddress, forwardedFor: request.headers["X-Forwarded-For"],
                    forwardedProto: request.headers.first(name: "X-Forwarded-Proto"))
                let session = WebSocketSession(services: sessionServices, queryToken: token, queryResume: resume,
                                               clientAddress: client.address,
                                               userAgent: request.headers.first(name: "User-Agent"))
                return WebSocketConnection(eventLoop: channel.eventLoop, session: session, deflate: deflate, settings: connectionSettings)
            }
            guard let certificate else { return plain }
            return TLSServerChannel(base: plain, certificate: certificate, handshakeTimeout: TimeAmount(certificate.settings.handshakeTimeout))
        },
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tenda"),
        services: [HubService(hub: hub), heartbeat] + tlsServices + services,
        onServerRunning: { channel in
            if let port = channel.localAddress?.port { tlsPort.set(port) }
        },
        logger: logger)
}

/// `GET /health`. 200 while the process serves: a full store still serves reads, the sockets
/// and the bot, and a restart would not make room, so a probe must not restart or unroute it.
/// Monitoring alerts on `"storage": "full"` (or `status` other than `ok`). A replica answers
/// 503 (`status` `behind` or `stopped`) while it is too far behind its primary or has stopped
/// following it, so that a load balancer sends its clients elsewhere.
struct Health: Encodable, Sendable {
    /// `ok`; `degraded` while writes are refused for want of room; a replica's `behind` or `stopped`.
    let status: String
    /// `ok`, or `full` from the first write refused for want of room until a write succeeds again.
    let storage: String
    /// When the store turned full (RFC 3339); absent while ok.
    let storageFullSince: String?
    let feedHead: UInt64
    /// The history the feed's sequences belong to (new on every restore; a replica's is its primary's).
    let epoch: String
    let hubPosition: UInt64
    let subscribers: Int
    /// How the feed's travel between nodes stands; absent on a single box.
    let replication: ReplicationHealth?

    init(storage: StorageCondition, feedHead: UInt64, epoch: String, hubPosition: UInt64, subscribers: Int, replication: ReplicationStatus?) {
        let report = replication?.report
        if report?.stopped != nil {
            status = "stopped"
        } else if let replication, !replication.isFit {
            status = "behind"
        } else {
            status = storage.isFull ? "degraded" : "ok"
        }
        self.storage = storage.isFull ? "full" : "ok"
        storageFullSince = storage.since.map { ISO8601DateFormatter().string(from: $0) }
        self.feedHead = feedHead
        self.epoch = epoch
        self.hubPosition = hubPosition
        self.subscribers = subscribers
        self.replication = report.map(ReplicationHealth.init)
    }
}

/// `/health`'s `replication`: the node's role, NATS's state and the lag (see ``ReplicationStatus/Report``).
struct ReplicationHealth: Encodable, Sendable {
    let role: String
    let nats: String
    /// A primary: the last feed sequence stored in the stream; a replica: the last applied.
    let position: UInt64
    let primaryHead: UInt64?
    let primaryReachable: Bool?
    let lagSequences: UInt64
    let lagMilliseconds: UInt64
    let lastApplyDelayMilliseconds: UInt64?
    let stopped: String?
    let lastError: String?

    init(_ report: ReplicationStatus.Report) {
        role = report.role.rawValue
        nats = report.nats
        position = report.position
        primaryHead = report.primaryHead
        primaryReachable = report.primaryReachable
        lagSequences = report.lagSequences
        lagMilliseconds = report.lagMilliseconds
        lastApplyDelayMilliseconds = report.lastApplyDelayMilliseconds
        stopped = report.stopped
        lastError = report.lastError
    }
}

/// Says once in the log that the store is full (not once per refused request), and once
/// that writes are taken again.
func logStorageChanges(of shop: Shop, to logger: Logger) {
    shop.observeStorage { condition in
        if condition.isFull {
            logger.warning("storage full: writes are refused with 507 storage_full until there is room; reads, sockets and the bot go on",
                           metadata: ["reason": "\(condition.reason ?? "")"])
        } else {
            logger.notice("storage: there is room again; writes are taken", metadata: ["refusedWhileFull": "\(condition.refusals)"])
        }
    }
}

/// The hub's lifetime as a service: it follows the change feed until graceful shutdown.
struct HubService: Service {
    let hub: Hub

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await hub.run()
        }
    }
}
