import HTTPTypes
import Hummingbird
import NIOCore
import Shop

/// On a replica: every write under `/api/` goes to the primary, the only writer, as it came
/// (method, path and query, the client's headers with `Authorization`, `Idempotency-Key`,
/// `If-Match` and `Content-Type`, and the body), with the replication key and the client's
/// address in `X-Forwarded-For`; the primary's status, headers and body come back unchanged,
/// once this replica's copy holds the commit (``WriteForwarder``).
///
/// It runs right after ``ClientAddressMiddleware`` (so the client's address is known) and
/// before ``AuthMiddleware``: the primary judges the token, the role and the rate limits
/// (counting the client, not this replica), exactly as for a client of its own; the replica's
/// copy may not yet hold a session that was just made.
///
/// Writes are POST, PUT, PATCH and DELETE under `/api/` — sign-in, refresh and logout
/// included, since they write sessions. The Telegram webhook is not under `/api/`: the bot
/// runs on the primary only and Telegram calls it there. Reads, `/ws`, SSE and long-polls
/// stay here.
struct ReplicaForwardingMiddleware: RouterMiddleware {
    let forwarder: WriteForwarder

    /// The largest body forwarded: a media upload's limit with room for its multipart framing.
    static let bodyLimit = UploadMedia.maxSize + (64 << 10)

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        guard Self.forwards(request.method, path: request.uri.path) else { return try await next(request, context) }
        let body = try await request.body.collect(upTo: Self.bodyLimit)
        let answer = try await forwarder.forward(PrimaryLink.Outbound(
            method: request.method, pathAndQuery: request.uri.description, headers: request.headers,
            body: body.readableBytes > 0 ? body : nil, clientAddress: context.remoteAddress, scheme: context.scheme))
        return Response(status: answer.status, headers: answer.headers, body: .init(byteBuffer: answer.body))
    }

    /// Whether a request is a write the primary must make.
    static func forwards(_ method: HTTPRequest.Method, path: String) -> Bool {
        [.post, .put, .patch, .delete].contains(method) && path.hasPrefix("/api/")
    }
}
