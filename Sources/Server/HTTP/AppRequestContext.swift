import Hummingbird
import Shop

/// The context of one HTTP request: who is calling, once the bearer token is checked.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller; anonymous until ``AuthMiddleware`` finds a valid bearer token.
    public var principal: Principal
    /// The session the access token belongs to.
    public var sessionId: UInt64?
    /// The signed-in caller as their token and the store say now: role, session, the token's
    /// expiry (a long-poll or an event stream ends there).
    public var caller: AuthenticatedUser?
    /// The client's address: the TCP peer's, or the one a trusted proxy forwarded for
    /// (``ClientAddressMiddleware``). The per-address rate limit and the audit trail use it.
    var remoteAddress: String?
    /// `https` when a trusted proxy says the client reached it over TLS, else `http`.
    var scheme = "http"

    public init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
        principal = .anonymous(via: .rest, clientAddress: remoteAddress)
    }

    /// The JSON coder for request bodies.
    public var requestDecoder: JSONDecoder { JSONDecoder() }

    /// Bodies above this are refused with 413: the API takes small JSON documents.
    public var maxUploadSize: Int { 1 << 20 }
}

import Foundation

/// Reads `Authorization: Bearer <access token>` and names the caller for the routes.
/// A request without the header stays anonymous (routes decide); a bad token is a 401.
struct AuthMiddleware: RouterMiddleware {
    let shop: Shop

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        guard header.hasPrefix("Bearer ") else {
            throw APIError(.unauthorized, "not_authenticated", "use Authorization: Bearer <accessToken>")
        }
        let user = try await shop.authenticate(String(header.dropFirst("Bearer ".count)))
        var context = context
        context.principal = .user(user.userId, via: .rest, clientAddress: context.remoteAddress, userAgent: context.principal.userAgent)
        context.sessionId = user.sessionId
        context.caller = user
        shop.sessionActivity.touch(user.sessionId)
        return try await next(request, context)
    }
}
