import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// Notifications (read one, read all, the `unread` filter), `PUT /api/products/{id}` and logout
/// over HTTP, each checked by what the records then hold.
@Suite(.timeLimit(.minutes(2))) struct NotificationProductAndLogoutRouteTests {
    static func titles(_ reply: Reply) -> [String] { reply.items.compactMap { $0["title"] as? String } }

    @Test func readingOneNotificationMarksItAndAnswersItsNewVersion() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let (_, admin, ana, bruno) = try await client.signInCast()
            let one = try await client.call(.post, "/api/notifications", token: admin.access, json: ["userId": ana.userId, "title": "Seu pedido chegou"])
            #expect(one.status == .created && one.json["reached"] as? Int == 1)
            let toBruno = try await client.call(.post, "/api/notifications", token: admin.access,
                                                 json: ["userId": bruno.userId, "title": "Fechado amanhã", "priority": "high"])
            #expect(toBruno.json["reached"] as? Int == 1)
            let second = try await client.call(.post, "/api/notifications", token: admin.access, json: ["userId": ana.userId, "title": "Promoção"])
            #expect(second.status == .created)

            let unread = try await client.call(.get, "/api/notifications?unread=true", token: ana.access)
            #expect(Self.titles(unread) == ["Promoção", "Seu pedido chegou"] && unread.json["unread"] as? Int == 2, "\(unread.json)")
            let first = try #require(unread.items.last)
            let n = try #require(first["id"] as? String)
            let before = try #require(first["version"] as? Int)
            #expect(first["read"] as? Bool == false && first["userId"] as? String == ana.userId)

            // Not Bruno's to read.
            #expect(try await client.call(.post, "/api/notifications/\(n)/read", token: bruno.access).status == .notFound)
            let read = try await client.call(.post, "/api/notifications/\(n)/read", token: ana.access)
            #expect(read.status == .ok && read.json["id"] as? String == n && read.json["read"] as? Bool == true)
            #expect(read.json["title"] as? String == "Seu pedido chegou")
            let all = try await client.call(.get, "/api/notifications", token: ana.access)
            let listed = try #require(all.items.first { $0["id"] as? String == n })
            // Regression: this route answered `version: 0`.
            #expect(read.version > before && read.version == listed["version"] as? Int, "the answer's version is the record's: \(read.version)")
            #expect(listed["read"] as? Bool == true && all.json["unread"] as? Int == 1)
            #expect(Self.titles(try await client.call(.get, "/api/notifications?unread=true", token: ana.access)) == ["Promoção"])
            // Reading it again changes nothing.
            let again = try await client.call(.post, "/api/notifications/\(n)/read", token: ana.access)
            #expect(again.status == .ok && again.version == read.version)
            #expect(try await client.call(.get, "/api/notifications?unread=maybe", token: ana.access).status == .badRequest)
        }
        await server.discard()
    }

    @Test func theWordingIsServedToAnyoneAndAListedNotificationCarriesItsKindAndParameters() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let wording = try await client.call(.get, "/api/notifications/wording")
            #expect(wording.status == .ok)
            let kinds = try #require(wording.json["kinds"] as? [String: [String: [String: String]]])
            #expect(kinds["low_stock"]?["en"]?["title"] == "Low stock: {emoji} {product}" && kinds["low_stock"]?["pt"]?["title"] == "Estoque baixo: {emoji} {product}")
            #expect(kinds.count > 10 && kinds.values.allSatisfy { $0.keys.sorted() == ["en", "pt"] }, "\(kinds.keys.sorted())")

            let (_, admin, ana, _) = try await client.signInCast()
            _ = try await client.call(.post, "/api/notifications", token: admin.access, json: ["userId": ana.userId, "title": "Fechado amanhã", "body": "Feriado"])
            let listed = try #require(try await client.call(.get, "/api/notifications", token: ana.access).items.first)
            #expect(listed["kind"] as? String == "broadcast" && listed["params"] as? [String: String] == ["title": "Fechado amanhã", "body": "Feriado"])
            #expect(listed["title"] as? String == "Fechado amanhã" && listed["body"] as? String == "Feriado", "what an admin wrote stays as written")
        }
        await server.discard()
    }

    @Test func readAllMarksOnlyTheCallersNotificationsAndSaysHowMany() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let (_, admin, ana, bruno) = try await client.signInCast()
            for title in ["Um", "Dois", "Três"] {
                _ = try await client.call(.post, "/api/notifications", token: admin.access, json: ["userId": ana.userId, "title": title])
            }
            _ = try await client.call(.post, "/api/notifications", token: admin.access, json: ["userId": bruno.userId, "title": "Só do Bruno"])

            let marked = try await client.call(.post, "/api/notifications/read-all", token: ana.access)
            #expect(marked.status == .ok && marked.json["marked"] as? Int == 3)
            let ana1 = try await client.call(.get, "/api/notifications", token: ana.access)
            #expect(Self.titles(ana1) == ["Três", "Dois", "Um"] && ana1.items.allSatisfy { $0["read"] as? Bool == true })
            #expect(ana1.json["unread"] as? Int == 0)
            #expect(try await client.call(.get, "/api/notifications?unread=true", token: ana.access).items.isEmpty)
            #expect(try await client.call(.post, "/api/notifications/read-all", token: ana.access).json["marked"] as? Int == 0)
            let brunos = try await client.call(.get, "/api/notifications?unread=true", token: bruno.access)
            #expect(Self.titles(brunos) == ["Só do Bruno"] && brunos.json["unread"] as? Int == 1, "Ana's read-all leaves Bruno's alone")
        }
        await server.discard()
    }

    @Test func putChangesOnlyTheFieldsSentAndHonoursIfMatch() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let (owner, admin, ana, _) = try await client.signInCast()
            let created = try await client.call(.post, "/api/products", token: owner.access, json: [
                "name": "Coxinha", "emoji": "🥟", "category": "Salgados", "price": 650, "stock": 12, "lowStockThreshold": 5,
            ])
            let p = try #require(created.json["id"] as? String)
            let put = try await client.call(.put, "/api/products/\(p)", token: admin.access, json: ["name": "Coxinha grande", "price": 700],
                                            headers: [.ifMatch: "\(created.version)"])
            #expect(put.status == .ok && put.json["name"] as? String == "Coxinha grande" && put.json["price"] as? Int == 700, "\(put.json)")
            #expect(put.json["emoji"] as? String == "🥟" && put.json["category"] as? String == "Salgados" && put.json["stock"] as? Int == 12)
            #expect(put.json["lowStockThreshold"] as? Int == 5 && put.version == created.version + 1)
            let got = try await client.call(.get, "/api/products/\(p)", token: ana.access)
            #expect(got.json["name"] as? String == "Coxinha grande" && got.json["price"] as? Int == 700 && got.version == put.version)

            let stale = try await client.call(.put, "/api/products/\(p)", token: admin.access, json: ["price": 1],
                                              headers: [.ifMatch: "\(created.version)"])
            #expect(stale.status == .preconditionFailed && stale.error == "version_conflict", "\(stale.json)")
            #expect(try await client.call(.get, "/api/products/\(p)", token: ana.access).json["price"] as? Int == 700, "a stale PUT writes nothing")
            #expect(try await client.call(.put, "/api/products/\(p)", token: ana.access, json: ["price": 1]).status == .forbidden)
        }
        await server.discard()
    }

    @Test func logoutEndsThatDeviceOnlyAndItsTokensStop() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let phone = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let laptop = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            #expect(try await client.call(.get, "/api/auth/sessions", token: laptop.access).items.count == 2)

            #expect(try await client.call(.post, "/api/auth/logout").status == .unauthorized)
            let out = try await client.call(.post, "/api/auth/logout", token: phone.access)
            #expect(out.status == .noContent)
            let me = try await client.call(.get, "/api/auth/me", token: phone.access)
            #expect(me.status == .unauthorized && me.error == "session_ended")
            let refresh = try await client.call(.post, "/api/auth/refresh", json: ["refreshToken": phone.refresh])
            #expect(refresh.status == .unauthorized, "the logged-out device's refresh token is refused: \(refresh.json)")

            let stillIn = try await client.call(.get, "/api/auth/me", token: laptop.access)
            #expect(stillIn.status == .ok && (stillIn.json["user"] as? [String: Any])?["id"] as? String == laptop.userId)
            let sessions = try await client.call(.get, "/api/auth/sessions", token: laptop.access)
            #expect(sessions.items.count == 1 && sessions.items.first?["current"] as? Bool == true)
        }
        await server.discard()
    }
}
