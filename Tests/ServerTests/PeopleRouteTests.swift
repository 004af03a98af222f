import Foundation
import HTTPTypes
import HummingbirdTesting
import Shop
import Testing

/// The owner's people routes and a person's data download on a real server: `POST /api/users`,
/// `PATCH /api/users/{id}` with name and Telegram id, `GET /api/me/export` and
/// `POST /api/users/{id}/erase`, after which the change feed replays nothing of the person.
@Suite(.timeLimit(.minutes(2))) struct PeopleRouteTests {
    /// The answer's JSON as text, to look for strings anywhere in it.
    static func text(_ reply: Reply) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: reply.json), as: UTF8.self)
    }

    @Test func theOwnerCreatesAndEditsUsersAndBadInputIsA4xx() async throws {
        try await IdempotentCommandTests.withShop { client, cast, _ in
            let created = try await client.call(.post, "/api/users", token: cast.owner.access,
                                                json: ["telegramId": 5_000, "name": "Carla Dias", "username": "@carla_d", "role": "admin"])
            #expect(created.status == .created, "\(created.json)")
            #expect(created.json["name"] as? String == "Carla Dias" && created.json["role"] as? String == "admin" && created.json["username"] as? String == "carla_d")
            let id = try #require(created.json["id"] as? String)

            let byAdmin = try await client.call(.post, "/api/users", token: cast.admin.access, json: ["telegramId": 5_001, "name": "X"])
            #expect(byAdmin.status == .forbidden && byAdmin.error == "forbidden")
            let twice = try await client.call(.post, "/api/users", token: cast.owner.access, json: ["telegramId": 5_000, "name": "Other"])
            #expect(twice.status == .conflict && twice.error == "already_exists" && twice.errorField == "telegramId", "\(twice.json)")
            for (body, field) in [(#"{"telegramId":0,"name":"X"}"#, "telegramId"), (#"{"telegramId":-5,"name":"X"}"#, "telegramId"),
                                  (#"{"telegramId":4503599627370496,"name":"X"}"#, "telegramId"), (#"{"telegramId":6000,"name":" "}"#, "name"),
                                  (#"{"telegramId":6000}"#, nil), (#"{"telegramId":"6000","name":"X"}"#, nil),
                                  (#"{"telegramId":6000,"name":"X","role":"king"}"#, "role"), (#"{"telegramId":6000,"name":"X","extra":1}"#, nil)] {
                let reply = try await client.call(.post, "/api/users", token: cast.owner.access, text: body)
                #expect(reply.status == .badRequest, "\(body): \(reply.status) \(reply.json)")
                if let field { #expect(reply.errorField == field, "\(body): \(reply.json)") }
            }

            let edited = try await client.call(.patch, "/api/users/\(id)", token: cast.owner.access,
                                               json: ["name": "Carla D.", "telegramId": 5_002, "role": "user"],
                                               headers: [.ifMatch: String(created.version)])
            #expect(edited.status == .ok && edited.json["name"] as? String == "Carla D." && edited.json["telegramId"] as? Int == 5_002, "\(edited.json)")
            let stale = try await client.call(.patch, "/api/users/\(id)", token: cast.owner.access, json: ["name": "Late"],
                                              headers: [.ifMatch: String(created.version)])
            #expect(stale.status == .preconditionFailed, "\(stale.json)")
            let taken = try await client.call(.patch, "/api/users/\(id)", token: cast.owner.access, json: ["telegramId": 3_000])
            #expect(taken.status == .conflict && taken.error == "already_exists", "\(taken.json)")
        }
    }

    @Test func aPersonDownloadsTheirDataAndTheOwnerErasesThemFromTheStoreAndTheFeed() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let cast = try await client.signInCast()
            let zuleica = try await client.signIn(telegramId: 987_654_321, firstName: "Zuleica")
            let product = try await client.call(.post, "/api/products", token: cast.owner.access, json: ["name": "Coxinha", "price": 650, "stock": 10])
            let p = try #require(product.json["id"] as? String)
            let sale = try await client.call(.post, "/api/purchases", token: cast.admin.access, json: ["buyerId": zuleica.userId, "items": [["productId": p, "quantity": 2]]])
            #expect(sale.status == .created)
            let payment = try await client.call(.post, "/api/payments", token: cast.admin.access,
                                                json: ["userId": zuleica.userId, "amount": 300, "method": "pix", "note": "Zuleica paid half"])
            #expect(payment.status == .created)
            let order = try await client.call(.post, "/api/orders", token: zuleica.access, json: ["items": [["productId": p, "quantity": 1]]])
            #expect(order.status == .created)

            let export = try await client.call(.get, "/api/me/export", token: zuleica.access)
            #expect(export.status == .ok, "\(export.json)")
            #expect((export.json["user"] as? [String: Any])?["name"] as? String == "Zuleica")
            #expect((export.json["user"] as? [String: Any])?["telegramId"] as? Int == 987_654_321)
            #expect((export.json["debt"] as? [String: Any])?["amount"] as? Int == 1_300 - 300)
            #expect((export.json["sales"] as? [[String: Any]])?.count == 1 && (export.json["payments"] as? [[String: Any]])?.count == 1)
            #expect((export.json["orders"] as? [[String: Any]])?.count == 1 && (export.json["ledger"] as? [[String: Any]])?.count == 2)
            #expect((export.json["sessions"] as? [[String: Any]])?.count == 1)
            #expect(!(try Self.text(export)).contains("secretHash"), "never a token's hash")
            let anas = try await client.call(.get, "/api/me/export", token: cast.ana.access)
            #expect((anas.json["sales"] as? [[String: Any]])?.isEmpty == true, "only the caller's own")

            let byAdmin = try await client.call(.post, "/api/users/\(zuleica.userId)/erase", token: cast.admin.access)
            #expect(byAdmin.status == .forbidden && byAdmin.error == "forbidden")
            let anAdmin = try await client.call(.post, "/api/users/\(cast.admin.userId)/erase", token: cast.owner.access)
            #expect(anAdmin.status == .unprocessableContent && anAdmin.error == "rule_broken", "\(anAdmin.json)")
            let erased = try await client.call(.post, "/api/users/\(zuleica.userId)/erase", token: cast.owner.access)
            #expect(erased.status == .ok, "\(erased.json)")
            #expect(erased.json["name"] as? String == "Erased customer \(zuleica.userId)" && erased.json["blocked"] as? Bool == true)
            let again = try await client.call(.post, "/api/users/\(zuleica.userId)/erase", token: cast.owner.access)
            #expect(again.status == .ok && again.version == erased.version, "idempotent")

            // Her token no longer works; her sale, payment and debt stay.
            let signedOut = try await client.call(.get, "/api/me/export", token: zuleica.access)
            #expect(signedOut.status == .unauthorized || signedOut.status == .forbidden, "\(signedOut.status) \(signedOut.json)")
            #expect(try await client.call(.post, "/api/auth/refresh", json: ["refreshToken": zuleica.refresh]).status == .unauthorized)
            let debts = try await client.call(.get, "/api/debts", token: cast.admin.access)
            #expect(debts.items.contains { $0["userId"] as? String == zuleica.userId && $0["amount"] as? Int == 1_000 })

            // The whole replayable feed, from the start, as the owner sees it: none of her.
            var since = 0
            var pages = 0
            while pages < 50 {
                let page = try await client.call(.get, "/api/changes?since=\(since)&limit=500", token: cast.owner.access)
                #expect(page.status == .ok, "\(page.json)")
                let text = try Self.text(page)
                #expect(!text.contains("Zuleica") && !text.contains("987654321"), "page after \(since) names her")
                let events = page.json["events"] as? [[String: Any]] ?? []
                guard let next = page.json["next"] as? Int ?? (events.last?["seq"] as? Int), next > since, !events.isEmpty else { break }
                since = next
                pages += 1
            }
            #expect(since > 0, "the feed was read")
            for trace in ["Zuleica", "987654321"] {
                #expect(try await server.app.environment.databases(containing: Array(trace.utf8)) == [], "\(trace) survives in the store")
            }
        }
        await server.discard()
    }
}
