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
    /// The user record's stored version as the sign-in left it.
    public var userVersion: UInt64
}

/// Who an access token's caller is now: the token checked, its session still open, the user
/// not blocked, and their role read from the store.
public struct AuthenticatedUser: Sendable, Equatable {
    public var userId: UInt64
    /// The role now (not the one the token was issued with).
    public var role: Role
    public var sessionId: UInt64
    /// When the access token stops being accepted.
    public var expiresAt: Date
    /// The change feed's head before `role` was read: a live subscription made with this role
    /// applies the access changes after it (the hub's `subscribe(…accessAsOf:)`), so none is missed.
    public var asOf: UInt64
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

    /// Checks an access token: its signature and expiry, then that its session is still open
    /// and its user not blocked. A logout or a revoked session is refused on the next request,
    /// also after a restart, because the session record says so; the signature of a token seen
    /// before is not checked again (``VerifiedTokens``), so the store read is the added cost.
    public func authenticate(_ accessToken: String) async throws(ShopError) -> AuthenticatedUser {
        let token = try await checkToken(accessToken)
        let access = try sessionAccess(userId: token.userId, sessionId: token.sessionId)
        return AuthenticatedUser(userId: token.userId, role: access.role, sessionId: token.sessionId, expiresAt: token.expiresAt, asOf: access.asOf)
    }

    /// The token half of ``authenticate(_:)``: its signature (once per token text) and expiry,
    /// and who and which session it names, without asking the store whether that session is
    /// still open. Public for the benchmark that weighs the store half (`shop-bench --auth`).
    public func checkToken(_ accessToken: String) async throws(ShopError) -> (userId: UInt64, sessionId: UInt64, expiresAt: Date) {
        let claims = try await tokens.verify(accessToken)
        guard let userId = EntityKind.user.parse(claims.sub.value), Role(rawValue: claims.role) != nil,
              let sessionId = EntityKind.session.parse(claims.sid) else {
            throw ShopError(.notAuthenticated, "the access token is not valid")
        }
        return (userId, sessionId, claims.exp.value)
    }

    /// The role of a signed-in caller now, and the feed head before it was read; refuses a
    /// session that has ended (`session_ended`) and a blocked or unknown user.
    ///
    /// Live connections ask again while they wait (a long-poll), so the check is one read
    /// transaction with two key lookups.
    public func sessionAccess(userId: UInt64, sessionId: UInt64) throws(ShopError) -> (role: Role, asOf: UInt64) {
        let asOf = environment.head
        do {
            return try environment.read { txn in
                // The block first: it also ends the user's sessions, and "blocked" is what they should hear.
                guard let user = try collections.users.get(txn, userId) else { throw ShopError(.notAuthenticated, "unknown user") }
                if user.blocked { throw ShopError(.userBlocked, "this user is blocked") }
                guard let session = try collections.sessions.get(txn, sessionId), session.userId == userId, session.revokedAt == nil else {
                    throw ShopError(.sessionEnded, "this session has ended: sign in again")
                }
                return (user.role, asOf)
            }
        } catch let error as ShopError {
            throw error
        } catch let error as StoreError {
            throw ShopError(error)
        } catch {
            throw ShopError(.storeFailure, "the session could not be read")
        }
    }

    private func tokens(for grant: SessionGrant) async throws -> AuthTokens {
        let now = Date()
        let claims = AccessClaims(sub: SubjectClaim(value: grant.user.publicId),
                                  exp: ExpirationClaim(value: now.addingTimeInterval(settings.accessTokenLifetime)),
                                  iat: IssuedAtClaim(value: now), role: grant.user.role.rawValue,
                                  sid: EntityKind.session.format(grant.sessionId))
        return AuthTokens(accessToken: try await tokens.sign(claims), refreshToken: grant.refreshToken,
                          expiresIn: Int(settings.accessTokenLifetime), user: grant.user, userVersion: grant.userVersion)
    }
}
