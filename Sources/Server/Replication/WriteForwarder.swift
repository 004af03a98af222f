import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Shop

/// The one way a replica makes a change: send it to the primary, then wait until its own copy
/// of the store holds the commit, so the caller reads its own write here.
///
/// Both doors that write on a replica use it: REST writes (``ReplicaForwardingMiddleware``)
/// and the socket's `command` message (``CommandBridge``). The primary answers every peer
/// with its `Feed-Head` after the handler ran; the replica waits (``FeedHeadWaiting``, up to
/// ``catchUpTimeout``) for its own head to reach it. On timeout the answer is still given,
/// marked `Replica-Caught-Up: false`: the write is made, only not yet visible here.
public struct WriteForwarder: Sendable {
    let link: PrimaryLink
    let catchUp: any FeedHeadWaiting
    /// The longest a forwarded answer waits for the replica's copy.
    public var catchUpTimeout: Duration = .seconds(10)
    let logger: Logger

    public init(link: PrimaryLink, catchUp: any FeedHeadWaiting, logger: Logger) {
        self.link = link
        self.catchUp = catchUp
        self.logger = logger
    }

    /// Sends `outbound` to the primary and returns its answer once the replica caught up with it
    /// (or with `Replica-Caught-Up: false` after ``catchUpTimeout``).
    ///
    /// The primary refusing this replica's key (a 401 without `Feed-Head`: every answer the
    /// primary gives a peer carries one) is this replica's fault, not the client's: it is
    /// logged and answered 503 `primary_unavailable`, as an unreachable primary is.
    func forward(_ outbound: PrimaryLink.Outbound) async throws(APIError) -> PrimaryLink.Answer {
        var answer = try await link.send(outbound)
        guard let head = answer.feedHead else {
            if answer.status == .unauthorized {
                logger.error("the primary refuses this replica's --replication-key; writes cannot be made", metadata: ["primary": "\(link.primary)"])
                throw APIError(.serviceUnavailable, "primary_unavailable", "this replica cannot make changes on the primary now; try again shortly")
            }
            return answer
        }
        if !(await catchUp.wait(untilHeadReaches: head, timeout: catchUpTimeout)) {
            logger.warning("a forwarded write was answered before this replica caught up", metadata: ["primaryHead": "\(head)"])
            answer.headers[Replication.caughtUpHeader] = "false"
        }
        return answer
    }

    /// Runs a command on the primary through `POST /api/commands/execute` for `principal`
    /// (the socket's user, named by `Tenda-Principal`): `body` is the route's
    /// `{"command", "params"}` or `{"command", "args"}`. Returns the answer's `data` and
    /// `Feed-Sequence`; a refusal comes back as the primary's error.
    func runCommand(body: Data, principal: Principal, idempotencyKey: String?, languageCode: String?) async throws -> CommandBridge.Answer {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let idempotencyKey { headers[HTTPField.Name("Idempotency-Key")!] = idempotencyKey }
        if let languageCode { headers[.acceptLanguage] = languageCode }
        if let userAgent = principal.userAgent { headers[.userAgent] = userAgent }
        guard let userId = principal.userId else { throw APIError(.unauthorized, "not_authenticated", "sign in first") }
        let channel = principal.channel == .ws ? "websocket" : principal.channel.rawValue
        let answer = try await forward(PrimaryLink.Outbound(
            method: .post, pathAndQuery: "/api/commands/execute", headers: headers, body: ByteBuffer(bytes: body),
            clientAddress: principal.clientAddress, principal: (EntityKind.user.format(userId), channel)))
        let data = Data(buffer: answer.body)
        guard (200..<300).contains(answer.status.code) else { throw Self.error(answer.status, data) }
        return CommandBridge.Answer(data: data, sequence: answer.headers[CommandRoutes.feedSequence].flatMap { UInt64($0) })
    }

    /// The primary's refusal, read back from the contract's error shape.
    static func error(_ status: HTTPResponse.Status, _ body: Data) -> APIError {
        let error = ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any])?["error"] as? [String: Any]
        return APIError(status, error?["code"] as? String ?? "primary_error",
                        error?["message"] as? String ?? "the primary answered \(status.code)", field: error?["field"] as? String)
    }
}
