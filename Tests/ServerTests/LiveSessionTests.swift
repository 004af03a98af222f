import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import Shop
import Testing

/// Live sessions follow the user (README, "Live sessions"): for every transport — WebSocket,
/// Server-Sent Events, long-poll — and every change — demote, promote, block, logout, a session
/// ended from another device, a refresh token reused, the token's expiry — what the connection
/// gets after the change is exactly what the new state allows, and another user's connection
/// goes on.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct LiveSessionTests {
    /// How long a change may take to reach a connection before the test fails. The server
    /// delivers at once (sockets and streams) or within a tenth of a second (a waiting
    /// long-poll); the margin is for a loaded two-core CI machine, not a speed claim.
    static let observed: Double = 5

    enum Change: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case demote, promote, block, logout, sessionEnded, refreshReuse, expiry
        var testDescription: String { rawValue }
    }

    @Test(arguments: Change.allCases)
    func everyTransportFollowsTheChange(_ change: Change) async throws {
        let server = try await LiveServer.make(accessTokenLifetime: change == .expiry ? 6 : 900)
        try await server.run { client, port in
            var owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let subject = try await client.signIn(telegramId: 2_001, firstName: "Sara")
            let bystander = try await client.signIn(telegramId: 2_002, firstName: "Beto")
            let buyer = try await client.signIn(telegramId: 2_003, firstName: "Caio")
            if change != .promote { try await setRole(client, owner.access, subject.userId, "admin") }
            try await setRole(client, owner.access, bystander.userId, "admin")
            let product = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Coxinha", "price": 650, "stock": 100])
            let productId = try #require(product.json["id"] as? String)
            let since = server.shop.feedHead

            let subscribe = #"{"type":"subscribe","topics":["sales","presence"]}"#
            let socket = try await RawWebSocket.connect(port: port, token: subject.access)
            try await socket.send(subscribe)
            let watcher = try await RawWebSocket.connect(port: port, token: bystander.access)
            try await watcher.send(subscribe)
            let stream = LiveEventStream(port: port, token: subject.access, topics: "sales,presence")
            try await server.waitForSubscribers(3)
            try await socket.wait("ready") { Self.texts($0).contains { $0.contains(#""type":"ready""#) } }
            let poll = Task { try await longPoll(port: port, token: subject.access, query: "since=\(since)&wait=20&topics=sales,presence") }

            // The change.
            switch change {
            case .demote: try await setRole(client, owner.access, subject.userId, "user")
            case .promote: try await setRole(client, owner.access, subject.userId, "admin")
            case .block:
                let blocked = try await client.call(.patch, "/api/users/\(subject.userId)", token: owner.access, json: ["blocked": true])
                #expect(blocked.status == .ok)
            case .logout:
                #expect(try await client.call(.post, "/api/auth/logout", token: subject.access).status == .noContent)
            case .sessionEnded:
                // The same person signed in on another device ends this session from there.
                let laptop = try await client.signIn(telegramId: 2_001, firstName: "Sara")
                let devices = try await client.call(.get, "/api/auth/sessions", token: laptop.access).json["items"] as? [[String: Any]] ?? []
                let phone = try #require(devices.first { $0["current"] as? Bool == false }?["id"] as? String, "\(devices)")
                #expect(try await client.call(.delete, "/api/auth/sessions/\(phone)", token: laptop.access).status == .noContent)
                #expect(try await client.call(.get, "/api/auth/me", token: laptop.access).status == .ok, "the laptop's session goes on")
            case .refreshReuse:
                #expect(try await client.call(.post, "/api/auth/refresh", json: ["refreshToken": subject.refresh]).status == .ok)
                let reused = try await client.call(.post, "/api/auth/refresh", json: ["refreshToken": subject.refresh])
                #expect(reused.status == .unauthorized, "a rotated refresh token revokes its family")
            case .expiry:
                // The bystander re-authenticates in place when warned; the subject does not.
                try await watcher.wait("the bystander's expiry warning", seconds: 10) { Self.texts($0).contains { $0.contains("auth_expiring") } }
                let refreshed = try await client.call(.post, "/api/auth/refresh", json: ["refreshToken": bystander.refresh])
                let token = try #require(refreshed.json["accessToken"] as? String)
                try await watcher.send(#"{"type":"auth","token":"\#(token)"}"#)
                try await watcher.wait("auth_ok") { Self.texts($0).contains { $0.contains("auth_ok") } }
                try await socket.wait("the subject's expiry warning", seconds: 10) { Self.texts($0).contains { $0.contains("auth_expiring") } }
                try await socket.wait("the subject's close at expiry", seconds: 10) { $0.frames.contains { $0.closeCode != nil } }
                owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            }

            // Then a sale for someone else, and one for the subject.
            let other = try await buy(client, owner.access, buyer.userId, productId)
            // (A blocked user buys nothing.)
            let own = change == .block ? other : try await buy(client, owner.access, subject.userId, productId)
            try await watcher.wait("the bystander sees both sales", seconds: Self.observed) {
                Set(Self.events($0.frames.map(\.text)).compactMap(Self.saleId)).isSuperset(of: [other, own])
            }
            #expect(!watcher.state.frames.contains { $0.closeCode != nil }, "the bystander's socket stays open")

            let ends: [Change: (code: UInt16, reason: String, status: Int)] = [
                .block: (4003, "user_blocked", 403), .logout: (4001, "session_ended", 401), .sessionEnded: (4001, "session_ended", 401),
                .refreshReuse: (4001, "session_ended", 401), .expiry: (4002, "token_expired", 401),
            ]
            if let end = ends[change] {
                // Closed with the reason's code, after a `closed` message; nothing of the sales.
                try await socket.wait("the close frame", seconds: Self.observed) { $0.frames.contains { $0.closeCode != nil } }
                let frames = socket.state.frames
                #expect(frames.compactMap(\.closeCode) == [end.code])
                let closed = Self.objects(Self.texts(socket.state)).last { $0["type"] as? String == "closed" }
                #expect(closed?["code"] as? Int == Int(end.code) && closed?["reason"] as? String == end.reason)
                #expect(Self.events(Self.texts(socket.state)).compactMap(Self.saleId).isEmpty)
                try await stream.wait("the stream's end", seconds: Self.observed) { _, ended in ended }
                let streamed = Self.objects(stream.texts)
                #expect(streamed.last?["type"] as? String == "closed" && streamed.last?["reason"] as? String == end.reason)
                #expect(Self.events(stream.texts).compactMap(Self.saleId).isEmpty)
                let answer = try await poll.value
                #expect(answer.status == end.status && answer.code == end.reason, "long-poll: \(answer)")
                let rest = try await client.call(.get, "/api/auth/me", token: subject.access)
                // An expired token is not one the server can read any more: plain not_authenticated.
                #expect(rest.status.code == end.status && rest.error == (change == .expiry ? "not_authenticated" : end.reason), "REST: \(rest.json)")
                if change == .block {
                    let unblocked = try await client.call(.patch, "/api/users/\(subject.userId)", token: owner.access, json: ["blocked": false])
                    #expect(unblocked.status == .ok)
                    // The block ended the sessions too: the old token stays refused, a new sign-in works.
                    #expect(try await client.call(.get, "/api/auth/me", token: subject.access).error == "session_ended")
                    let again = try await client.signIn(telegramId: 2_001, firstName: "Sara")
                    #expect(try await client.call(.get, "/api/auth/me", token: again.access).status == .ok)
                }
            } else {
                // A new role: told at once, and the sales filtered by it.
                let role = change == .demote ? "user" : "admin"
                let visible = change == .demote ? [own] : [other, own]
                try await socket.wait("the subject's own sale", seconds: Self.observed) { Self.events(Self.texts($0)).compactMap(Self.saleId).contains(own) }
                try await stream.wait("the subject's own sale on the stream", seconds: Self.observed) { texts, _ in
                    Self.events(texts).compactMap(Self.saleId).contains(own)
                }
                for texts in [Self.texts(socket.state), stream.texts] {
                    let access = Self.objects(texts).filter { $0["type"] as? String == "access" }
                    #expect(access.count == 1 && access.first?["role"] as? String == role)
                    #expect(access.first?["topics"] as? [String] == ["sales"], "presence was dropped (demote) or never held (promote)")
                    #expect(Self.events(texts).compactMap(Self.saleId) == visible)
                }
                let answer = try await poll.value
                // A long-poll holds nothing between requests: it serves every topic asked for that the role allows.
                let polledTopics = change == .demote ? ["sales"] : ["presence", "sales"]
                #expect(answer.status == 200 && answer.json["role"] as? String == role && answer.json["topics"] as? [String] == polledTopics)
                let polled = (answer.json["events"] as? [[String: Any]] ?? []).compactMap(Self.saleId)
                #expect(polled.first == visible.first, "long-poll: \(answer.json)")
                #expect(!socket.state.frames.contains { $0.closeCode != nil })
                if change == .promote {
                    // The new topic without reconnecting: subscribe, then see who is online.
                    try await socket.send(subscribe)
                    try await watcher.send(#"{"type":"presence","view":"products"}"#)
                    try await socket.wait("presence", seconds: Self.observed) {
                        Self.objects(Self.texts($0)).contains { $0["topic"] as? String == "presence" }
                    }
                }
            }
            stream.stop()
            await socket.close()
            await watcher.close()
        }
        await server.discard()
    }

    @Test func aSocketReauthenticatesInPlaceAndOutlivesItsFirstToken() async throws {
        let server = try await LiveServer.make(accessTokenLifetime: 4)
        try await server.run { client, port in
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let socket = try await RawWebSocket.connect(port: port, token: ana.access)
            try await socket.send(#"{"type":"subscribe","topics":["sales"]}"#)
            try await socket.wait("the warning", seconds: 10) { Self.texts($0).contains { $0.contains("auth_expiring") } }
            let firstExpiry = try await server.shop.authenticate(ana.access).expiresAt
            let refreshed = try await client.call(.post, "/api/auth/refresh", json: ["refreshToken": ana.refresh])
            let token = try #require(refreshed.json["accessToken"] as? String)
            try await socket.send(#"{"type":"auth","id":"a1","token":"\#(token)"}"#)
            try await socket.wait("auth_ok") { Self.texts($0).contains { $0.contains("auth_ok") } }
            let ok = try #require(Self.objects(Self.texts(socket.state)).first { $0["type"] as? String == "auth_ok" })
            #expect(ok["id"] as? String == "a1" && (ok["user"] as? [String: Any])?["id"] as? String == ana.userId)
            // The new token's own warning comes after the first token has expired: the socket is still open.
            try await socket.wait("the second warning", seconds: 10) { Self.texts($0).filter { $0.contains("auth_expiring") }.count == 2 }
            #expect(Date() >= firstExpiry.addingTimeInterval(-1))
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let product = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Pastel", "price": 500, "stock": 5])
            let sale = try await buy(client, owner.access, ana.userId, try #require(product.json["id"] as? String))
            try await socket.wait("the sale after the first expiry") { Self.events(Self.texts($0)).compactMap(Self.saleId) == [sale] }
            #expect(!socket.state.frames.contains { $0.closeCode != nil })
            // Not re-authenticated again: closed at the new token's expiry.
            try await socket.wait("the close at expiry", seconds: 10) { $0.frames.contains { $0.closeCode != nil } }
            #expect(socket.state.frames.compactMap(\.closeCode) == [4002])
            await socket.close()
        }
        await server.discard()
    }

    enum BadToken: String, CaseIterable, Sendable { case garbage, expired, otherUsers }

    @Test(arguments: BadToken.allCases)
    func aBadTokenInPlaceGetsAnErrorAndACloseAndChangesNothing(_ bad: BadToken) async throws {
        let server = try await LiveServer.make(accessTokenLifetime: bad == .expired ? 3 : 900)
        try await server.run { client, port in
            let old = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            if bad == .expired {
                // Asked until the first token is refused: it has expired.
                let deadline = ContinuousClock.now + .seconds(10)
                while try await client.call(.get, "/api/auth/me", token: old.access).status == .ok {
                    guard ContinuousClock.now < deadline else { Issue.record("the token did not expire"); return }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let bruno = try await client.signIn(telegramId: 4_000, firstName: "Bruno")
            let token = switch bad {
            case .garbage: "not-a-token"
            case .expired: old.access
            case .otherUsers: bruno.access
            }
            let socket = try await RawWebSocket.connect(port: port, token: ana.access)
            try await socket.wait("ready") { Self.texts($0).contains { $0.contains(#""type":"ready""#) } }
            try await socket.send(#"{"type":"auth","token":"\#(token)"}"#)
            try await socket.wait("the close") { $0.frames.contains { $0.closeCode != nil } }
            #expect(socket.state.frames.compactMap(\.closeCode) == [1008])
            let error = Self.objects(Self.texts(socket.state)).first { $0["type"] as? String == "error" }
            #expect(error?["code"] as? String == (bad == .otherUsers ? "forbidden" : "not_authenticated"))
            // Nothing changed: both users' tokens work as before.
            #expect(try await client.call(.get, "/api/auth/me", token: ana.access).status == .ok)
            #expect(try await client.call(.get, "/api/auth/me", token: bruno.access).status == .ok)
            await socket.close()
        }
        await server.discard()
    }

    @Test func anEndedSessionsAccessTokenIsRefusedAtOnceAndAfterARestart() async throws {
        let server = try await LiveServer.make()
        let tokens = NIOLockedValueBox((phone: "", laptop: ""))
        try await server.run { client, _ in
            let phone = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let laptop = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            #expect(try await client.call(.get, "/api/auth/me", token: phone.access).status == .ok)
            // The phone refreshes, then logs out with the new token: the token from before the
            // refresh (an older link of the same device) ends with it.
            let refreshed = try await client.call(.post, "/api/auth/refresh", json: ["refreshToken": phone.refresh])
            let newer = try #require(refreshed.json["accessToken"] as? String)
            #expect(try await client.call(.post, "/api/auth/logout", token: newer).status == .noContent)
            for token in [newer, phone.access] {
                let refused = try await client.call(.get, "/api/auth/me", token: token)
                #expect(refused.status == .unauthorized && refused.error == "session_ended")
            }
            #expect(try await client.call(.get, "/api/auth/me", token: laptop.access).status == .ok)
            tokens.withLockedValue { $0 = (phone.access, laptop.access) }
        }
        await server.shop.close()
        let restarted = try await LiveServer.reopen(server.folder)
        let (phone, laptop) = tokens.withLockedValue { $0 }
        try await restarted.run { client, _ in
            let refused = try await client.call(.get, "/api/auth/me", token: phone)
            #expect(refused.status == .unauthorized && refused.error == "session_ended")
            #expect(try await client.call(.get, "/api/auth/me", token: laptop).status == .ok)
        }
        await restarted.discard()
    }

    // MARK: Helpers

    static func texts(_ state: RawWebSocket.FrameReader.State) -> [String] {
        state.frames.filter { $0.opcode == 0x1 }.map(\.text)
    }

    static func objects(_ texts: [String]) -> [[String: Any]] { Frames(texts).all }

    static func events(_ texts: [String]) -> [[String: Any]] { Frames(texts).events }

    /// The sale of a `new_sale` event.
    static func saleId(_ event: [String: Any]) -> String? {
        guard event["event"] as? String == "new_sale" else { return nil }
        return ((event["data"] as? [String: Any])?["sale"] as? [String: Any])?["id"] as? String
    }
}

private func setRole(_ client: some TestClientProtocol, _ owner: String, _ userId: String, _ role: String) async throws {
    let reply = try await client.call(.patch, "/api/users/\(userId)", token: owner, json: ["role": role])
    #expect(reply.status == .ok, "role: \(reply.json)")
}

private func buy(_ client: some TestClientProtocol, _ token: String, _ buyerId: String, _ productId: String) async throws -> String {
    let sale = try await client.call(.post, "/api/purchases", token: token, json: ["buyerId": buyerId, "items": [["productId": productId, "quantity": 1]]])
    #expect(sale.status == .created, "purchase: \(sale.json)")
    return try #require((sale.json["sale"] as? [String: Any])?["id"] as? String ?? sale.json["id"] as? String)
}

/// A long-poll's answer.
private struct PollAnswer: Sendable, CustomStringConvertible {
    let status: Int
    let body: Data
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var code: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var description: String { "\(status) \(String(decoding: body, as: UTF8.self))" }
}

/// A long-poll on its own connection (the test client has one, which a 20-second wait would hold).
private func longPoll(port: Int, token: String, query: String) async throws -> PollAnswer {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/changes?\(query)")
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
    let body = try await response.body.collect(upTo: 1 << 20)
    return PollAnswer(status: Int(response.status.code), body: Data(buffer: body))
}

/// An `/api/events` stream held open while the test changes the caller's session: every `data:`
/// line as it comes, and whether the stream has ended.
final class LiveEventStream: Sendable {
    private let state = NIOLockedValueBox<(texts: [String], ended: Bool)>(([], false))
    private let task: Task<Void, Never>

    init(port: Int, token: String, topics: String) {
        let state = self.state
        task = Task {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/events?topics=\(topics)")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
                var pending = ""
                for try await buffer in response.body {
                    pending += String(buffer: buffer)
                    while let newline = pending.firstIndex(of: "\n") {
                        let line = pending[..<newline]
                        // The opening `ready` (after `event: ready`) is not one of the stream's frames under test.
                        if line.hasPrefix("data: "), !line.hasPrefix(#"data: {"type":"ready""#) {
                            state.withLockedValue { $0.texts.append(String(line.dropFirst(6))) }
                        }
                        pending = String(pending[pending.index(after: newline)...])
                    }
                }
            } catch {}
            state.withLockedValue { $0.ended = true }
        }
    }

    var texts: [String] { state.withLockedValue { $0.texts } }

    /// Waits until `condition` holds of the lines so far and whether the stream ended, or fails the test after `seconds`.
    func wait(_ what: String, seconds: Double = 10, until condition: @escaping @Sendable ([String], Bool) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !state.withLockedValue({ condition($0.texts, $0.ended) }) {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out after \(seconds) s waiting for \(what); the stream had \(texts)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func stop() { task.cancel() }
}
