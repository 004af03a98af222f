import Foundation
import HummingbirdTesting
import Realtime
import Shop
@testable import Server
import Testing

// A hang guard of three minutes: 2,000 forty-line purchases behind a stalled reader take most
// of one on a loaded two-core machine.
/// What the server does with WebSocket peers that stop keeping up or go away, over real sockets.
@Suite(.timeLimit(.minutes(3))) struct SocketLivenessTests {
    /// The owner's access token and a buyer, made straight in the shop.
    private static func owner(_ server: LiveServer) async throws -> (token: String, buyer: UInt64) {
        let tokens = try await server.shop.signIn(TelegramIdentity(telegramId: LiveServer.ownerTelegramId, firstName: "Olga"),
                                                  device: "test", via: .anonymous(via: .rest))
        let buyer = try await server.shop.execute(SeeTelegramUser(identity: .init(telegramId: 3_000, firstName: "Ana")), as: .system())
        return (tokens.accessToken, buyer.id)
    }

    @Test func aStalledReaderIsCutOffWithoutSlowingAHealthyOne() async throws {
        var hubConfiguration = HubConfiguration()
        // Room for the healthy reader to fall behind on a loaded machine; the stalled one still overflows it.
        hubConfiguration.queueLimit = 256
        let server = try await LiveServer.make(hub: hubConfiguration, heartbeat: .seconds(3_600))
        let (token, buyer) = try await Self.owner(server)
        // Sales of many lines make big frames, so the kernel's socket buffers fill after a few hundred.
        var products: [LineItem] = []
        for n in 0..<40 {
            let product = try await server.shop.execute(CreateProduct(name: "Salgado \(n)", price: 600, stock: 100_000), as: .system())
            products.append(LineItem(productId: product.id, quantity: 1))
        }
        let lines = products
        let sales = 2_000
        // No heartbeat within the test: the stalled peer answers no ping, and on a loaded machine the
        // 2,000 purchases outlast two beats, after which the heartbeat (not the queue) would close it.
        try await server.run { _, port in
            let stalled = try await RawWebSocket.connect(port: port, token: token)
            try await stalled.send(#"{"type":"subscribe","topics":["sales"]}"#)
            try await stalled.wait("the stalled subscription") { _ in server.hub.subscriberCount == 1 }
            try await stalled.setReading(false)

            let healthy = FrameCollector()
            async let healthySocket: Void = webSocket(port: port, token: token, send: [#"{"type":"subscribe","topics":["sales"]}"#], into: healthy,
                                                      seconds: 150) {
                await healthy.received().filter { $0.contains(#""event":"new_sale""#) }.count >= sales
            }
            try await stalled.wait("the healthy subscription") { _ in server.hub.subscriberCount == 2 }
            for _ in 0..<sales {
                _ = try await server.shop.execute(Buy(buyerId: buyer, items: lines), as: .system())
            }
            try await healthySocket

            // The healthy reader got every sale, in commit order, and was never cut off.
            let events = Frames(await healthy.received()).events.filter { $0["event"] as? String == "new_sale" }
            #expect(events.count == sales)
            let sequences = events.compactMap { $0["seq"] as? Int }
            #expect(sequences == sequences.sorted() && Set(sequences).count == sales)
            #expect(!(await healthy.received()).contains { $0.contains(#""type":"resync""#) })
            // The stalled one (only it) was cut off…
            #expect(server.hub.statistics.slowConsumersCut == 1)

            // …and once it reads again it finds, after what fitted in the buffers, the resync and a 1008 close.
            try await stalled.setReading(true)
            try await stalled.wait("the close frame", seconds: 30) { $0.frames.contains { $0.opcode == 0x8 } }
            let frames = stalled.frames
            let close = try #require(frames.last { $0.opcode == 0x8 })
            #expect(close.closeCode == 1008)
            let lastText = try #require(frames.last { $0.opcode == 0x1 })
            #expect(lastText.text == #"{"type":"resync","reason":"slow_consumer","epoch":"\#(server.hub.epoch)"}"#)
            let delivered = frames.filter { $0.opcode == 0x1 && $0.text.contains(#""event":"new_sale""#) }.count
            #expect(delivered < sales)
            await stalled.close()
        }
        await server.discard()
    }

    @Test func theHeartbeatClosesASilentPeerAndKeepsOneThatAnswers() async throws {
        let server = try await LiveServer.make(heartbeat: .seconds(10))
        let (token, _) = try await Self.owner(server)
        // Beats far enough apart that the answering client, starved while the whole suite starts at
        // once on two cores, still answers a ping before the next one (at 200 ms it sometimes did
        // not, at 2 s it once did not beside a sanitizer build, and at 6 s it once did not in a
        // full run beside a release build).
        try await server.run { _, port in
            // This peer never answers the pings (nor sends anything else) once subscribed.
            let silent = try await RawWebSocket.connect(port: port, token: token)
            try await silent.send(#"{"type":"subscribe","topics":["inventory"],"since":0}"#)
            try await silent.wait("the silent subscription") { _ in server.hub.subscriberCount == 1 }

            // This one's client answers pings; it stays connected across many beats.
            let answering = FrameCollector()
            // Generous time limits: the whole suite starts at once on two cores, and this must not race it.
            async let answeringSocket: Void = webSocket(port: port, token: token, send: [#"{"type":"subscribe","topics":["inventory"]}"#],
                                                        into: answering, seconds: 30) {
                let ready = (await answering.received()).contains { $0.contains(#""type":"ready""#) }
                return ready && silent.isClosed && server.hub.subscriberCount == 1
            }
            try await silent.wait("the server to close the silent peer", seconds: 30) { $0.closed }
            try await answeringSocket
            // It was pinged (at least once) before being closed; its subscription ended with it.
            #expect(silent.frames.contains { $0.opcode == 0x9 })

            let pong = FrameCollector()
            try await webSocket(port: port, token: token, send: [#"{"type":"ping"}"#], into: pong) {
                (await pong.received()).contains { $0.contains(#""type":"pong""#) }
            }
            #expect((await pong.received()).contains { $0.contains(#""type":"pong""#) })
        }
        await server.discard()
    }

    /// A connection's first read buffer is small (``WebSocketServerChannel/firstReadBufferSize``):
    /// an upgrade request several times its size, and messages larger still, take more reads
    /// and are served as any other.
    @Test func anUpgradeAndMessagesLargerThanTheFirstReadBufferAreServed() async throws {
        let server = try await LiveServer.make()
        let (token, _) = try await Self.owner(server)
        try await server.run { _, port in
            let padding = (0..<24).map { "X-Padding-\($0): \(String(repeating: "p", count: 120))\r\n" }.joined()
            #expect(padding.utf8.count > 4 * WebSocketServerChannel.firstReadBufferSize)
            let socket = try await RawWebSocket.connect(port: port, token: token, receiveBuffer: 1 << 20, extraHeaders: padding)
            try await socket.wait("ready", seconds: 30) { $0.frames.contains { $0.text.contains(#""type":"ready""#) } }
            // 40 KB: one frame over many reads (unknown fields of a message are ignored).
            try await socket.send(#"{"type":"ping","padding":"\#(String(repeating: "q", count: 40 << 10))"}"#)
            try await socket.wait("pong", seconds: 30) { $0.frames.contains { $0.text.contains(#""type":"pong""#) } }
            #expect(!socket.frames.contains { $0.opcode == 0x8 })
            await socket.close()
        }
        await server.discard()
    }

    @Test func aSocketThatNeverSignsInIsClosedAtTheDeadlineAndOneThatDoesStays() async throws {
        let server = try await LiveServer.make(signInDeadline: .seconds(3))
        let (token, _) = try await Self.owner(server)
        // Long enough that signing in by message beats it even while the whole suite runs at once.
        try await server.run { _, port in
            let silent = try await RawWebSocket.connect(port: port, token: nil)
            let connected = ContinuousClock.now
            let signedIn = try await RawWebSocket.connect(port: port, token: nil)
            try await signedIn.send(#"{"type":"auth","token":"\#(token)"}"#)
            try await signedIn.wait("ready", seconds: 30) { $0.frames.contains { $0.text.contains(#""type":"ready""#) } }

            try await silent.wait("the deadline's close", seconds: 30) { $0.frames.contains { $0.opcode == 0x8 } }
            #expect(silent.frames.first?.text.contains(#""code":"not_authenticated""#) == true)
            #expect(silent.frames.last { $0.opcode == 0x8 }?.closeCode == 1008)
            // Past its own deadline (real time must pass for that: 3 s from its connection, and a
            // margin), the signed-in socket is still served.
            try await Task.sleep(until: connected + .seconds(3) + .milliseconds(300))
            try await signedIn.send(#"{"type":"ping"}"#)
            try await signedIn.wait("pong", seconds: 30) { $0.frames.contains { $0.text.contains(#""type":"pong""#) } }
            #expect(!signedIn.frames.contains { $0.opcode == 0x8 })
            await silent.close()
            await signedIn.close()
        }
        await server.discard()
    }
}
