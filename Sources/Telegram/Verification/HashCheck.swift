import Crypto
import Foundation

/// Telegram's `hash`: the hex HMAC-SHA256 of a data-check-string under a key derived from the bot token.
enum HashCheck {
    /// Throws `invalid_hash` unless `hash` is the MAC of `dataCheckString` under `key`.
    ///
    /// The hex is decoded and the bytes compared in constant time; comparing the hex
    /// strings with `==` would stop at the first wrong digit and leak how many were right.
    static func verify(
        hash: String, dataCheckString: String, key: SymmetricKey
    ) throws(TelegramAuthError) {
        guard hash.utf8.count == 2 * SHA256.byteCount, let claimed = Hex.decode(hash) else {
            throw TelegramAuthError(.invalidHash, "The hash is not 64 hex digits.")
        }
        let actual = HMAC<SHA256>.authenticationCode(for: Data(dataCheckString.utf8), using: key)
        guard ConstantTime.isEqual(Array(actual), claimed) else {
            throw TelegramAuthError(.invalidHash, "The hash does not match the data.")
        }
    }

    /// The lowercase hex MAC Telegram would send as `hash`.
    static func hash(dataCheckString: String, key: SymmetricKey) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(dataCheckString.utf8), using: key))
    }

    /// `HMAC-SHA256(key: "WebAppData", message: botToken)`: the MiniApp `initData` key.
    static func initDataKey(botToken: String) -> SymmetricKey {
        let secret = HMAC<SHA256>.authenticationCode(
            for: Data(botToken.utf8), using: SymmetricKey(data: Data("WebAppData".utf8)))
        return SymmetricKey(data: Data(secret))
    }

    /// `SHA256(botToken)`, raw bytes: the Login Widget key.
    static func loginWidgetKey(botToken: String) -> SymmetricKey {
        SymmetricKey(data: Data(SHA256.hash(data: Data(botToken.utf8))))
    }
}
