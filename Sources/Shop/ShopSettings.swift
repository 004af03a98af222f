import Foundation

/// The shop-wide settings the commands need, built once by the executable.
public struct ShopSettings: Sendable {
    /// ISO 4217 code of every price and amount (the shop keeps one currency).
    public var currency: String
    /// Telegram ids that become owners the first time they are seen.
    public var ownerTelegramIds: Set<Int64>
    /// Signs access tokens (HS256); at least 32 bytes.
    public var tokenSecret: [UInt8]
    /// How long an access token is good for.
    public var accessTokenLifetime: TimeInterval
    /// How long a refresh token is good for if not used.
    public var refreshTokenLifetime: TimeInterval
    /// How long a one-time login code is good for.
    public var loginCodeLifetime: TimeInterval

    public init(currency: String = "BRL", ownerTelegramIds: Set<Int64> = [], tokenSecret: [UInt8],
                accessTokenLifetime: TimeInterval = 15 * 60, refreshTokenLifetime: TimeInterval = 30 * 86_400,
                loginCodeLifetime: TimeInterval = 10 * 60) {
        self.currency = currency
        self.ownerTelegramIds = ownerTelegramIds
        self.tokenSecret = tokenSecret
        self.accessTokenLifetime = accessTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.loginCodeLifetime = loginCodeLifetime
    }
}
