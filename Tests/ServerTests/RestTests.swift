import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Shop
import Telegram
import Testing

@Suite(.timeLimit(.minutes(1))) struct RestTests {
    @Test func signInWithTelegramInitDataRefreshAndAskWhoIAm() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let me = try await client.call(.get, "/api/auth/me", token: owner.access)
            #expect(me.status == .ok && me.json["role"] as? String == "owner")
            #expect((me.json["commands"] as? [String])?.contains("backup") == true)

            let refreshed = try await client.call(.post, "/api/auth/refresh", json: ["refreshToken": owner.refresh])
            #expect(refreshed.status == .ok && refreshed.json["refreshToken"] as? String != owner.refresh)
            let reused = try await client.call(.post, "/api/auth/refresh", json: ["refreshToken": owner.refresh])
            #expect(reused.status == .unauthorized && reused.error == "not_authenticated")

            let tampered = LiveServer.initData(telegramId: 7, firstName: "Eva").replacingOccurrences(of: "Eva", with: "Evo")
            let refused = try await client.call(.post, "/api/auth/telegram", json: ["initData": tampered])
            #expect(refused.status == .unauthorized && refused.error == "invalid_hash")
            let forged = try await client.call(.get, "/api/auth/me", token: owner.access + "x")
            #expect(forged.status == .unauthorized)
            let anonymous = try await client.call(.get, "/api/auth/me")
            #expect(anonymous.status == .unauthorized && anonymous.error == "not_authenticated")
        }
        await server.discard()
    }

    @Test func productsAndPurchasesFollowTheContract() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")

            let created = try await client.call(.post, "/api/products", token: owner.access,
                                                json: ["name": "Coxinha", "emoji": "🥟", "price": 650, "stock": 10, "lowStockThreshold": 2])
            #expect(created.status == .created)
            let productId = try #require(created.json["id"] as? String)
            #expect(created.json["price"] as? Int == 650 && created.json["currency"] as? String == "BRL" && created.json["version"] as? Int == 2)

            let list = try await client.call(.get, "/api/products", token: ana.access)
            #expect(list.status == .ok && (list.json["items"] as? [[String: Any]])?.count == 1)
            #expect(list.json.keys.contains("next"))
            let byUser = try await client.call(.post, "/api/products", token: ana.access, json: ["name": "X", "price": 1])
            #expect(byUser.status == .forbidden && byUser.error == "forbidden")
            let bad = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "", "price": 1])
            #expect(bad.status == .badRequest && bad.error == "invalid_input" && bad.errorField == "name")
            let notJSON = try await client.call(.post, "/api/products", token: owner.access, text: "{oops")
            #expect(notJSON.status == .badRequest && notJSON.error == "invalid_input")

            // An idempotent retry writes once.
            let purchase: [String: Any] = ["buyerId": ana.userId, "items": [["productId": productId, "quantity": 3]]]
            let first = try await client.call(.post, "/api/purchases", token: owner.access, json: purchase, headers: [HTTPField.Name("Idempotency-Key")!: "k1"])
            let again = try await client.call(.post, "/api/purchases", token: owner.access, json: purchase, headers: [HTTPField.Name("Idempotency-Key")!: "k1"])
            #expect(first.status == .created && again.status == .created)
            #expect(first.json["id"] as? String == again.json["id"] as? String)
            #expect(first.json["total"] as? Int == 1_950)
            let product = try await client.call(.get, "/api/products/\(productId)", token: ana.access)
            #expect(product.json["stock"] as? Int == 7)

            let short = try await client.call(.post, "/api/purchase", token: owner.access,
                                              json: ["buyerId": ana.userId, "items": [["productId": productId, "quantity": 8]]])
            #expect(short.status == .conflict && short.error == "insufficient_stock")
            let items = (short.json["error"] as? [String: Any])?["items"] as? [[String: Any]]
            #expect(items?.first?["available"] as? Int == 7)

            // Two edits from the same version: one wins, the other gets 412.
            let version = try #require(product.json["version"] as? Int)
            let edit1 = try await client.call(.patch, "/api/products/\(productId)", token: owner.access, json: ["price": 700],
                                              headers: [.ifMatch: "\(version)"])
            let edit2 = try await client.call(.patch, "/api/products/\(productId)", token: owner.access, json: ["price": 800],
                                              headers: [.ifMatch: "\(version)"])
            #expect(edit1.status == .ok && edit2.status == .preconditionFailed && edit2.error == "version_conflict")

            let mine = try await client.call(.get, "/api/debts/me", token: ana.access)
            #expect(mine.json["amount"] as? Int == 1_950)
            let debts = try await client.call(.get, "/api/debts", token: ana.access)
            #expect(debts.status == .forbidden)
            let sales = try await client.call(.get, "/api/sales", token: ana.access)
            #expect((sales.json["items"] as? [[String: Any]])?.count == 1)
            let unknown = try await client.call(.get, "/api/nothing-here", token: ana.access)
            #expect(unknown.status == .notFound && unknown.error == "not_found")
            let health = try await client.call(.get, "/health")
            #expect(health.status == .ok && health.json["status"] as? String == "ok")
        }
        await server.discard()
    }
}

