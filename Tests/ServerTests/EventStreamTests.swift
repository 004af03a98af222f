import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Reads `/api/events` as an EventSource does: a streaming HTTP client that parses `id:` and
/// `data:` lines and stops once it has `count` events or five seconds pass.
struct EventSourceReader {
    struct Received: Sendable {
        /// The `id:` of each event, in order (what an EventSource keeps as its last event id).
        var ids: [String] = []
        /// Each event's `data:` line.
        var texts: [String] = []
        var headers: [(String, String)] = []
        /// The stream's opening `ready` frame (`event: ready`), with its `seq` and `epoch`.
        var ready: String?

        /// Each event's data parsed as JSON.
        var frames: [[String: Any]] { Frames(texts).all }
    }

    let port: Int

    func read(_ query: String, token: String, lastEventID: String? = nil, acceptEncoding: String? = nil, count: Int) async throws -> Received {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/events?\(query)")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        if let acceptEncoding { request.headers.add(name: "Accept-Encoding", value: acceptEncoding) }
        let prepared = request
        return try await withThrowingTaskGroup(of: Received?.self) { group in
            group.addTask {
                let response = try await HTTPClient.shared.execute(prepared, timeout: .seconds(10))
                var received = Received(headers: response.headers.map { ($0.name.lowercased(), $0.value) })
                #expect(response.status == .ok)
                var pending = ""
                var id: String?
                var name: String?
                for try await buffer in response.body {
                    pending += String(buffer: buffer)
                    while let newline = pending.firstIndex(of: "\n") {
                        let line = String(pending[..<newline])
                        pending = String(pending[pending.index(after: newline)...])
                        if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
                        if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                        if line.hasPrefix("data: "), name == "ready" {
                            // The stream's opening `ready` (seq, epoch), kept apart from the events.
                            received.ready = String(line.dropFirst(6))
                            name = nil
                        } else if line.hasPrefix("data: ") {
                            received.texts.append(String(line.dropFirst(6)))
                            if let id { received.ids.append(id) }
                            id = nil
                            if received.texts.count >= count { return received }
                        }
                    }
                }
                return received
            }
            group.addTask {
                // A deadline, not a speed check: generous for a loaded two-core machine.
                try await Task.sleep(for: .seconds(30))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return try #require(first, "fewer than \(count) events within 30 seconds")
        }
    }
}

/// The WebSocket's fallbacks give the same events as the socket, with the same filter and resume.
@Suite(.timeLimit(.minutes(1))) struct EventStreamTests {
    /// An event as the three channels are compared: its sequence and name.
    static func keys(_ frames: [[String: Any]]) -> [String] {
        frames.filter { $0["type"] as? String == "event" }.map { "\($0["seq"] as? Int ?? -1):\($0["event"] as? String ?? "?")" }
    }

    /// Long-polls `/api/changes` from `since` until `count` events have come.
    static func longPoll(_ client: any TestClientProtocol, since: UInt64, token: String, count: Int) async throws -> [[String: Any]] {
        var events: [[String: Any]] = []
        var next = Int(since)
        for _ in 0..<20 where events.count < count {
            let page = try await client.call(.get, "/api/changes?since=\(next)&topics=sales,inventory&wait=2", token: token)
            #expect(page.status == .ok)
            events += page.json["events"] as? [[String: Any]] ?? []
            next = try #require(page.json["next"] as? Int)
        }
        return events
    }

    @Test func serverSentEventsLongPollAndTheSocketDeliverTheSameSequencePerRole() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, port in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let admin = try await client.signIn(telegramId: 2_000, firstName: "Adão")
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let bruno = try await client.signIn(telegramId: 4_000, firstName: "Bruno")
            _ = try await client.call(.patch, "/api/users/\(admin.userId)", token: owner.access, json: ["role": "admin"])
            // One product per purchase, so no queued inventory_update can supersede another.
            var products: [String] = []
            for name in ["Pastel", "Coxinha", "Suco", "Bolo"] {
                let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": name, "price": 700, "stock": 10])
                products.append(try #require(created.json["id"] as? String))
            }
            let since = server.shop.feedHead
            let buyers = [ana.userId, bruno.userId, ana.userId, bruno.userId]

            // Two purchases before anyone listens (replayed from history), two while they listen (live).
            func buy(_ i: Int) async throws {
                let sale = try await client.call(.post, "/api/purchases", token: admin.access,
                                                 json: ["buyerId": buyers[i], "items": [["productId": products[i], "quantity": 1]]])
                #expect(sale.status == .created)
            }
            try await buy(0)
            try await buy(1)
            let reader = EventSourceReader(port: port)
            // Per purchase: new_sale, debt_update and inventory_update for an admin; Ana sees
            // her own two sales and debts and all four stock changes.
            let adminCount = 12, anaCount = 8
            let subscribe = #"{"type":"subscribe","topics":["sales","inventory"],"since":\#(since)}"#
            let adminSocket = FrameCollector(), anaSocket = FrameCollector()
            async let adminStream = reader.read("since=\(since)&topics=sales,inventory", token: admin.access, acceptEncoding: "gzip", count: adminCount)
            async let anaStream = reader.read("since=\(since)&topics=sales,inventory", token: ana.access, count: anaCount)
            async let adminWS: Void = webSocket(port: port, token: admin.access, send: [subscribe], into: adminSocket) {
                await adminSocket.eventCount() >= adminCount
            }
            async let anaWS: Void = webSocket(port: port, token: ana.access, send: [subscribe], into: anaSocket) {
                await anaSocket.eventCount() >= anaCount
            }
            // The two streams and the two sockets are subscribed: what follows is live for all four.
            try await server.waitForSubscribers(4)
            try await buy(2)
            try await buy(3)
            let (adminSSE, anaSSE) = try await (adminStream, anaStream)
            try await adminWS
            try await anaWS
            let adminPoll = try await Self.longPoll(client, since: since, token: admin.access, count: adminCount)
            let anaPoll = try await Self.longPoll(client, since: since, token: ana.access, count: anaCount)

            let adminKeys = Self.keys(adminSSE.frames)
            #expect(adminKeys.count == adminCount)
            #expect(adminKeys == Self.keys(Frames(await adminSocket.received()).all))
            #expect(adminKeys == Self.keys(adminPoll))
            let anaKeys = Self.keys(anaSSE.frames)
            #expect(anaKeys.count == anaCount)
            #expect(anaKeys == Self.keys(Frames(await anaSocket.received()).all))
            #expect(anaKeys == Self.keys(anaPoll))

            // The filter: the admin sees every new_sale, Ana only her own.
            func buyersOfSales(_ frames: [[String: Any]]) -> [String] {
                frames.filter { $0["event"] as? String == "new_sale" }
                    .compactMap { (($0["data"] as? [String: Any])?["sale"] as? [String: Any])?["buyerId"] as? String }
            }
            #expect(buyersOfSales(adminSSE.frames) == buyers)
            #expect(buyersOfSales(anaSSE.frames) == [ana.userId, ana.userId])
            #expect(anaSSE.frames.filter { $0["event"] as? String == "inventory_update" }.count == 4)
            // Each event's SSE id is its sequence; a stream is never compressed.
            #expect(adminSSE.ids == adminSSE.frames.map { String($0["seq"] as? Int ?? -1) })
            #expect(!adminSSE.headers.contains { $0.0 == "content-encoding" })
            #expect(adminSSE.headers.contains { $0.0 == "content-type" && $0.1.hasPrefix("text/event-stream") })
        }
        await server.discard()
    }

