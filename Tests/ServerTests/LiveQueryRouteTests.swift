import Foundation
import HummingbirdTesting
import Testing

/// Live queries over the socket's `watch` message and SSE's `watch=` parameter: the snapshot,
/// then diffs as REST writes land; refusals name the watch and the field.
@Suite(.timeLimit(.minutes(2))) struct LiveQueryRouteTests {
    static let lowStock = #"{"type":"watch","id":"low","collection":"products","filter":{"and":[{"field":"active","eq":true},{"field":"stock","lte":{"field":"lowStockThreshold"}}]},"order":{"field":"stock"},"limit":20}"#

    @Test func aSocketWatchesAQueryGetsItsSnapshotThenADiffPerCommitUntilItUnwatches() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, port in
            let cast = try await client.signInCast()
            let coxinha = try await client.call(.post, "/api/products", token: cast.owner.access,
                                                json: ["name": "Coxinha", "price": 650, "stock": 4, "lowStockThreshold": 2])
            let coxinhaId = try #require(coxinha.json["id"] as? String)
            let frames = FrameCollector()
            try await webSocket(port: port, token: cast.admin.access, send: [Self.lowStock], into: frames) {
                Frames(await frames.received()).all.contains { $0["type"] as? String == "query_snapshot" }
            }
            let snapshot = try #require(Frames(await frames.received()).all.first { $0["type"] as? String == "query_snapshot" })
            #expect(snapshot["id"] as? String == "low")
            #expect((snapshot["records"] as? [Any])?.isEmpty == true)
            #expect(snapshot["epoch"] as? String == server.hub.epoch)

            // On a socket that stays open: the purchase that takes Coxinha to its threshold enters it,
            // then after `unwatch` the next purchase reaches the sales topic but no diff.
            let live = FrameCollector()
            let bought = Once()
            try await webSocket(port: port, token: cast.admin.access, send: [Self.lowStock], into: live) {
                let all = Frames(await live.received()).all
                if all.contains(where: { $0["type"] as? String == "query_snapshot" }), await bought.first() {
                    _ = try? await client.call(.post, "/api/purchases", token: cast.admin.access,
                                               json: ["buyerId": cast.ana.userId, "items": [["productId": coxinhaId, "quantity": 2]]])
                }
                return all.contains { $0["type"] as? String == "query_diff" }
            }
            let diff = try #require(Frames(await live.received()).all.first { $0["type"] as? String == "query_diff" })
            #expect(diff["id"] as? String == "low")
            #expect(((diff["enter"] as? [[String: Any]])?.map { $0["id"] as? String }) == [coxinhaId])
            #expect(((diff["enter"] as? [[String: Any]])?.first?["stock"] as? Int) == 2)

            let after = FrameCollector()
            let messages = [Self.lowStock, #"{"type":"unwatch","id":"low"}"#, #"{"type":"subscribe","topics":["sales"]}"#]
            let boughtAgain = Once()
            try await webSocket(port: port, token: cast.admin.access, send: messages, into: after) {
                // Once the socket follows the sales topic (its messages are handled in order, so
                // the unwatch came first). Stock 1 is still at most the threshold: a diff would
                // come were the query still watched.
                if server.hub.subscriberCount >= 1, await boughtAgain.first() {
                    _ = try? await client.call(.post, "/api/purchases", token: cast.admin.access,
                                               json: ["buyerId": cast.ana.userId, "items": [["productId": coxinhaId, "quantity": 1]]])
                }
                return Frames(await after.received()).all.contains { $0["event"] as? String == "new_sale" }
            }
            #expect(!Frames(await after.received()).all.contains { $0["type"] as? String == "query_diff" })
        }
        await server.discard()
    }

    @Test func aBadWatchIsAnErrorNamingTheWatchAndTheFieldAndTheSocketGoesOn() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, port in
            let cast = try await client.signInCast()
            let frames = FrameCollector()
            let bad = [
                #"{"type":"watch","id":"a","collection":"products","limit":9999}"#,
                #"{"type":"watch","id":"b","collection":"products","filter":{"field":"stock","eq":"x"}}"#,
                #"{"type":"watch","id":"c","collection":"users"}"#,
                #"{"type":"watch","id":"bad id!","collection":"products"}"#,
                #"{"type":"ping"}"#,
            ]
            try await webSocket(port: port, token: cast.ana.access, send: bad, into: frames) {
                Frames(await frames.received()).all.contains { $0["type"] as? String == "pong" }
            }
            let errors = Frames(await frames.received()).all.filter { $0["type"] as? String == "error" }
            #expect(errors.map { $0["id"] as? String } == ["a", "b", "c", nil])
            #expect(errors.map { $0["code"] as? String } == ["invalid_input", "invalid_input", "forbidden", "invalid_input"])
            #expect(errors.map { $0["field"] as? String } == ["limit", "filter.eq", nil, "id"])
        }
        await server.discard()
    }

    @Test func serverSentEventsCarryTheSameWatchesAndRefuseABadOneWith422BeforeStreaming() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, port in
            let cast = try await client.signInCast()
            let created = try await client.call(.post, "/api/products", token: cast.owner.access, json: ["name": "Pastel", "price": 700, "stock": 10])
            let pastelId = try #require(created.json["id"] as? String)
            let watch = #"{"id":"mine","collection":"sales","order":{"field":"at","direction":"desc"},"limit":5}"#
            let query = "watch=" + watch.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            async let stream = EventSourceReader(port: port).read(query, token: cast.ana.access, count: 2)
            try await server.waitForWatchers(1)
            let sale = try await client.call(.post, "/api/purchases", token: cast.admin.access,
                                             json: ["buyerId": cast.ana.userId, "items": [["productId": pastelId, "quantity": 1]]])
            #expect(sale.status == .created)
            let frames = try await stream.frames
            #expect(frames.map { $0["type"] as? String } == ["query_snapshot", "query_diff"])
            #expect(((frames[1]["enter"] as? [[String: Any]])?.map { $0["id"] as? String }) == [sale.json["id"] as? String])

            let refused = try await client.call(.get, "/api/events?watch=" + #"{"id":"x","collection":"products","limit":0}"#
                .addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, token: cast.ana.access)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.errorField == "watch[0].limit")
        }
        await server.discard()
    }
}

/// True the first time it is asked, false after.
actor Once {
    private var asked = false

    func first() -> Bool {
        defer { asked = true }
        return !asked
    }
}
