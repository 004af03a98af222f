import Foundation
import HTTPTypes
import HummingbirdTesting
import HummingbirdWSClient
import HummingbirdWSCompression
import Logging
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
            // Once both subscriptions are registered, buy for Bruno over REST.
            try await server.waitForSubscribers(2)
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
            let since = server.shop.feedHead
            // Writes happen while nobody is connected…
            for _ in 0..<5 {
                _ = try await client.call(.post, "/api/products/\(productId)/stock", token: owner.access, json: ["delta": 1, "reason": "restock"])
            }
            // …and the reconnecting client asks for everything after what it had seen.
            let frames = FrameCollector()
            try await webSocket(port: port, token: owner.access,
                                send: [#"{"type":"subscribe","topics":["inventory"],"since":\#(since)}"#], into: frames, compressed: true) {
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

@Suite(.timeLimit(.minutes(1))) struct WebSocketCommandTests {
    @Test func commandsOverTheSocketGiveTheSameResultsAsREST() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, port in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Pastel", "price": 700, "stock": 5])
            let p = try #require(created.json["id"] as? String)
            let frames = FrameCollector()
            try await webSocket(port: port, token: owner.access, send: [
                #"{"type":"command","id":"c1","command":"buy","params":{"buyerId":"\#(ana.userId)","items":[{"productId":"\#(p)","quantity":2}]}}"#,
                #"{"type":"command","id":"c2","command":"buy","params":{"buyerId":"\#(ana.userId)","items":[{"productId":"\#(p)","quantity":9}]}}"#,
                #"{"type":"command","id":"c3","command":"buy","params":{"buyerId":"\#(ana.userId)"}}"#,
                #"{"type":"command","id":"c4","command":"launchRocket","params":{}}"#,
                #"{"type":"ping"}"#,
            ], into: frames) {
                Frames(await frames.received()).all.filter { ["result", "error", "pong"].contains($0["type"] as? String ?? "") }.count >= 5
            }
            let replies = Frames(await frames.received()).all
            func reply(_ id: String) -> [String: Any]? { replies.first { $0["id"] as? String == id } }
            #expect(reply("c1")?["type"] as? String == "result" && reply("c1")?["ok"] as? Bool == true)
            let saleId = (reply("c1")?["data"] as? [String: Any])?["saleId"] as? String
            #expect(saleId?.hasPrefix("s") == true)
            #expect(reply("c2")?["type"] as? String == "error" && reply("c2")?["code"] as? String == "insufficient_stock")
            #expect(reply("c3")?["code"] as? String == "invalid_input")
            #expect(reply("c4")?["code"] as? String == "unknown_command")
            #expect(replies.contains { $0["type"] as? String == "pong" })
            // The sale made over the socket is the one REST shows.
            let sales = try await client.call(.get, "/api/sales", token: ana.access)
            #expect((sales.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [saleId].compactMap { $0 })

            // A user's commands keep their role's limits.
            let userFrames = FrameCollector()
            try await webSocket(port: port, token: ana.access, send: [
                #"{"type":"command","id":"u1","command":"restock","params":{"productId":"\#(p)","quantity":5}}"#,
            ], into: userFrames) { Frames(await userFrames.received()).all.contains { $0["id"] as? String == "u1" } }
            #expect(Frames(await userFrames.received()).all.first { $0["id"] as? String == "u1" }?["code"] as? String == "forbidden")
        }
        await server.discard()
    }

    @Test func aClientResumesWithSinceAcrossAServerRestart() async throws {
        let first = try await LiveServer.make()
        let tokens = try await first.shop.signIn(TelegramIdentity(telegramId: LiveServer.ownerTelegramId, firstName: "Olga"),
                                                  device: "test", via: .anonymous(via: .rest))
        let product = try await first.shop.execute(CreateProduct(name: "Suco", price: 500, stock: 10), as: .system())
        let access = tokens.accessToken
        // Connected to the first server, the client sees one restock live…
        let seen = FrameCollector()
        try await first.run { client, port in
            async let socket: Void = webSocket(port: port, token: access, send: [#"{"type":"subscribe","topics":["inventory"]}"#], into: seen) {
                await seen.eventCount() >= 1
            }
            try await first.waitForSubscribers(1)
            _ = try await client.call(.post, "/api/products/\(product.publicId)/stock", token: access, json: ["delta": 1, "reason": "restock"])
            try await socket
        }
        let since = UInt64(Frames(await seen.received()).events.compactMap { $0["seq"] as? Int }.max() ?? 0)
        #expect(since > 0)
        // …the server stops (its store closes with it), starts again over the same folder, and
        // writes go on before the client is back.
        let second = try await LiveServer.reopen(first.folder)
        for _ in 0..<3 { try await second.shop.execute(Restock(productId: product.id, quantity: 1), as: .system()) }
        try await second.run { _, port in
            let frames = FrameCollector()
            try await webSocket(port: port, token: access, send: [#"{"type":"subscribe","topics":["inventory"],"since":\#(since)}"#], into: frames) {
                await frames.eventCount() >= 3
            }
            let events = Frames(await frames.received()).events
            #expect(events.compactMap { ($0["data"] as? [String: Any])?["stock"] as? Int } == [12, 13, 14])
            #expect(events.compactMap { $0["seq"] as? Int }.allSatisfy { $0 > Int(since) })
        }
        await second.discard()
    }
}

@Suite(.timeLimit(.minutes(1))) struct WebSocketFrameLimitTests {
    @Test func compressedMessagesAreInflatedAndOnesTooBigAfterInflatingAreRefused() async throws {
        let server = try await LiveServer.make()
        let tokens = try await server.shop.signIn(TelegramIdentity(telegramId: LiveServer.ownerTelegramId, firstName: "Olga"),
                                                  device: "test", via: .anonymous(via: .rest))
        try await server.run { _, port in
            // Every message this client sends is compressed.
            let configuration = WebSocketClientConfiguration(extensions: [.perMessageDeflate(minFrameSizeToCompress: 1)])
            let replies = FrameCollector()
            let close = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws?token=\(tokens.accessToken)", configuration: configuration,
                                                          logger: Logger(label: "ws-test")) { inbound, outbound, _ in
                var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                try await outbound.write(.text(#"{"type":"ping"}"#))
                while case .text(let text)? = try await messages.next() {
                    await replies.add(text)
                    if text.contains("pong") { break }
                }
                // 200 KB of spaces compress to a few hundred bytes but inflate past the 64 KB cap.
                try await outbound.write(.text(#"{"type":"ping","pad":""# + String(repeating: " ", count: 200_000) + #""}"#))
                while try await messages.next() != nil {}
            }
            let kinds = Frames(await replies.received()).all.compactMap { $0["type"] as? String }
            #expect(kinds == ["ready", "pong"])
            #expect(close?.closeCode == .messageTooLarge)
        }
        await server.discard()
    }

    @Test func aFrameOverTheMessageLimitClosesTheSocketWith1009() async throws {
        let server = try await LiveServer.make()
        let tokens = try await server.shop.signIn(TelegramIdentity(telegramId: LiveServer.ownerTelegramId, firstName: "Olga"),
                                                  device: "test", via: .anonymous(via: .rest))
        try await server.run { _, port in
            let socket = try await RawWebSocket.connect(port: port, token: tokens.accessToken)
            try await socket.send(#"{"type":"ping","pad":""# + String(repeating: "x", count: 70_000) + #""}"#)
            try await socket.wait("the close frame", seconds: 30) { $0.frames.contains { $0.opcode == 0x8 } }
            #expect(socket.frames.last { $0.opcode == 0x8 }?.closeCode == 1009)
            #expect(!socket.frames.contains { $0.text.contains("pong") })
            await socket.close()
        }
        await server.discard()
    }

    /// The frame decoder's refusals other than size: the connection answers them itself (the
    /// pipeline has no protocol-error handler), with 1002 and a close.
    @Test(arguments: [(opcode: UInt8(0x9), fin: false, size: 4), (opcode: UInt8(0x9), fin: true, size: 200)])
    func aFragmentedOrLongControlFrameClosesTheSocketWith1002(_ frame: (opcode: UInt8, fin: Bool, size: Int)) async throws {
        let server = try await LiveServer.make()
        let tokens = try await server.shop.signIn(TelegramIdentity(telegramId: LiveServer.ownerTelegramId, firstName: "Olga"),
                                                  device: "test", via: .anonymous(via: .rest))
        try await server.run { _, port in
            let socket = try await RawWebSocket.connect(port: port, token: tokens.accessToken)
            try await socket.wait("ready", seconds: 30) { $0.frames.contains { $0.text.contains(#""type":"ready""#) } }
            try await socket.send(opcode: frame.opcode, fin: frame.fin, Array(repeating: UInt8(ascii: "p"), count: frame.size))
            try await socket.wait("the close frame", seconds: 30) { $0.frames.contains { $0.opcode == 0x8 } }
            #expect(socket.frames.last { $0.opcode == 0x8 }?.closeCode == 1002)
            await socket.close()
        }
        await server.discard()
    }

    @Test func unsubscribingFromATopicStopsItsEventsAndKeepsTheOthers() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, port in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Pastel", "price": 700, "stock": 5])
            let productId = try #require(created.json["id"] as? String)
            let socket = try await RawWebSocket.connect(port: port, token: owner.access)
            try await socket.send(#"{"type":"subscribe","topics":["sales","inventory"]}"#)
            try await server.waitForSubscribers(1)
            try await socket.send(#"{"type":"unsubscribe","topics":["inventory"]}"#)
            // The unsubscribe is handled before the ping that follows it: after the pong, it holds.
            try await socket.send(#"{"type":"ping"}"#)
            try await socket.wait("pong") { $0.frames.contains { $0.text.contains(#""type":"pong""#) } }
            let sale = try await client.call(.post, "/api/purchases", token: owner.access,
                                             json: ["buyerId": ana.userId, "items": [["productId": productId, "quantity": 2]]])
            #expect(sale.status == .created)
            try await socket.wait("the sale's debt_update") { $0.frames.contains { $0.text.contains(#""event":"debt_update""#) } }
            let events = Frames(socket.frames.filter { $0.opcode == 0x1 }.map(\.text)).events
            #expect(events.compactMap { $0["event"] as? String } == ["new_sale", "debt_update"], "no inventory_update after the unsubscribe")
            await socket.close()
        }
        await server.discard()
    }
}
