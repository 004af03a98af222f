import Crypto
import Foundation

/// Checks MiniApp `initData` against the bot token, as Telegram's documentation prescribes.
///
/// ```swift
/// let verifier = InitDataVerifier(botToken: token, maxAge: 86_400)
/// let launch = try verifier.verify(body.initData)
/// ```
public struct InitDataVerifier: Sendable {
    private let key: SymmetricKey
    private let maxAge: TimeInterval

    /// Derives the verification key from `botToken`; `maxAge` is in seconds, 0 meaning no limit.
    ///
    /// It is a programmer error to pass a negative `maxAge`.
    public init(botToken: String, maxAge: TimeInterval) {
        AuthDate.checkMaxAge(maxAge)
        self.key = HashCheck.initDataKey(botToken: botToken)
        self.maxAge = maxAge
    }

    /// Returns the launch data when `hash` matches and `auth_date` is recent enough.
    ///
    /// `rawInitData` is the query string exactly as `Telegram.WebApp.initData` gave it.
    /// The signature is checked before any field is interpreted.
    public func verify(
        _ rawInitData: String, now: Date = Date()
    ) throws(TelegramAuthError) -> WebAppInitData {
        var fields = try QueryString.decode(rawInitData)
        guard let hash = fields.removeValue(forKey: "hash") else {
            throw TelegramAuthError(.missingHash, "The data has no hash.")
        }
        // `signature` stays in: Telegram computes `hash` over it too (Bot API 8.0+).
        let dataCheckString = DataCheckString.make(fields, excluding: [])
        try HashCheck.verify(hash: hash, dataCheckString: dataCheckString, key: key)
        let authDate = try AuthDate.verified(in: fields, now: now, maxAge: maxAge)
        return try WebAppInitData(verifiedFields: fields, authDate: authDate)
    }
}