@Suite(.timeLimit(.minutes(1))) struct LimitTests {
    @Test func hugeBodiesAreRefusedWith413AndChangeNothing() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let huge = #"{"name":"X","price":1,"description":""# + String(repeating: "a", count: 2 << 20) + #""}"#
            let reply = try await client.call(.post, "/api/products", token: owner.access, text: huge)
            #expect(reply.status == .contentTooLarge && reply.error == "too_large", "\(reply.status) \(reply.json)")
            let list = try await client.call(.get, "/api/products", token: owner.access)
            #expect((list.json["items"] as? [Any])?.isEmpty == true)
        }
        await server.discard()
    }

    @Test func anAddressThatSendsTooFastIsToldToWait() async throws {
        let server = try await LiveServer.make(addressRateLimit: (burst: 5, perSecond: 0.05))
        // A token every 20 s: however slow a loaded machine makes the eight calls, none refills the bucket.
        try await server.run { client, _ in
            var statuses: [Int] = []
            for _ in 0..<8 { statuses.append(Int(try await client.call(.get, "/health").status.code)) }
            #expect(statuses.prefix(5).allSatisfy { $0 == 200 })
            #expect(statuses.suffix(3).allSatisfy { $0 == 429 })
            let limited = try await client.call(.get, "/health")
            #expect(limited.error == "rate_limited")
            #expect(limited.headers[.retryAfter].flatMap(Int.init).map { $0 >= 1 } == true)
        }
        await server.discard()
    }

    @Test func aUserWhoSendsTooFastIsToldToWaitWhileOthersAreNot() async throws {
        let server = try await LiveServer.make(configure: { $0.userRateLimit = (burst: 5, perSecond: 0.05) })
        // Five requests in a burst, then a token every 20 s: no bucket refills during the test.
        try await server.run { client, _ in
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let bia = try await client.signIn(telegramId: 3_001, firstName: "Bia")
            var statuses: [Int] = []
            for _ in 0..<7 { statuses.append(Int(try await client.call(.get, "/api/auth/me", token: ana.access).status.code)) }
            #expect(statuses == [200, 200, 200, 200, 200, 429, 429])
            let limited = try await client.call(.get, "/api/products", token: ana.access)
            #expect(limited.status == .tooManyRequests && limited.error == "rate_limited")
            #expect(limited.headers[.retryAfter].flatMap(Int.init).map { $0 >= 1 } == true)

            // Another user, and callers without a token from the same address, have buckets of their own.
            let other = try await client.call(.get, "/api/auth/me", token: bia.access)
            #expect(other.status == .ok)
            let anonymous = try await client.call(.get, "/health")
            #expect(anonymous.status == .ok)
            let signIn = try await client.call(.post, "/api/auth/telegram", json: ["initData": LiveServer.initData(telegramId: 3_002, firstName: "Caio")])
            #expect(signIn.status == .ok)
        }
        await server.discard()
    }

    @Test func theMiniAppsOriginGetsCORSAndOthersDoNot() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let allowed = try await client.call(.options, "/api/products", headers: [.origin: "https://miniapp.example", .accessControlRequestMethod: "GET"])
            #expect(allowed.status == .noContent)
            #expect(allowed.headers[.accessControlAllowOrigin] == "https://miniapp.example")
            #expect(allowed.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            let other = try await client.call(.get, "/health", headers: [.origin: "https://evil.example"])
            #expect(other.headers[.accessControlAllowOrigin] == nil)
        }
        await server.discard()
    }
}

