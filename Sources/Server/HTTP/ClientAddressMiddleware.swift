import HTTPTypes
import Hummingbird

/// Says who is asking before anything else needs to know: the client's address and scheme,
/// through ``TrustedProxies`` (forwarding headers count only from a trusted proxy), and the
/// anonymous principal that carries them and the `User-Agent` until ``AuthMiddleware`` names
/// the caller.
struct ClientAddressMiddleware: RouterMiddleware {
    let trustedProxies: TrustedProxies

    /// Characters of `User-Agent` kept for the audit trail (a browser's is about 150).
    static let userAgentLimit = 200

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        // A replication peer (checked by the key before this) forwards for its clients as a trusted proxy does.
        let client = trustedProxies.client(peer: context.remoteAddress, forwardedFor: request.headers[values: .xForwardedFor],
                                           forwardedProto: request.headers[.xForwardedProto], trustingPeer: context.isReplicationPeer)
        context.remoteAddress = client.address
        context.scheme = client.scheme
        context.principal = .anonymous(via: .rest, clientAddress: client.address, userAgent: request.headers[.userAgent].map { String($0.prefix(Self.userAgentLimit)) })
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    /// The addresses a request passed through, client first (de facto standard).
    static let xForwardedFor = Self("X-Forwarded-For")!
    /// The scheme the client used to reach the first proxy (de facto standard).
    static let xForwardedProto = Self("X-Forwarded-Proto")!
}
