import Crypto
import Foundation

/// Bot API 8.0+ third-party validation with Telegram's Ed25519 public key (no bot token needed).
///
/// Lets a service that does not hold the bot token trust `initData` issued for that bot.
public struct ThirdPartyInitDataVerifier: Sendable {
    /// Which Telegram deployment signed the data; each has its own published key.
    public enum Environment: Sendable {
        case production
        case test

        /// The raw 32-byte key, as published on core.telegram.org/bots/webapps.
        var publicKeyHex: String {
            switch self {
            case .production: "e7bf03a2fa4602af4580703d88dda5bb59f32ed8b02a56c187fe7d34caed242d"
            case .test: "40055058a4ee38156a06562e52eece92a771bcd8346a8c4615cb7376eddf72ec"
            }
        }
    }

    private let botId: Int64
    private let publicKey: Curve25519.Signing.PublicKey
    private let maxAge: TimeInterval

    /// Verifies data issued for the bot `botId` (the number before ':' in its token).
    ///
    /// `maxAge` is in seconds, 0 meaning no limit; it is a programmer error to pass a
    /// negative one.
    public init(botId: Int64, environment: Environment = .production, maxAge: TimeInterval) {
        AuthDate.checkMaxAge(maxAge)
        self.botId = botId
        self.maxAge = maxAge
        do {
            self.publicKey = try Curve25519.Signing.PublicKey(
                rawRepresentation: Hex.decode(environment.publicKeyHex) ?? [])
        } catch {
            preconditionFailure("Telegram's published Ed25519 keys are 32 bytes: \(error)")
        }
    }

    /// Returns the launch data when `signature` is Telegram's and `auth_date` is recent enough.
    ///
    /// `hash` is neither required nor checked: it needs the bot token, and the signature
    /// covers everything else.
    public func verify(
        _ rawInitData: String, now: Date = Date()
    ) throws(TelegramAuthError) -> WebAppInitData {
        var fields = try QueryString.decode(rawInitData)
        fields.removeValue(forKey: "hash")
        guard let encodedSignature = fields["signature"] else {
            throw TelegramAuthError(.missingSignature, "The data has no signature.")
        }
        guard let signature = Self.base64URLDecode(encodedSignature) else {
            throw TelegramAuthError(.invalidSignature, "The signature is not base64url.")
        }
        let signed = "\(botId):WebAppData\n"
            + DataCheckString.make(fields, excluding: ["signature"])
        guard publicKey.isValidSignature(signature, for: Data(signed.utf8)) else {
            throw TelegramAuthError(.invalidSignature, "The signature does not match the data.")
        }
        let authDate = try AuthDate.verified(in: fields, now: now, maxAge: maxAge)
        return try WebAppInitData(verifiedFields: fields, authDate: authDate)
    }

    /// Decodes unpadded base64url, the alphabet Telegram uses so the value needs no escaping.
    private static func base64URLDecode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