@Suite(.timeLimit(.minutes(1))) struct MetricsTests {
    @Test func metricsCountRequestsByRouteAndShowTheHubAndStore() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            _ = try await client.call(.get, "/api/products", token: owner.access)
            _ = try await client.call(.get, "/api/products/p404", token: owner.access)
            let text = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(text.contains(#"tenda_http_requests_total{route="/api/products",method="GET",status="200"} 1"#))
            #expect(text.contains(#"tenda_http_requests_total{route="/api/products/{id}",method="GET",status="404"} 1"#))
            #expect(text.contains("tenda_http_request_duration_seconds_bucket{route=\"/api/auth/telegram\",le=\"+Inf\"} 1"))
            #expect(text.contains("tenda_store_feed_head "))
            #expect(text.contains("tenda_hub_frames_delivered_total "))
            #expect(text.contains(#"tenda_store_records{collection="users"} 1"#))
        }
        await server.discard()
    }
}

@Suite(.timeLimit(.minutes(1))) struct MediaTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 100)

    @Test func imagesUploadAsMultipartOrRawAndComeBackCacheable() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            var multipart = Array("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"recibo.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
            multipart += Self.png + Array("\r\n--XyZ--\r\n".utf8)
            let uploaded = try await client.execute(uri: "/api/media", method: .post, headers: [
                .authorization: "Bearer \(ana.access)", .contentType: "multipart/form-data; boundary=XyZ",
            ], body: ByteBuffer(bytes: multipart)) { response in
                (response.status, (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:])
            }
            #expect(uploaded.0 == .created && uploaded.1["contentType"] as? String == "image/png" && uploaded.1["size"] as? Int == 108)
            let url = try #require(uploaded.1["url"] as? String)
            let fetched = try await client.execute(uri: url, method: .get, headers: [.authorization: "Bearer \(ana.access)"]) { $0 }
            #expect(fetched.status == .ok && Array(buffer: fetched.body) == Self.png)
            #expect(fetched.headers[.contentType] == "image/png" && fetched.headers[.cacheControl]?.contains("immutable") == true)

            let raw = try await client.execute(uri: "/api/media", method: .post, headers: [
                .authorization: "Bearer \(ana.access)", .contentType: "image/png",
            ], body: ByteBuffer(bytes: Self.png)) { $0.status }
            #expect(raw == .created)
            let notAnImage = try await client.execute(uri: "/api/media", method: .post, headers: [
                .authorization: "Bearer \(ana.access)", .contentType: "application/octet-stream",
            ], body: ByteBuffer(string: "plainly not an image")) { $0.status }
            #expect(notAnImage == .badRequest)
            // A body declared as something an image cannot be is refused before it is read.
            let declaredJSON = try await client.call(.post, "/api/media", token: ana.access, text: "plainly not an image")
            #expect(declaredJSON.status == .unsupportedMediaType && declaredJSON.error == "unsupported_media_type")
            let anonymous = try await client.call(.get, url)
            #expect(anonymous.status == .unauthorized)
            let missing = try await client.call(.get, "/media/m0000", token: ana.access)
            #expect(missing.status == .notFound)
        }
        await server.discard()
    }
}

@Suite(.timeLimit(.minutes(1))) struct WidgetSignInTests {
    @Test func theLoginWidgetsSignedFieldsSignInAndTamperedOnesDoNot() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let fields = TelegramSigner.signLoginWidget(["id": "5000", "first_name": "Rita", "username": "rita",
                                                        "auth_date": String(Int(Date().timeIntervalSince1970))], botToken: LiveServer.botToken)
            var json: [String: Any] = fields
            json["id"] = 5_000  // the widget sends numbers as numbers
            let signedIn = try await client.call(.post, "/api/auth/widget", json: json)
            #expect(signedIn.status == .ok && (signedIn.json["user"] as? [String: Any])?["name"] as? String == "Rita")
            json["first_name"] = "Rito"
            let tampered = try await client.call(.post, "/api/auth/widget", json: json)
            #expect(tampered.status == .unauthorized && tampered.error == "invalid_hash")
        }
        await server.discard()
    }
}
