import Foundation

/// Checks MiniApp `initData` against the bot token, as Telegram's documentation prescribes.
///
/// ```swift
/// let verifier = InitDataVerifier(botToken: token, maxAge: 86_400)
/// let launch = try verifier.verify(body.initData)
/// ```
public struct InitDataVerifier: Sendable {
    private let signed: HashSignedFields

    /// Derives the verification key from `botToken`; `maxAge` is in seconds, 0 meaning no limit.
    ///
    /// It is a programmer error to pass a negative `maxAge`.
    public init(botToken: String, maxAge: TimeInterval) {
        signed = HashSignedFields(key: HashCheck.initDataKey(botToken: botToken), maxAge: maxAge)
    }

    /// Returns the launch data when `hash` matches and `auth_date` is recent enough.
    ///
    /// `rawInitData` is the query string exactly as `Telegram.WebApp.initData` gave it.
    /// The signature is checked before any field is interpreted.
    public func verify(
        _ rawInitData: String, now: Date = Date()
    ) throws(TelegramAuthError) -> WebAppInitData {
        var fields = try QueryString.decode(rawInitData)
        // `signature` is signed too: Telegram computes `hash` over it (Bot API 8.0+).
        let authDate = try signed.verify(fields, now: now)
        fields.removeValue(forKey: "hash")
        return try WebAppInitData(verifiedFields: fields, authDate: authDate)
    }
}
