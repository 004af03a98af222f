import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Realtime
import ServiceLifecycle
import Shop

/// Builds the HTTP and WebSocket server over a shop: used by `tenda serve` and by the tests.
///
/// The hub runs as one of the application's services, so it starts and stops with the server.
public func buildApplication(shop: Shop, hub: Hub, configuration: ServerConfiguration, commandLine: (any CommandLineRunner)? = nil,
                             telegramWebhook: TelegramWebhook? = nil, services: [any Service] = [],
                             logger: Logger) -> some ApplicationProtocol {
    let connections = OpenConnections(limit: configuration.maxConnections, logger: logger)
    let metrics = ServerMetrics(connections: connections)
    let router = Router(context: AppRequestContext.self)
    // Outermost, so every compressible answer (API, documents, the MiniApp's files) passes through it.
    router.middlewares.add(CompressionMiddleware())
    // First: the MiniApp's files need no token, no CORS and no rate limit; anything else falls through.
    router.middlewares.add(WebAppRoutes(webRoot: configuration.webRoot, chartJSFile: configuration.chartJSFile,
                                        botId: configuration.botToken.flatMap { $0.split(separator: ":").first.flatMap { Int64($0) } }))
    router.middlewares.add(OriginMiddleware(allowedOrigins: configuration.allowedOrigins))
    router.middlewares.add(MetricsMiddleware(metrics: metrics))
    router.middlewares.add(ErrorMiddleware())
    router.middlewares.add(AuthMiddleware(shop: shop))
    router.middlewares.add(RateLimitMiddleware(
        perUser: RateLimiter(burst: configuration.userRateLimit.burst, perSecond: configuration.userRateLimit.perSecond),
        perAddress: RateLimiter(burst: configuration.addressRateLimit.burst, perSecond: configuration.addressRateLimit.perSecond)))
    router.get("/health") { _, _ -> JSON<Health> in
        JSON(Health(status: "ok", feedHead: shop.environment.head, hubPosition: hub.position, subscribers: hub.subscriberCount))
    }
    if configuration.metricsAccess != .off {
        router.get("/metrics") { _, context -> Response in
            if configuration.metricsAccess == .owner {
                guard context.principal.userId != nil else { throw APIError(.unauthorized, "not_authenticated", "metrics are for the owner: sign in") }
                guard try shop.me(as: context.principal).role == .owner else { throw APIError(.forbidden, "forbidden", "metrics are for the owner") }
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(string: await metrics.render(hub: hub, environment: shop.environment))))
        }
    }
    AuthRoutes(shop: shop, configuration: configuration).add(to: router)
    ShopRoutes(shop: shop).add(to: router)
    OrderAndContractRoutes(shop: shop).add(to: router)
    AccountRoutes(shop: shop).add(to: router)
    ReportRoutes(shop: shop).add(to: router)
    ChangeRoutes(shop: shop, hub: hub).add(to: router)
    MediaRoutes(shop: shop).add(to: router)
    CommandRoutes(shop: shop, commandLine: commandLine).add(to: router)
    TelegramWebhookRoutes(webhook: telegramWebhook).add(to: router)
    DocumentationRoutes().add(to: router)

    let heartbeat = Heartbeat(interval: configuration.heartbeatInterval)
    let http1 = HTTP1Channel.Configuration(
        idleTimeout: TimeAmount(configuration.idleTimeout),
        httpDecoderConfiguration: .init(maxHeaderFieldSize: configuration.maxRequestHeadSize, maxHeaderListSize: configuration.maxRequestHeadSize,
                                        maxHeaderFieldCount: configuration.maxHeaderCount))
    let readLimits = RequestReadLimits.Limits(
        headTimeout: TimeAmount(configuration.requestHeadTimeout), bodyTimeout: TimeAmount(configuration.requestBodyTimeout),
        minimumBodyRate: configuration.minimumBodyRate, maxHeadSize: configuration.maxRequestHeadSize, maxHeaderCount: configuration.maxHeaderCount)
    return Application(
        router: router,
        server: HTTPServerBuilder { responder in
            WebSocketServerChannel(responder: responder, http1: http1, readLimits: readLimits, connections: connections,
                                   metrics: metrics) { channel, request, deflate in
                let token = URLComponents(string: request.uri)?.queryItems?.first { $0.name == "token" }?.value
                let session = WebSocketSession(shop: shop, hub: hub, commandLine: commandLine, queryToken: token,
                                               connectionId: UUID().uuidString)
                return WebSocketConnection(eventLoop: channel.eventLoop, session: session, deflate: deflate, heartbeat: heartbeat, metrics: metrics,
                                           signInDeadline: TimeAmount(configuration.webSocketSignInDeadline),
                                           messageTimeout: TimeAmount(configuration.webSocketMessageTimeout))
            }
        },
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tenda"),
        services: [HubService(hub: hub), heartbeat] + services,
        logger: logger)
}

struct Health: Encodable, Sendable {
    let status: String
    let feedHead: UInt64
    let hubPosition: UInt64
    let subscribers: Int
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
