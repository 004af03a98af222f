import Foundation
import JWTKit

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
        do {
            return try await keys.verify(token, as: AccessClaims.self)
        } catch {
            throw ShopError(.notAuthenticated, "the access token is not valid or has expired")
        }
    }
}
