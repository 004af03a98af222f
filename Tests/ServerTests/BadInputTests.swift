import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Shop
import Testing

/// Bad input gets the contract's error and changes nothing; it never stops the server.
/// These are the requests the API fuzzer (Tests/API/fuzz-api.py) found wanting.
@Suite(.timeLimit(.minutes(1))) struct BadInputTests {
    @Test func malformedJSONUnknownFieldsAndWrongTypesGetTheContractsErrorAndChangeNothing() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let head = server.shop.feedHead
            let cases: [(String, String?)] = [
                (#"{"name":"Suco","price":500,"quantiy":3}"#, "quantiy"),
                (#"{"name":"Suco","price":"500"}"#, nil),
                (#"{"name":"Suco"}"#, nil),
                (#"{"name":"Suco","price":500"#, nil),
                (#"[1,2,3]"#, nil),
                ("", nil),
            ]
            for (body, field) in cases {
                let reply = try await client.call(.post, "/api/products", token: owner.access, text: body)
                #expect(reply.status == .badRequest && reply.error == "invalid_input", "\(body): \(reply.status) \(reply.json)")
                if let field { #expect(reply.errorField == field) }
            }
            // A cursor longer than any handed out (the OpenAPI's maxLength; the fuzzer sent 1,100 characters of valid base64url).
            let longCursor = "/api/users?limit=151&cursor=" + String(repeating: "m", count: 1_025)
            for query in ["/api/orders?state=bogus", "/api/contracts?state=bogus", "/api/products?limit=0", "/api/sales?cursor=%21", longCursor] {
                let reply = try await client.call(.get, query, token: owner.access)
                #expect(reply.status == .badRequest && reply.error == "invalid_input", "\(query): \(reply.json)")
            }
            // Refusals before the shop is reached write nothing, not even an audit entry.
            #expect(server.shop.feedHead == head)
        }
        await server.discard()
    }

    @Test func theStockDeltaThatStoppedTheServerIsA400AndTheServerGoesOn() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Coxinha", "price": 650, "stock": 10])
            let id = try #require(created.json["id"] as? String)
            for delta in [Int64.min, Int64.min + 1, -1_000_001, 1_000_001, Int64.max] {
                let refused = try await client.call(.post, "/api/products/\(id)/stock", token: owner.access,
                                                    json: ["delta": delta, "reason": "adjustment", "note": ""])
                #expect(refused.status == .badRequest && refused.error == "invalid_input" && refused.errorField == "delta", "delta \(delta)")
            }
            // An integer beyond Int64 does not decode at all: still the contract's 400.
            let huge = try await client.call(.post, "/api/products/\(id)/stock", token: owner.access,
                                             text: #"{"delta": 9223372036854775808, "reason": "return"}"#)
            #expect(huge.status == .badRequest && huge.error == "invalid_input")
            let product = try await client.call(.get, "/api/products/\(id)", token: owner.access)
            #expect(product.status == .ok && product.json["stock"] as? Int == 10)
            let health = try await client.call(.get, "/health")
            #expect(health.status == .ok)
        }
        await server.discard()
    }

    @Test func aRouteThatNeedsATokenSays401BeforeLookingAtTheInput() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Coxinha", "price": 650])
            let id = try #require(created.json["id"] as? String)
            // A malformed If-Match and a body that is not JSON: without a token, the answer is 401 all the same.
            let anonymous = try await client.call(.patch, "/api/products/\(id)", text: "{not json", headers: [.ifMatch: ""])
            #expect(anonymous.status == .unauthorized && anonymous.error == "not_authenticated")
            let signedIn = try await client.call(.patch, "/api/products/\(id)", token: owner.access, json: ["price": 700], headers: [.ifMatch: ""])
            #expect(signedIn.status == .badRequest && signedIn.errorField == "If-Match")
        }
        await server.discard()
    }

    @Test func aDocumentedPathAskedWithAnotherMethodIs405WithAllow() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let trace = try await client.call(.init("TRACE")!, "/api/auth/me", token: owner.access)
            #expect(trace.status == .methodNotAllowed && trace.error == "method_not_allowed" && trace.headers[.allow] == "GET")
            let delete = try await client.call(.delete, "/api/purchases", token: owner.access)
            #expect(delete.status == .methodNotAllowed && delete.headers[.allow] == "POST")
            let products = try await client.call(.put, "/api/products", token: owner.access)
            #expect(products.status == .methodNotAllowed && products.headers[.allow] == "GET, POST")
            let unknown = try await client.call(.get, "/api/nothing-here", token: owner.access)
            #expect(unknown.status == .notFound)
            let plainSocket = try await client.call(.get, "/ws", token: owner.access)
            #expect(plainSocket.status == .upgradeRequired && plainSocket.headers[.upgrade] == "websocket")
        }
        await server.discard()
    }

    @Test func aBodyDeclaredAsAnythingButJSONIs415() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"] {
                let refused = try await client.call(.post, "/api/products", token: owner.access, text: #"{"name": "X", "price": 1}"#,
                                                    headers: [.contentType: type])
                #expect(refused.status == .unsupportedMediaType && refused.error == "unsupported_media_type", "\(type)")
            }
            let charset = try await client.call(.post, "/api/products", token: owner.access, text: #"{"name": "X", "price": 1}"#,
                                                headers: [.contentType: "application/json; charset=utf-8"])
            #expect(charset.status == .created)
            let products = try await client.call(.get, "/api/products", token: owner.access)
            #expect((products.json["items"] as? [Any])?.count == 1)
        }
        await server.discard()
    }

    @Test func queryNumbersAndFlagsOutsideTheirRangeAre400() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let cases: [(String, String)] = [
                ("/api/products?limit=0", "limit"), ("/api/products?limit=201", "limit"), ("/api/products?limit=99999999999999999999", "limit"),
                ("/api/products?archived=null", "archived"), ("/api/notifications?unread=yes", "unread"),
                ("/api/changes?limit=501", "limit"), ("/api/changes?wait=26", "wait"), ("/api/changes?wait=1.5", "wait"),
                ("/api/changes?since=9223372036854775808", "since"), ("/api/changes?since=-1", "since"),
                ("/api/audit?actorId=", "actorId"), ("/api/sales?cursor=", "cursor"),
            ]
            for (uri, field) in cases {
                let refused = try await client.call(.get, uri, token: owner.access)
                #expect(refused.status == .badRequest && refused.errorField == field, "\(uri)")
            }
            let page = try await client.call(.get, "/api/notifications", token: owner.access)
            #expect(page.status == .ok && page.json.keys.contains("next"), "a list always says next, null on the last page")
        }
        await server.discard()
    }

    @Test func anOwnersRouteRefusesAUserEvenWhenItWouldChangeNothing() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            for body in [[:], ["role": NSNull(), "blocked": NSNull()]] as [[String: Any]] {
                let refused = try await client.call(.patch, "/api/users/\(ana.userId)", token: ana.access, json: body)
                #expect(refused.status == .forbidden && refused.error == "forbidden", "\(body)")
            }
        }
        await server.discard()
    }

    @Test func theWebhookAsksForItsSecretFirstAndIsA404WhenTheBotPolls() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let noSecret = try await client.call(.post, "/telegram/webhook", json: ["update_id": 1])
            #expect(noSecret.status == .unauthorized)
            let polling = try await client.call(.post, "/telegram/webhook", json: ["update_id": 1],
                                                headers: [HTTPField.Name("X-Telegram-Bot-Api-Secret-Token")!: "guess"])
            #expect(polling.status == .notFound && polling.error == "webhook_off")
        }
        await server.discard()
    }
}
