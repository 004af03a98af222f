/// The secret Telegram sends with every webhook delivery, in `X-Telegram-Bot-Api-Secret-Token`.
///
/// ```swift
/// let secret = WebhookSecret.generate()
/// try await client.setWebhook(url: publicURL + "/telegram/webhook", secret: secret)
/// // in the route:
/// guard secret.accepts(request.headers[WebhookSecret.headerName]) else { return 401 }
/// ```
///
/// A new secret each start is fine: `setWebhook` replaces the old one at Telegram.
public struct WebhookSecret: Sendable {
    /// The header carrying the secret on each delivery.
    public static let headerName = "X-Telegram-Bot-Api-Secret-Token"
    /// 1–256 characters of `A-Z a-z 0-9 _ -`, as Telegram allows.
    public let token: String

    /// Wraps a known secret.
    public init(token: String) {
        self.token = token
    }

    /// A random secret: 32 bytes from the system's generator, 64 hex characters.
    public static func generate() -> WebhookSecret {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return WebhookSecret(token: Hex.encode(bytes))
    }

    /// Whether a delivery's header holds this secret; a missing header is refused. The
    /// comparison takes the same time wherever a forged value first differs.
    public func accepts(_ headerValue: String?) -> Bool {
        guard let headerValue else { return false }
        return ConstantTime.isEqual(Array(headerValue.utf8), Array(token.utf8))
    }
}
