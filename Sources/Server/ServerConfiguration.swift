import Foundation
import Telegram

/// What `tenda serve` was told: where to listen and how to talk to Telegram.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The bot's token: initData's `hash` is checked with it. Without it and without
    /// ``botId``, sign-in with Telegram initData is refused.
    public var botToken: String?
    /// The id of a bot whose token this server does not hold (`--bot-id`): initData from its
    /// MiniApp is accepted on Telegram's Ed25519 `signature` instead of the `hash`.
    public var botId: Int64? = nil
    /// Which of Telegram's published keys checks that signature: production unless the MiniApp
    /// runs in Telegram's test environment (`--telegram-test-environment`).
    public var telegramEnvironment: ThirdPartyInitDataVerifier.Environment = .production
    /// Reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed (`--trusted-proxy`).
    public var trustedProxies: TrustedProxies = .none
    /// Oldest initData accepted, in seconds; 0 accepts any age (for recorded vectors).
    public var initDataMaxAge: TimeInterval
    /// The address people open the MiniApp at (used for login links).
    public var publicURL: String?
    /// Browser origins (the MiniApp's) allowed to call the API; "*" for any.
    public var allowedOrigins: Set<String>
    /// Requests a signed-in user may burst, then per second.
    public var userRateLimit: (burst: Double, perSecond: Double)
    /// Requests an address without a token may burst, then per second.
    public var addressRateLimit: (burst: Double, perSecond: Double)
    /// Who may read `/metrics`.
    public var metricsAccess: MetricsAccess = .anyone
    /// A folder served at `/` instead of the MiniApp carried in the executable (`--web-root`,
    /// for development: its files are read on each request); nil serves the embedded `web/`.
    public var webRoot: String? = nil
    /// A Chart.js file served at `/vendor/chart.js` instead of the copy carried in the
    /// executable (Debian's `libjs-chart.js` of the building machine); nil serves that copy.
    public var chartJSFile: String? = nil
    /// How often every WebSocket is pinged; a peer silent for a whole beat is closed.
    public var heartbeatInterval: Duration = .seconds(25)
    /// How long a new WebSocket may take to sign in before it is closed with 1008.
    public var webSocketSignInDeadline: Duration = .seconds(10)
    /// How long a WebSocket message sent in fragments may take from its first fragment to its
    /// last before the socket is closed with 1008 (pings between fragments do not extend it).
    public var webSocketMessageTimeout: Duration = .seconds(10)

    // Limits on misbehaving connections (README, "Connections that misbehave").

    /// A new connection that has not sent a complete request head by then is closed, without an
    /// answer. Later requests on a kept-alive connection fall under ``idleTimeout``.
    public var requestHeadTimeout: Duration = .seconds(10)
    /// A kept-alive HTTP connection without a new request head for this long is closed
    /// (Hummingbird's idle timeout); a connection mid-request or mid-answer is never idle.
    public var idleTimeout: Duration = .seconds(30)
    /// While the server waits for a request body, every `requestBodyTimeout` of waiting must
    /// bring at least ``minimumBodyRate`` bytes a second of it, or the request is answered 408
    /// and the connection closed. Time the server itself holds reads back does not count.
    public var requestBodyTimeout: Duration = .seconds(10)
    /// Bytes per second, averaged over each ``requestBodyTimeout`` of waiting.
    public var minimumBodyRate: Int = 1024
    /// The largest request head, request line and header fields together, in bytes; a larger
    /// one is answered 431 and the connection closed. A MiniApp's requests are under 2 KiB.
    public var maxRequestHeadSize: Int = 32 << 10
    /// The most header fields a request may have (browsers send about 20); more is answered 431.
    public var maxHeaderCount: Int = 100
    /// Open connections, HTTP and WebSocket together, at most (``defaultMaxConnections``).
    public var maxConnections: Int = ServerConfiguration.defaultMaxConnections

    /// HTTPS on ``port`` (`--tls-cert`, `--tls-key`); nil serves plain HTTP.
    public var tls: TLSSettings? = nil
    /// With ``tls``, a plain-HTTP port whose every request is redirected to HTTPS
    /// (`--http-redirect-port`); nil opens none.
    public var httpRedirectPort: Int? = nil

    public init(host: String = "127.0.0.1", port: Int = 8080, botToken: String? = nil, initDataMaxAge: TimeInterval = 86_400,
                publicURL: String? = nil, allowedOrigins: Set<String> = [],
                userRateLimit: (burst: Double, perSecond: Double) = (200, 50),
                addressRateLimit: (burst: Double, perSecond: Double) = (60, 10)) {
        self.host = host
        self.port = port
        self.botToken = botToken
        self.initDataMaxAge = initDataMaxAge
        self.publicURL = publicURL
        self.allowedOrigins = allowedOrigins
        self.userRateLimit = userRateLimit
        self.addressRateLimit = addressRateLimit
    }
}

extension ServerConfiguration {
    /// Descriptors kept for what the server opens besides client connections: the store's
    /// files and lock, the data folder's lock, the listening socket, each event loop's epoll,
    /// event and timer descriptors, the Bot API client's connections, backups and served files.
    public static let reservedFileDescriptors = 128

    /// The default connection cap: the process's open-file limit (`ulimit -n`, systemd's
    /// `LimitNOFILE`) less ``reservedFileDescriptors``; 896 under Debian's usual soft limit of
    /// 1,024, 19,872 under a limit of 20,000.
    ///
    /// Each connection is a file descriptor. Without a cap, a flood of connections would run the
    /// process out of descriptors: `accept` would fail with `EMFILE` (NIO then backs off), and so
    /// would the store, the bot and everything else that opens a file. Past the cap, the
    /// connection that has waited longest for a request head is closed to make room, or the new
    /// one when every connection is busy (``OpenConnections``).
    /// Memory is rarely the first limit: an idle WebSocket costs about 7 KB. For more live
    /// dashboards, raise the open-file limit (or pass `--max-connections`).
    public static var defaultMaxConnections: Int {
        var limit = rlimit()
        #if os(Linux)
        let found = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0
        #else
        let found = getrlimit(RLIMIT_NOFILE, &limit) == 0
        #endif
        guard found else { return 1_024 - reservedFileDescriptors }
        // Unlimited (`RLIM_INFINITY`, the largest value) still stops at the kernel's `nr_open`, 1,048,576 by default.
        let descriptors = Int(min(limit.rlim_cur, 1 << 20))
        return max(64, descriptors - reservedFileDescriptors)
    }
}

/// Who may read `/metrics` (CONTRACT.md: "anyone (metrics: configurable)").
public enum MetricsAccess: String, Sendable, CaseIterable {
    /// Anyone who can reach the port: for a scraper on a private network.
    case anyone = "public"
    /// Only a signed-in owner's bearer token.
    case owner
    /// Not served at all (404).
    case off
}
