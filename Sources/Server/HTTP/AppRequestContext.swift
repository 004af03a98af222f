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
    /// The request comes from a replica of this primary, which proved it with the shared key
    /// (``ReplicationPeerMiddleware``): its `X-Forwarded-For` is believed and it may name the
    /// user of a socket command (`Tenda-Principal`).
    var isReplicationPeer = false

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
        if context.isReplicationPeer, let named = request.headers[Replication.principalHeader] {
            return try await next(request, try peerPrincipal(named, channel: request.headers[Replication.channelHeader], context))
        }
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

    /// The user a replica names for a socket command it forwards (`Tenda-Principal: u7`, with
    /// `Tenda-Channel: websocket`): the replica checked the socket's token against its copy of
    /// the store; here the user is read again from the primary's, as for a token — unknown and
    /// blocked users are refused, and the commands see the role stored now. There is no
    /// session, so ``AppRequestContext/caller`` stays nil.
    private func peerPrincipal(_ named: String, channel: String?, _ context: AppRequestContext) throws -> AppRequestContext {
        guard let userId = EntityKind.user.parse(named) else {
            throw APIError(.badRequest, "invalid_input", "Tenda-Principal must name a user, like u7", field: "Tenda-Principal")
        }
        let door = channel?.lowercased()
        var context = context
        context.principal = .user(userId, via: door == "websocket" || door == "ws" ? .ws : door == "bot" ? .bot : .rest,
                                  clientAddress: context.remoteAddress, userAgent: context.principal.userAgent)
        // Refuses an unknown or blocked user, as a token's check does.
        _ = try shop.me(as: context.principal)
        return context
    }
}
