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

    static let allTopics: Set<String> = ["inventory", "sales", "notifications", "orders", "contracts", "activity", "presence"]

    func add(to router: Router<AppRequestContext>) {
        // A WebSocket upgrade of /ws is taken below the router (WebSocketServerChannel); a plain
        // GET that reaches it asked for the socket without the upgrade headers.
        router.get("/ws") { _, _ -> Response in
            var error = APIError(.upgradeRequired, "upgrade_required", "/ws is a WebSocket: send Connection: Upgrade and Upgrade: websocket")
            error.headers[.upgrade] = "websocket"
            throw error
        }
        // {"events": [frames], "next": seq}; with wait=N (≤ 25) an empty page waits up to N s for news.
        router.get("/api/changes") { request, context -> Response in
            let (userId, role) = try caller(context)
            let since = try sequence(request, "since") ?? hub.position
            let limit = try request.integer("limit", in: 1...500) ?? 100
            let wait = try request.integer("wait", in: 0...25) ?? 0
            let topics = Self.topics(request)
            var page = try history(after: since, userId: userId, role: role, topics: topics, limit: limit)
            let deadline = Date().addingTimeInterval(TimeInterval(wait))
            while page.frames.isEmpty, Date() < deadline {
                try await Task.sleep(for: .milliseconds(100))
                page = try history(after: page.next, userId: userId, role: role, topics: topics, limit: limit)
            }
            var body = Array(#"{"events":["#.utf8)
            for (i, frame) in page.frames.enumerated() {
                if i > 0 { body.append(UInt8(ascii: ",")) }
                body += frame.bytes
            }
            body += Array(#"],"next":\#(page.next)}"#.utf8)
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        // Server-Sent Events: `id: <seq>` and `data: <frame>` per event; resumes after `since`
        // or the standard `Last-Event-ID` header, whichever is later: an EventSource reconnects
        // to the same URL (its `since` unchanged) and names the last event it got in the header.
        router.get("/api/events") { request, context -> Response in
            let (userId, role) = try caller(context)
            // A header the browser echoes back: one that is not a sequence is ignored, not refused.
            let lastEventId = request.headers[Self.lastEventID].flatMap { UInt64($0.trimmingCharacters(in: .whitespaces)) }
                .flatMap { $0 <= Self.maxSequence ? $0 : nil }
            let since = [try sequence(request, "since"), lastEventId].compactMap { $0 }.max()
            let subscription = hub.subscribe(user: userId, role: role, topics: Self.topics(request), since: since)
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: .init { writer in
                                // The stream ends with the server: a graceful shutdown waits for open
                                // answers, and this one would otherwise wait for the hub that stops after it.
                                try await withGracefulShutdownHandler {
                                    while let frames = await Self.nextFrames(subscription, within: Self.keepAliveInterval) {
                                        var text = ""
                                        for frame in frames {
                                            if let seq = frame.sequence { text += "id: \(seq)\n" }
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

    private func caller(_ context: AppRequestContext) throws -> (UInt64, Role) {
        guard let userId = context.principal.userId else { throw APIError(.unauthorized, "not_authenticated", "sign in first") }
        return (userId, try shop.me(as: context.principal).role)
    }

    private func history(after: UInt64, userId: UInt64, role: Role, topics: Set<String>, limit: Int) throws -> (frames: [Frame], next: UInt64) {
        do {
            return try hub.history(after: after, user: userId, role: role, topics: topics, limit: limit)
        } catch let error as StoreError where error.code == .sinceTooOld {
            throw APIError(.gone, "since_too_old", "the changes after \(after) were trimmed; reload and follow from the head", field: "since")
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
