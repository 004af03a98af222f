import Foundation
import HTTPTypes
import Hummingbird
import Realtime
import ServiceLifecycle
import Shop
import Store

/// The WebSocket's fallbacks, with the same filter and resume: a page of the change feed
/// (long-poll with `wait`) and Server-Sent Events.
struct ChangeRoutes {
    let shop: Shop
    let hub: Hub

    /// The header an EventSource sends when it reconnects.
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    static let allTopics = Topic.allNames

    func add(to router: Router<AppRequestContext>) {
        // A WebSocket upgrade of /ws is taken below the router (WebSocketServerChannel); a plain
        // GET that reaches it asked for the socket without the upgrade headers.
        router.get("/ws") { _, _ -> Response in
            var error = APIError(.upgradeRequired, "upgrade_required", "/ws is a WebSocket: send Connection: Upgrade and Upgrade: websocket")
            error.headers[.upgrade] = "websocket"
            throw error
        }
        // {"events": [frames], "next": seq, "epoch", "role", "topics"}; with wait=N (≤ 25) an empty page
        // waits up to N s for news, asking the store every tenth of a second whether the caller
        // may still see it: a role change filters the next page, a logout or block ends the wait.
        router.get("/api/changes") { request, context -> Response in
            let caller = try signedIn(context)
            let since = try sequence(request, "since") ?? hub.position
            try refuseOtherHistory(since: since, epoch: request.uri.queryParameters["epoch"].map(String.init))
            let limit = try request.integer("limit", in: 1...500) ?? 100
            let wait = try request.integer("wait", in: 0...25) ?? 0
            let requested = Self.topics(request)
            var role = caller.role
            var page = try history(after: since, userId: caller.userId, role: role, topics: Topic.allowed(requested, for: role), limit: limit)
            let deadline = Date().addingTimeInterval(TimeInterval(wait))
            while page.frames.isEmpty, Date() < deadline {
                try await Task.sleep(for: .milliseconds(100))
                role = try currentRole(of: caller)
                page = try history(after: page.next, userId: caller.userId, role: role, topics: Topic.allowed(requested, for: role), limit: limit)
            }
            var body = Array(#"{"events":["#.utf8)
            for (i, frame) in page.frames.enumerated() {
                if i > 0 { body.append(UInt8(ascii: ",")) }
                body += frame.bytes
            }
            let topics = Topic.allowed(requested, for: role).sorted().map { "\"\($0)\"" }.joined(separator: ",")
            body += Array(#"],"next":\#(page.next),"epoch":"\#(hub.epoch)","role":"\#(role.rawValue)","topics":[\#(topics)]}"#.utf8)
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        // Server-Sent Events: `id: <seq>` and `data: <frame>` per event; resumes after `since`
        // or the standard `Last-Event-ID` header, whichever is later: an EventSource reconnects
        // to the same URL (its `since` unchanged) and names the last event it got in the header.
        // The stream follows the caller's session as a socket does: an `access` frame when the
        // role changes, and a last `closed` frame when the session ends or the token expires.
        router.get("/api/events") { request, context -> Response in
            let caller = try signedIn(context)
            // A header the browser echoes back: one that is not a sequence is ignored, not refused.
            let lastEventId = request.headers[Self.lastEventID].flatMap { UInt64($0.trimmingCharacters(in: .whitespaces)) }
                .flatMap { $0 <= Self.maxSequence ? $0 : nil }
            let since = [try sequence(request, "since"), lastEventId].compactMap { $0 }.max()
            // Live queries, each `watch=` one JSON object as the socket's `watch` message; a stream
            // that watches queries and names no topics carries the queries alone.
            // A `watch` is any text to the document's schema; one that is no query the shop can run is
            // refused 422 (the request is well formed, its content cannot be processed).
            let watches = try request.uri.queryParameters.getAll("watch").enumerated().map { index, text throws(APIError) in
                do throws(ShopError) {
                    return try WatchRequest.parse(String(text), path: "watch[\(index)]")
                } catch {
                    throw APIError(.unprocessableContent, error.code.rawValue, error.message, field: error.field)
                }
            }
            let topics = watches.isEmpty || request.uri.queryParameters["topics"] != nil ? Self.topics(request) : []
            let subscription = hub.subscribe(user: caller.userId, session: caller.sessionId, role: caller.role, accessAsOf: caller.asOf,
                                             topics: topics, since: since,
                                             epoch: request.uri.queryParameters["epoch"].map(String.init))
            for watch in watches {
                try hub.watch(subscription, id: watch.id, query: watch.query, resume: watch.resume)
            }
            // The stream's first event says where it starts and in which epoch, as a socket's `ready` does.
            let ready = "event: ready\ndata: {\"type\":\"ready\",\"seq\":\(subscription.livePosition),\"epoch\":\"\(hub.epoch)\"}\n\n"
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: .init { writer in
                                // The stream ends with the server: a graceful shutdown waits for open
                                // answers, and this one would otherwise wait for the hub that stops after it.
                                try await withGracefulShutdownHandler {
                                    try await writer.write(ByteBuffer(string: ready))
                                    while true {
                                        let untilExpiry = caller.expiresAt.timeIntervalSinceNow
                                        guard untilExpiry > 0 else {
                                            subscription.unsubscribe()
                                            try await writer.write(ByteBuffer(string: "data: \(Frame.closed(.tokenExpired).text)\n\n"))
                                            break
                                        }
                                        let quiet = min(Self.keepAliveInterval, .milliseconds(Int64((untilExpiry * 1000).rounded(.up))))
                                        guard let frames = await Self.nextFrames(subscription, within: quiet) else { break }
                                        // Frames taken after the token expired (this task woke late, and a
                                        // commit got in first) are not the caller's to see any more.
                                        if caller.expiresAt <= Date() { continue }
                                        var text = ""
                                        for frame in frames {
                                            // Only events name the topics' resume point: a query's frame may
                                            // be read ahead of events still to come.
                                            if frame.kind == .event, let seq = frame.sequence { text += "id: \(seq)\n" }
                                            text += "data: \(frame.text)\n\n"
                                        }
                                        // A quiet stream gets a comment line now and then: proxies keep it
                                        // open, and a client that went away is noticed by the failed write.
                                        try await writer.write(ByteBuffer(string: frames.isEmpty ? ":\n\n" : text))
                                    }
                                } onGracefulShutdown: {
                                    subscription.unsubscribe()
                                }
                                try await writer.finish(nil)
                            })
        }
    }

    /// How long an SSE stream may stay silent before it gets a comment line.
    static let keepAliveInterval = Duration.seconds(15)

    /// The subscription's next frames, or none when `interval` passed without one; nil once it has ended.
    static func nextFrames(_ subscription: Subscription, within interval: Duration) async -> [Frame]? {
        enum Outcome: Sendable { case frames([Frame]), quiet }
        return await withTaskGroup(of: Outcome.self) { group in
            group.addTask { .frames(await subscription.nextBatch(limit: 64)) }
            group.addTask {
                try? await Task.sleep(for: interval)
                return .quiet
            }
            let first = await group.next()
            group.cancelAll()
            if case .frames(let frames) = first {
                // The reader finished first: no frames means the subscription ended.
                return frames.isEmpty ? nil : frames
            }
            // The timer won; the reader, cancelled, still hands over any frames it took meanwhile.
            while let outcome = await group.next() {
                if case .frames(let frames) = outcome { return frames }
            }
            return []
        }
    }

    /// The signed-in caller (``AuthMiddleware`` checked the token and the session).
    private func signedIn(_ context: AppRequestContext) throws -> AuthenticatedUser {
        guard let caller = context.caller else { throw APIError(.unauthorized, "not_authenticated", "sign in first") }
        return caller
    }

    /// The caller's role now, for a request that has been waiting: refused once the token has
    /// expired, the session ended or the user was blocked.
    private func currentRole(of caller: AuthenticatedUser) throws -> Role {
        guard caller.expiresAt > Date() else { throw ShopError(.tokenExpired, "the access token expired: refresh it and ask again") }
        return try shop.sessionAccess(userId: caller.userId, sessionId: caller.sessionId).role
    }

    private func history(after: UInt64, userId: UInt64, role: Role, topics: Set<String>, limit: Int) throws -> (frames: [Frame], next: UInt64) {
        do {
            return try hub.history(after: after, user: userId, role: role, topics: topics, limit: limit)
        } catch let error as StoreError where error.code == .sinceTooOld {
            throw APIError(.gone, "since_too_old", "the changes after \(after) were trimmed; reload and follow from the head", field: "since")
        }
    }

    /// Refuses a long-poll that would resume in another history: an `epoch` other than the
    /// store's (410 `epoch_changed`) or a `since` beyond the feed's head (410 `since_too_old`),
    /// the socket's `resync` in HTTP's words. The client reloads and follows from the head.
    private func refuseOtherHistory(since: UInt64, epoch: String?) throws {
        if let epoch, epoch != hub.epoch {
            throw APIError(.gone, "epoch_changed", "the store was restored since epoch \(epoch); reload and follow from the head", field: "epoch")
        }
        if since > max(hub.position, shop.feedHead) {
            throw APIError(.gone, "since_too_old", "the feed never reached \(since); reload and follow from the head", field: "since")
        }
    }

    /// The largest sequence a client may name: the feed's sequences are 64-bit, and the
    /// OpenAPI document says `int64`, so a client's arithmetic on them stays signed-safe.
    static let maxSequence = UInt64(Int64.max)

    private func sequence(_ request: Request, _ name: String) throws -> UInt64? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let value = UInt64(String(text)), value <= Self.maxSequence else {
            throw APIError.invalid(name, "\(name) must be a sequence number from 0 to \(Self.maxSequence)")
        }
        return value
    }

    /// `topics=a,b` or every topic.
    static func topics(_ request: Request) -> Set<String> {
        guard let text = request.uri.queryParameters["topics"] else { return allTopics }
        return Set(text.split(separator: ",").map(String.init))
    }
}
