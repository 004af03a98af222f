import Foundation

/// What `tenda serve` was told: where to listen and how to talk to Telegram.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The bot's token; without it, sign-in with Telegram initData is refused.
    public var botToken: String?
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
    /// The MiniApp's folder (`web/`), served at `/`; nil serves no pages.
    public var webRoot: String? = nil
    /// Chart.js for the MiniApp's charts (Debian's `libjs-chart.js`), served at `/vendor/chart.js`.
    public var chartJSFile: String? = "/usr/share/javascript/chart.js/chart.min.js"
    /// How often every WebSocket is pinged; a peer silent for a whole beat is closed.
    public var heartbeatInterval: Duration = .seconds(25)
    /// How long a new WebSocket may take to sign in before it is closed with 1008.
    public var webSocketSignInDeadline: Duration = .seconds(10)

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

/// Who may read `/metrics` (CONTRACT.md: "anyone (metrics: configurable)").
public enum MetricsAccess: String, Sendable, CaseIterable {
    /// Anyone who can reach the port: for a scraper on a private network.
    case anyone = "public"
    /// Only a signed-in owner's bearer token.
    case owner
    /// Not served at all (404).
    case off
}
