import Hummingbird
import Shop

/// On a primary: recognises a replica, which sends the shared key in `Tenda-Replication-Key`.
///
/// For a peer (``AppRequestContext/isReplicationPeer``):
/// - its `X-Forwarded-For` names the client (``ClientAddressMiddleware`` trusts it as it trusts
///   a `--trusted-proxy`), so the audit trail and the per-address rate limit see the client,
///   not the replica, which would otherwise be one address for all its clients;
/// - it may name the user of a socket command in `Tenda-Principal` (``AuthMiddleware``);
/// - every answer carries `Feed-Head`, the primary's feed head after the handler ran, errors
///   included: the replica answers once its copy reaches it (``WriteForwarder``).
///
/// A wrong key is 401 in the contract's shape, before anything else is looked at; a request
/// without the header is not touched. It sits outside ``ErrorMiddleware`` so that the answers
/// that middleware makes of errors get the header too.
struct ReplicationPeerMiddleware: RouterMiddleware {
    let key: String
    let shop: Shop

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        guard let given = request.headers[Replication.keyHeader] else { return try await next(request, context) }
        guard Replication.keysMatch(given, key) else {
            throw APIError(.unauthorized, "replication_key_refused", "the Tenda-Replication-Key is not this primary's replication key")
        }
        var context = context
        context.isReplicationPeer = true
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[Replication.feedHeadHeader] = String(shop.feedHead)
        return response
    }
}
