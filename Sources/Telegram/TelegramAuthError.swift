/// Why Telegram data was refused; `code` is a stable snake_case string for API errors.
public struct TelegramAuthError: Error, Sendable, Equatable {
    /// The reason, stable across releases so that clients can match on it.
    public enum Code: String, Sendable {
        case malformed
        case missingHash = "missing_hash"
        case invalidHash = "invalid_hash"
        case missingSignature = "missing_signature"
        case invalidSignature = "invalid_signature"
        case missingAuthDate = "missing_auth_date"
        case expired
        case invalidUser = "invalid_user"
    }

    public let code: Code
    /// A sentence for logs and developers; never shown as proof of anything.
    public let message: String

    /// Creates an error with a code and a human-readable explanation.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
