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
    /// Request bodies above this many bytes are refused with 413.
    public var maxBodySize: Int

    public init(host: String = "127.0.0.1", port: Int = 8080, botToken: String? = nil, initDataMaxAge: TimeInterval = 86_400,
                publicURL: String? = nil, maxBodySize: Int = 1 << 20) {
        self.host = host
        self.port = port
        self.botToken = botToken
        self.initDataMaxAge = initDataMaxAge
        self.publicURL = publicURL
        self.maxBodySize = maxBodySize
    }
}
