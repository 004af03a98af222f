import Crypto
import Foundation

/// Fields Telegram signs with `hash`: the HMAC-SHA256 of every other field's data-check-string,
/// under a key derived from the bot token, with an `auth_date` no older than `maxAge`.
///
/// The MiniApp's `initData` and the Login Widget are signed this way, each with its own key
/// (``HashCheck/initDataKey(botToken:)``, ``HashCheck/loginWidgetKey(botToken:)``), so both
/// verifiers check through this one.
struct HashSignedFields: Sendable {
    private let key: SymmetricKey
    /// Seconds; 0 means no limit.
    private let maxAge: TimeInterval

    /// It is a programmer error to pass a negative `maxAge`.
    init(key: SymmetricKey, maxAge: TimeInterval) {
        AuthDate.checkMaxAge(maxAge)
        self.key = key
        self.maxAge = maxAge
    }

    /// The signing date, once `hash` is found to sign every other field (including ones
    /// Telegram may add later) and `auth_date` to be recent enough. Nothing else is read, so
    /// the signature is checked before any field is interpreted.
    func verify(_ fields: [String: String], now: Date) throws(TelegramAuthError) -> Date {
        guard let hash = fields["hash"] else {
            throw TelegramAuthError(.missingHash, "The data has no hash.")
        }
        try HashCheck.verify(hash: hash, dataCheckString: DataCheckString.make(fields, excluding: ["hash"]), key: key)
        return try AuthDate.verified(in: fields, now: now, maxAge: maxAge)
    }
}
