import Foundation
import HTTPTypes
import HummingbirdTesting
import Shop
import Testing

@Suite(.timeLimit(.minutes(1))) struct WebSocketTests {
    @Test func aPurchaseOverRESTReachesEachSubscriberAsItsRoleAllows() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, port in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let bruno = try await client.signIn(telegramId: 4_000, firstName: "Bruno")
            let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Pastel", "price": 700, "stock": 5])
            let productId = try #require(created.json["id"] as? String)

            let ownerFrames = FrameCollector(), anaFrames = FrameCollector()
            let subscribe = #"{"type":"subscribe","topics":["sales","inventory"]}"#
            async let ownerSocket: Void = webSocket(port: port, token: owner.access, send: [subscribe], into: ownerFrames) {
                await ownerFrames.eventCount() >= 2
            }
            async let anaSocket: Void = webSocket(port: port, token: ana.access, send: [subscribe], into: anaFrames) {
                await anaFrames.eventCount() >= 1
            }
            // Let both subscriptions register, then buy for Bruno over REST.
            try await Task.sleep(for: .milliseconds(300))
            let sale = try await client.call(.post, "/api/purchases", token: owner.access,
                                             json: ["buyerId": bruno.userId, "items": [["productId": productId, "quantity": 2]]])
            #expect(sale.status == .created)
            try await ownerSocket
            try await anaSocket

            let ownerEvents = Frames(await ownerFrames.received()).events
            #expect(Set(ownerEvents.compactMap { $0["event"] as? String }).isSuperset(of: ["new_sale", "inventory_update"]))
            let sequences = ownerEvents.compactMap { $0["seq"] as? Int }
            #expect(sequences == sequences.sorted())
            let anaEvents = Frames(await anaFrames.received()).events
            #expect(anaEvents.compactMap { $0["event"] as? String }.contains("inventory_update"))
            #expect(!anaEvents.contains { $0["event"] as? String == "new_sale" })  // Bruno's sale is not Ana's to see
            let ready = Frames(await ownerFrames.received()).all.first
            #expect(ready?["type"] as? String == "ready")
            let stock = anaEvents.first { $0["event"] as? String == "inventory_update" }?["data"] as? [String: Any]
            #expect(stock?["stock"] as? Int == 3)
        }
        await server.discard()
    }

    @Test func reconnectingWithSinceGetsExactlyTheMissedEvents() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, port in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Suco", "price": 500, "stock": 100])
            let productId = try #require(created.json["id"] as? String)
            let since = server.shop.environment.head
            // Writes happen while nobody is connected…
            for _ in 0..<5 {
                _ = try await client.call(.post, "/api/products/\(productId)/stock", token: owner.access, json: ["delta": 1, "reason": "restock"])
            }
            // …and the reconnecting client asks for everything after what it had seen.
            let frames = FrameCollector()
            try await webSocket(port: port, token: owner.access,
                                send: [#"{"type":"subscribe","topics":["inventory"],"since":\#(since)}"#], into: frames) {
                await frames.eventCount() >= 5
            }
            let stocks = Frames(await frames.received()).events.compactMap { ($0["data"] as? [String: Any])?["stock"] as? Int }
            #expect(stocks == [101, 102, 103, 104, 105])
            let sequences = Frames(await frames.received()).events.compactMap { $0["seq"] as? Int }
            #expect(sequences.allSatisfy { $0 > Int(since) } && sequences == sequences.sorted() && Set(sequences).count == sequences.count)
        }
        await server.discard()
    }

    @Test func aSocketWithoutAValidTokenIsRefused() async throws {
        let server = try await LiveServer.make()
        try await server.run { _, port in
            let frames = FrameCollector()
            try await webSocket(port: port, token: "not-a-token", send: [], into: frames) { await !frames.received().isEmpty }
            let first = Frames(await frames.received()).all.first
            #expect(first?["type"] as? String == "error" && first?["code"] as? String == "not_authenticated")
        }
        await server.discard()
    }
}