    @Test func anEventSourceResumesWithLastEventIDAfterWritesItMissed() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, port in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Suco", "price": 500, "stock": 100])
            let product = try #require(created.json["id"] as? String)
            let since = server.shop.feedHead
            func restock() async throws {
                _ = try await client.call(.post, "/api/products/\(product)/stock", token: owner.access, json: ["delta": 1, "reason": "restock"])
            }
            for _ in 0..<3 { try await restock() }
            let reader = EventSourceReader(port: port)
            let first = try await reader.read("since=\(since)&topics=inventory", token: owner.access, count: 3)
            #expect(first.frames.compactMap { ($0["data"] as? [String: Any])?["stock"] as? Int } == [101, 102, 103])
            let lastId = try #require(first.ids.last)

            // Disconnected, the client misses two restocks; it reconnects as an EventSource
            // does: the same URL (the old `since`) and the last id it saw in Last-Event-ID.
            for _ in 0..<2 { try await restock() }
            let resumed = try await reader.read("since=\(since)&topics=inventory", token: owner.access, lastEventID: lastId, count: 2)
            #expect(resumed.frames.compactMap { ($0["data"] as? [String: Any])?["stock"] as? Int } == [104, 105])
            #expect(resumed.ids.allSatisfy { Int($0)! > Int(lastId)! })
            // And without the header, `since` alone replays from where it says.
            let again = try await reader.read("since=\(lastId)&topics=inventory", token: owner.access, count: 2)
            #expect(again.ids == resumed.ids)
        }
        await server.discard()
    }
}
