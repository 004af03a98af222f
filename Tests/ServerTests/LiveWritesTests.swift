import Foundation
import NIOCore
@testable import Realtime
@testable import Server
import Testing

/// The per-loop writing of live frames: one encoding shared by the sockets of a pass that got the
/// same frames, and every socket a loop was handed written in that pass.
@Suite(.timeLimit(.minutes(1))) struct LiveWritesTests {
    private func event(_ seq: UInt64, _ name: String, _ data: String) -> Frame {
        Frame.event(HubEvent(sequence: seq, topic: .sales, name: name, data: Array(data.utf8), audience: .everyone,
                             at: Date(timeIntervalSince1970: 1_764_547_200)))
    }

    /// RFC 6455 §5.2: FIN + text opcode, the length (7 bits below 126), the payload.
    private func wire(_ frames: [Frame]) -> [UInt8] {
        frames.flatMap { [0x81, UInt8($0.bytes.count)] + $0.bytes }
    }

    private func base(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withUnsafeReadableBytes { $0.baseAddress }
    }

    @Test func socketsWithTheSameFramesShareOneEncodingAndOthersGetTheirOwn() {
        let sale = event(7, "new_sale", #"{"id":"s1"}"#)
        let stock = event(8, "inventory_update", #"{"stock":3}"#)
        var encoded = EncodedFrames()

        let owner = encoded.buffer(for: [sale, stock])
        let admin = encoded.buffer(for: [sale, stock])
        #expect(Array(owner.readableBytesView) == wire([sale, stock]))
        #expect(base(owner) == base(admin))  // the same bytes, not a copy

        // A socket that may see only the stock level, between two that see both.
        let user = encoded.buffer(for: [stock])
        #expect(Array(user.readableBytesView) == wire([stock]))
        let next = encoded.buffer(for: [sale, stock])
        #expect(Array(next.readableBytesView) == wire([sale, stock]))

        // Equal bytes are not enough: another frame object with the same text is encoded anew.
        let again = event(7, "new_sale", #"{"id":"s1"}"#)
        let other = encoded.buffer(for: [again, stock])
        #expect(base(other) != base(next))
        #expect(Array(other.readableBytesView) == wire([sale, stock]))
    }

    /// Thirty sockets on the server's loops, owners and users interleaved: the hub wakes them all
    /// for one purchase, each loop writes its share in one pass, and every socket gets exactly the
    /// frames its role may see (an owner's encoding is never handed to a user, or the reverse).
    @Test func everySocketOfAPassGetsExactlyItsOwnFrames() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, port in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let bruno = try await client.signIn(telegramId: 4_000, firstName: "Bruno")
            let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Pastel", "price": 700, "stock": 5])
            let productId = try #require(created.json["id"] as? String)

            let subscribe = #"{"type":"subscribe","topics":["sales","inventory"]}"#
            let sockets = (0..<30).map { n in (isOwner: n % 3 == 0, frames: FrameCollector()) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for socket in sockets {
                    group.addTask {
                        try await webSocket(port: port, token: socket.isOwner ? owner.access : ana.access, send: [subscribe],
                                            into: socket.frames) { await socket.frames.eventCount() >= (socket.isOwner ? 2 : 1) }
                    }
                }
                try await server.waitForSubscribers(sockets.count)
                let sale = try await client.call(.post, "/api/purchases", token: owner.access,
                                                 json: ["buyerId": bruno.userId, "items": [["productId": productId, "quantity": 2]]])
                #expect(sale.status == .created)
                try await group.waitForAll()
            }
            for socket in sockets {
                let names = Frames(await socket.frames.received()).events.compactMap { $0["event"] as? String }
                if socket.isOwner {
                    #expect(names.filter { $0 == "new_sale" }.count == 1 && names.filter { $0 == "inventory_update" }.count == 1)
                } else {
                    #expect(names == ["inventory_update"])  // Bruno's sale is not Ana's to see
                }
            }
        }
        await server.discard()
    }
}

extension EncodedFrames {
    /// What a pass writes for a socket that took `frames`.
    fileprivate mutating func buffer(for frames: [Frame]) -> ByteBuffer {
        taken.append(contentsOf: frames)
        defer { taken.removeAll(keepingCapacity: true) }
        return bufferForTaken()
    }
}
