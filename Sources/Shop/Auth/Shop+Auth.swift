import Foundation
import JWTKit
import Store

/// What a client holds after signing in.
public struct AuthTokens: Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String
    /// Seconds the access token is good for.
    public var expiresIn: Int
    public var user: User
}

/// Who an access token says the caller is.
public struct AuthenticatedUser: Sendable, Equatable {
    public var userId: UInt64
    /// The role when the token was issued (commands read the current one).
    public var role: Role
    public var sessionId: UInt64
}

extension Shop {
    /// Signs in a person Telegram vouched for (initData or the Login Widget, verified by the caller).
    public func signIn(_ identity: TelegramIdentity, device: String, via principal: Principal) async throws -> AuthTokens {
        try await tokens(for: try await execute(SignIn(identity: identity, device: device), as: principal))
    }

    /// Rotates a refresh token. Reusing a rotated one revokes its whole family and fails.
    public func refresh(_ refreshToken: String, device: String = "", via principal: Principal) async throws -> AuthTokens {
        switch try await execute(RefreshSession(refreshToken: refreshToken, device: device), as: principal) {
        case .granted(let grant):
            return try await tokens(for: grant)
        case .reuseDetected:
            throw ShopError(.notAuthenticated, "this refresh token was already used; all sessions of its family are ended",
                            field: "refreshToken")
        }
    }

    /// Signs in with a one-time code from the bot's `/login`.
    public func redeemLoginCode(_ code: String, device: String, via principal: Principal) async throws -> AuthTokens {
        try await tokens(for: try await execute(RedeemLoginCode(code: code, device: device), as: principal))
    }

    /// Checks an access token's signature and expiry.
    public func authenticate(_ accessToken: String) async throws(ShopError) -> AuthenticatedUser {
        let claims = try await tokens.verify(accessToken)
        guard let userId = EntityKind.user.parse(claims.sub.value), let role = Role(rawValue: claims.role),
              let sessionId = EntityKind.session.parse(claims.sid) else {
            throw ShopError(.notAuthenticated, "the access token is not valid")
        }
        return AuthenticatedUser(userId: userId, role: role, sessionId: sessionId)
    }

    private func tokens(for grant: SessionGrant) async throws -> AuthTokens {
        let now = Date()
        let claims = AccessClaims(sub: SubjectClaim(value: grant.user.publicId),
                                  exp: ExpirationClaim(value: now.addingTimeInterval(settings.accessTokenLifetime)),
                                  iat: IssuedAtClaim(value: now), role: grant.user.role.rawValue,
                                  sid: EntityKind.session.format(grant.sessionId))
        return AuthTokens(accessToken: try await tokens.sign(claims), refreshToken: grant.refreshToken,
                          expiresIn: Int(settings.accessTokenLifetime), user: grant.user)
    }
}
