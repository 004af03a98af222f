import Foundation
import JWTKit
import Synchronization

/// The claims of an access token: who, their role when it was issued, and until when.
public struct AccessClaims: JWTPayload, Equatable {
    /// The user's id ("u7").
    public var sub: SubjectClaim
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim
    /// The role at issue time; commands still read the current role from the store.
    public var role: String
    /// The session (refresh-token family link) the token was issued for.
    public var sid: String

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Signs and verifies HS256 access tokens.
struct TokenSigner: Sendable {
    private let keys: JWTKeyCollection
    private let verified = VerifiedTokens()

    init(secret: [UInt8]) async throws {
        // jwt-kit's HMAC signer traps on keys shorter than 32 bytes.
        guard secret.count >= 32 else {
            throw ShopError(.invalidInput, "the token secret must be at least 32 bytes", field: "tokenSecret")
        }
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    func sign(_ claims: AccessClaims) async throws -> String {
        try await keys.sign(claims)
    }

    func verify(_ token: String) async throws(ShopError) -> AccessClaims {
        if let claims = verified.claims(of: token, at: Date()) { return claims }
        do {
            let claims = try await keys.verify(token, as: AccessClaims.self)
            verified.remember(token, claims)
            return claims
        } catch {
            throw ShopError(.notAuthenticated, "the access token is not valid or has expired")
        }
    }
}

/// Access tokens already verified, by their exact text, with their claims.
///
/// A MiniApp sends the same token with every request for its fifteen minutes. Verifying it again
/// each time (the HMAC, jwt-kit's `JSONDecoder` pass over the claims, a hop to its key actor) was
/// an eighth of the server's CPU for a `GET /api/products`. The same text with the same signature
/// verifies the same way, so only the expiry needs checking again, and it is, on every use.
/// Bounded: when full, the expired entries go, and if that is not enough, all of them.
final class VerifiedTokens: Sendable {
    static let capacity = 4_096
    private let entries = Mutex<[String: AccessClaims]>([:])

    func claims(of token: String, at now: Date) -> AccessClaims? {
        guard let claims = entries.withLock({ $0[token] }), claims.exp.value > now else { return nil }
        return claims
    }

    func remember(_ token: String, _ claims: AccessClaims) {
        entries.withLock { entries in
            if entries.count >= Self.capacity {
                let now = Date()
                entries = entries.filter { $0.value.exp.value > now }
                if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[token] = claims
        }
    }
}
