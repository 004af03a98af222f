import Foundation

/// Checks the fields the Telegram Login Widget (or a `login_url` button) hands a web page.
public struct LoginWidgetVerifier: Sendable {
    private let signed: HashSignedFields

    /// Derives the verification key from `botToken`; `maxAge` is in seconds, 0 meaning no limit.
    ///
    /// It is a programmer error to pass a negative `maxAge`.
    public init(botToken: String, maxAge: TimeInterval) {
        signed = HashSignedFields(key: HashCheck.loginWidgetKey(botToken: botToken), maxAge: maxAge)
    }

    /// Returns the signed-in user when `hash` matches and `auth_date` is recent enough.
    ///
    /// `fields` are the decoded query parameters (`id`, `first_name`, …, `auth_date`,
    /// `hash`); every one but `hash` is covered by the check, including ones Telegram
    /// may add later.
    public func verify(
        _ fields: [String: String], now: Date = Date()
    ) throws(TelegramAuthError) -> TelegramUser {
        _ = try signed.verify(fields, now: now)
        guard let idText = fields["id"], let id = Int64(idText) else {
            throw TelegramAuthError(.invalidUser, "The id is missing or not an integer.")
        }
        guard let firstName = fields["first_name"] else {
            throw TelegramAuthError(.invalidUser, "The first_name is missing.")
        }
        return TelegramUser(
            id: id,
            firstName: firstName,
            lastName: fields["last_name"],
            username: fields["username"],
            photoURL: fields["photo_url"])
    }
}
