import Foundation
import HTTPTypes
import HummingbirdTesting
import Shop
import Testing

/// `POST /api/orders/bulk` and `POST /api/users/bulk` on a real server (real LMDB in a temp
/// folder, loopback HTTP): one table command per id, each item's outcome answered, a refused
/// item changing nothing while the others apply, roles, bad bodies, concurrency, live events and
/// the document.
@Suite(.timeLimit(.minutes(3))) struct BulkRouteTests {
    /// `count` orders of Ana's, one unit each, with their receipts sent (receipt_submitted).
    static func submittedOrders(_ client: any TestClientProtocol, ana: String, product: String, count: Int) async throws -> [String] {
        var ids: [String] = []
        for n in 0..<count {
            let placed = try await client.call(.post, "/api/orders", token: ana, json: ["items": [["productId": product, "quantity": 1]]])
            let o = try #require(placed.json["id"] as? String, "order: \(placed.json)")
            let receipt = try await client.call(.post, "/api/orders/\(o)/receipt", token: ana, json: ["mediaId": "m-bulk-\(n)"])
            try #require(receipt.json["state"] as? String == "receipt_submitted", "receipt: \(receipt.json)")
            ids.append(o)
        }
        return ids
    }

    static func results(_ reply: Reply) -> [[String: Any]] { reply.json["results"] as? [[String: Any]] ?? [] }

    static func order(_ client: any TestClientProtocol, _ id: String, _ token: String) async throws -> Reply {
        try await client.call(.get, "/api/orders/\(id)", token: token)
    }

    @Test func aFailedItemChangesNothingAndTheOthersApply() async throws {
        try await IdempotentCommandTests.withShop { client, cast, p in
            let orders = try await Self.submittedOrders(client, ana: cast.ana.access, product: p, count: 3)
            let (o1, o2, o3) = (orders[0], orders[1], orders[2])
            // o2 is verified and fulfilled on its own first: verifying it again must be refused.
            #expect(try await client.call(.post, "/api/orders/\(o2)/verify", token: cast.admin.access).status == .ok)
            #expect(try await client.call(.post, "/api/orders/\(o2)/fulfil", token: cast.admin.access).status == .ok)
            let before = try await Self.order(client, o2, cast.admin.access)

            let bulk = try await client.call(.post, "/api/orders/bulk", token: cast.admin.access,
                                             json: ["action": "verify", "ids": [o1, o2, o3, "o999"]])
            #expect(bulk.status == .ok, "\(bulk.json)")
            #expect(bulk.headers[HTTPField.Name("Feed-Sequence")!] != nil)
            let results = Self.results(bulk)
            #expect(results.compactMap { $0["id"] as? String } == [o1, o2, o3, "o999"], "one result per id, in order")
            #expect(results.map { $0["ok"] as? Bool } == [true, false, true, false])
            #expect((results[0]["record"] as? [String: Any])?["state"] as? String == "verified")
            #expect((results[2]["record"] as? [String: Any])?["state"] as? String == "verified")
            #expect((results[1]["error"] as? [String: Any])?["code"] as? String == "invalid_transition", "\(results[1])")
            #expect((results[1]["error"] as? [String: Any])?["message"] is String)
            #expect(results[1]["record"] == nil && results[0]["error"] == nil)
            #expect((results[3]["error"] as? [String: Any])?["code"] as? String == "not_found")
            #expect(bulk.json["succeeded"] as? Int == 2 && bulk.json["failed"] as? Int == 2)

            // The refused item is as it was; the others are verified, each with its own sale.
            let after = try await Self.order(client, o2, cast.admin.access)
            #expect(after.json["state"] as? String == "fulfilled" && after.version == before.version)
            for o in [o1, o3] { #expect(try await Self.order(client, o, cast.admin.access).json["state"] as? String == "verified") }
            #expect(try await IdempotentCommandTests.count(client, "/api/sales?buyerId=\(cast.ana.userId)", cast.admin.access) == 3)
            #expect(try await IdempotentCommandTests.debt(client, cast.ana) == 0)
            // Audited item by item, as the single route audits.
            let audit = try await client.call(.get, "/api/audit?limit=200", token: cast.owner.access)
            let verifies = audit.items.filter { $0["command"] as? String == "verifyOrder" }
            #expect(verifies.filter { $0["outcome"] as? String == "ok" }.count == 3, "\(verifies)")

            // Fulfil them, and reject with a reason: the customer reads it.
            let fulfil = try await client.call(.post, "/api/orders/bulk", token: cast.admin.access, json: ["action": "fulfil", "ids": [o3, o1]])
            #expect(Self.results(fulfil).map { $0["ok"] as? Bool } == [true, true], "\(fulfil.json)")
            #expect(Self.results(fulfil).compactMap { ($0["record"] as? [String: Any])?["state"] as? String } == ["fulfilled", "fulfilled"])
            let more = try await Self.submittedOrders(client, ana: cast.ana.access, product: p, count: 2)
            #expect(try await IdempotentCommandTests.stock(client, p, cast.admin.access) == 5)
            let reject = try await client.call(.post, "/api/orders/bulk", token: cast.owner.access,
                                               json: ["action": "reject", "ids": more + [o1], "reason": "comprovante ilegível"])
            #expect(Self.results(reject).map { $0["ok"] as? Bool } == [true, true, false], "\(reject.json)")
            #expect(Self.results(reject).compactMap { ($0["record"] as? [String: Any])?["reason"] as? String }
                == ["comprovante ilegível", "comprovante ilegível"])
            #expect(try await IdempotentCommandTests.stock(client, p, cast.admin.access) == 7, "the rejected orders' units went back")
            let notices = try await client.call(.get, "/api/notifications?limit=100", token: cast.ana.access)
            #expect(notices.items.filter { $0["kind"] as? String == "order_rejected" }.count == 2)
        }
    }

    @Test func theWrongRoleIs403AndBadBodiesAre400() async throws {
        try await IdempotentCommandTests.withShop { client, cast, p in
            let orders = try await Self.submittedOrders(client, ana: cast.ana.access, product: p, count: 1)
            let o = orders[0]
            let verify: [String: Any] = ["action": "verify", "ids": [o]]
            #expect(try await client.call(.post, "/api/orders/bulk", json: verify).status == .unauthorized)
            let byCustomer = try await client.call(.post, "/api/orders/bulk", token: cast.ana.access, json: verify)
            #expect(byCustomer.status == .forbidden && byCustomer.error == "forbidden", "\(byCustomer.json)")
            let users: [String: Any] = ["action": "block", "ids": [cast.bruno.userId]]
            let byAdmin = try await client.call(.post, "/api/users/bulk", token: cast.admin.access, json: users)
            #expect(byAdmin.status == .forbidden && byAdmin.error == "forbidden", "\(byAdmin.json)")
            #expect(try await client.call(.post, "/api/users/bulk", token: cast.ana.access, json: users).status == .forbidden)
            #expect(try await Self.order(client, o, cast.admin.access).json["state"] as? String == "receipt_submitted")

            let tooMany = (1...101).map { "o\($0)" }
            for (body, field) in [(#"{"action":"verify"}"#, "ids"), (#"{"ids":["\#(o)"]}"#, "action"),
                                  (#"{"action":"approve","ids":["\#(o)"]}"#, "action"), (#"{"action":"verify","ids":[]}"#, "ids"),
                                  (#"{"action":"verify","ids":"\#(o)"}"#, "ids"), (#"{"action":"verify","ids":[12]}"#, "ids[0]"),
                                  (#"{"action":"verify","ids":["\#(o)","u1"]}"#, "ids[1]"), (#"{"action":"verify","ids":["o01"]}"#, "ids[0]"),
                                  (#"{"action":"verify","ids":["o99999999999999999999999"]}"#, "ids[0]"),
                                  (#"{"action":"verify","ids":["\#(o)","\#(o)"]}"#, "ids[1]"),
                                  (#"{"action":"reject","ids":["\#(o)"]}"#, "reason"), (#"{"action":"reject","ids":["\#(o)"],"reason":"  "}"#, "reason"),
                                  (#"{"action":"reject","ids":["\#(o)"],"reason":7}"#, "reason"),
                                  (#"{"action":"reject","ids":["\#(o)"],"reason":"\#(String(repeating: "x", count: 501))"}"#, "reason"),
                                  (#"{"action":"verify","ids":["\#(o)"],"note":"x"}"#, "note"),
                                  (#"{"action":"verify","ids":\#(tooMany)}"#, "ids"), ("[1]", nil), ("{", nil), ("", nil)] {
                let reply = try await client.call(.post, "/api/orders/bulk", token: cast.admin.access, text: body)
                #expect(reply.status == .badRequest, "\(body): \(reply.status) \(reply.json)")
                #expect(reply.error == "invalid_input" && (reply.json["error"] as? [String: Any])?["message"] is String, "\(body): \(reply.json)")
                if let field { #expect(reply.errorField == field, "\(body): \(reply.json)") }
            }
            for (body, field) in [(#"{"action":"role","ids":["\#(cast.ana.userId)"]}"#, "role"),
                                  (#"{"action":"role","ids":["\#(cast.ana.userId)"],"role":"king"}"#, "role"),
                                  (#"{"action":"block","ids":["\#(o)"]}"#, "ids[0]"), (#"{"action":"verify","ids":["\#(cast.ana.userId)"]}"#, "action")] {
                let reply = try await client.call(.post, "/api/users/bulk", token: cast.owner.access, text: body)
                #expect(reply.status == .badRequest && reply.errorField == field, "\(body): \(reply.status) \(reply.json)")
            }
            // Nothing of the refused requests ran.
            #expect(try await Self.order(client, o, cast.admin.access).json["state"] as? String == "receipt_submitted")
            let audit = try await client.call(.get, "/api/audit?limit=200", token: cast.owner.access)
            #expect(!audit.items.contains { ["verifyOrder", "rejectOrder", "fulfilOrder"].contains($0["command"] as? String) }, "\(audit.items)")
            // Only the cast's own grant of the admin role.
            #expect(audit.items.filter { $0["command"] as? String == "updateUser" }.count == 1, "\(audit.items)")

            // The bound itself is accepted: 100 ids, each answered.
            let hundred = try await client.call(.post, "/api/orders/bulk", token: cast.admin.access,
                                                json: ["action": "fulfil", "ids": (1...100).map { "o\(1_000 + $0)" }])
            #expect(hundred.status == .ok && Self.results(hundred).count == 100 && hundred.json["failed"] as? Int == 100, "\(hundred.status)")
        }
    }

    /// Two bulk verifications of the same orders at once: every order is verified exactly once.
    @Test func concurrentBulkVerificationsVerifyEachOrderOnce() async throws {
        try await IdempotentCommandTests.withShop { client, cast, p in
            let orders = try await Self.submittedOrders(client, ana: cast.ana.access, product: p, count: 6)
            // Each answer as its status and, per item, "id ok code" (a Reply is not Sendable).
            let replies = try await withThrowingTaskGroup(of: (HTTPResponse.Status, [String]).self) { group in
                for ids in [orders, orders.reversed()] {
                    group.addTask {
                        let reply = try await client.call(.post, "/api/orders/bulk", token: cast.admin.access, json: ["action": "verify", "ids": ids])
                        return (reply.status, Self.results(reply).map {
                            "\($0["id"] as? String ?? "?") \($0["ok"] as? Bool ?? false) \(($0["error"] as? [String: Any])?["code"] as? String ?? "-")"
                        })
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.count == 2 && replies.allSatisfy { $0.0 == .ok && $0.1.count == orders.count })
            let outcomesAll = replies.flatMap(\.1)
            for o in orders {
                let outcomes = outcomesAll.filter { $0.hasPrefix("\(o) ") }
                #expect(outcomes.count == 2)
                #expect(outcomes.filter { $0 == "\(o) true -" }.count == 1, "\(o) verified once: \(outcomes)")
                #expect(outcomes.contains("\(o) false invalid_transition"), "\(outcomes)")
            }
            #expect(try await IdempotentCommandTests.count(client, "/api/sales?buyerId=\(cast.ana.userId)", cast.admin.access) == 6)
            #expect(try await IdempotentCommandTests.count(client, "/api/payments?userId=\(cast.ana.userId)", cast.admin.access) == 6)
            #expect(try await IdempotentCommandTests.debt(client, cast.ana) == 0)
        }
    }

    @Test func theOwnerBlocksUnblocksAndChangesRolesInBulk() async throws {
        try await IdempotentCommandTests.withShop { client, cast, _ in
            let block = try await client.call(.post, "/api/users/bulk", token: cast.owner.access,
                                              json: ["action": "block", "ids": [cast.ana.userId, "u999", cast.bruno.userId]])
            #expect(block.status == .ok, "\(block.json)")
            #expect(Self.results(block).map { $0["ok"] as? Bool } == [true, false, true])
            #expect(Self.results(block).compactMap { ($0["record"] as? [String: Any])?["blocked"] as? Bool } == [true, true])
            #expect((Self.results(block)[1]["error"] as? [String: Any])?["code"] as? String == "not_found")
            // Blocked: their next request is refused.
            #expect(try await client.call(.get, "/api/auth/me", token: cast.ana.access).status == .forbidden)
            let unblock = try await client.call(.post, "/api/users/bulk", token: cast.owner.access,
                                                json: ["action": "unblock", "ids": [cast.bruno.userId, cast.ana.userId]])
            #expect(Self.results(unblock).compactMap { ($0["record"] as? [String: Any])?["blocked"] as? Bool } == [false, false])
            // A block ended her sessions; unblocked, she signs in again.
            #expect(try await client.call(.get, "/api/auth/me", token: cast.ana.access).status == .unauthorized)
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            #expect(try await client.call(.get, "/api/auth/me", token: ana.access).status == .ok)

            let promote = try await client.call(.post, "/api/users/bulk", token: cast.owner.access,
                                                json: ["action": "role", "role": "admin", "ids": [cast.ana.userId, cast.bruno.userId]])
            #expect(Self.results(promote).compactMap { ($0["record"] as? [String: Any])?["role"] as? String } == ["admin", "admin"],
                    "\(promote.json)")
            // Now an admin, Ana may use the orders' bulk route, and still not the users'.
            #expect(try await client.call(.post, "/api/orders/bulk", token: ana.access, json: ["action": "verify", "ids": ["o999"]]).status == .ok)
            #expect(try await client.call(.post, "/api/users/bulk", token: ana.access,
                                          json: ["action": "unblock", "ids": [cast.bruno.userId]]).status == .forbidden)
            let audit = try await client.call(.get, "/api/audit?limit=200", token: cast.owner.access)
            #expect(audit.items.filter { $0["command"] as? String == "updateUser" && $0["outcome"] as? String == "ok" }.count == 7,
                    "the cast's grant and six bulk items")
        }
    }

    @Test func aBulkVerificationReachesTheSubscribersAsSingleOnesDo() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, port in
            let cast = try await client.signInCast()
            let product = try await client.call(.post, "/api/products", token: cast.owner.access, json: ["name": "Coxinha", "price": 650, "stock": 10])
            let p = try #require(product.json["id"] as? String)
            let orders = try await Self.submittedOrders(client, ana: cast.ana.access, product: p, count: 2)
            let anaFrames = FrameCollector()
            let subscribe = #"{"type":"subscribe","topics":["orders","notifications"]}"#
            async let anaSocket: Void = webSocket(port: port, token: cast.ana.access, send: [subscribe], into: anaFrames) {
                let verified = Frames(await anaFrames.received()).events.filter {
                    $0["event"] as? String == "order_update"
                        && ((($0["data"] as? [String: Any])?["order"] as? [String: Any])?["state"] as? String) == "verified"
                }
                return verified.count >= 2
            }
            try await server.waitForSubscribers(1)
            let bulk = try await client.call(.post, "/api/orders/bulk", token: cast.admin.access, json: ["action": "verify", "ids": orders])
            #expect(bulk.json["succeeded"] as? Int == 2, "\(bulk.json)")
            try await anaSocket
            let states = Frames(await anaFrames.received()).events.compactMap {
                (($0["data"] as? [String: Any])?["order"] as? [String: Any]).flatMap { $0["state"] as? String == "verified" ? $0["id"] as? String : nil }
            }
            #expect(Set(states) == Set(orders))
        }
        await server.discard()
    }

    @Test func theDocumentDescribesTheBulkRoutes() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let document = try await client.call(.get, "/openapi.json")
            let paths = try #require(document.json["paths"] as? [String: Any])
            let schemas = try #require((document.json["components"] as? [String: Any])?["schemas"] as? [String: Any])
            for (path, body, result, role) in [("/api/orders/bulk", "OrderBulkRequest", "OrderBulkResult", "admin"),
                                               ("/api/users/bulk", "UserBulkRequest", "UserBulkResult", "owner")] {
                let operation = try #require((paths[path] as? [String: Any])?["post"] as? [String: Any], "\(path)")
                #expect(operation["x-minimum-role"] as? String == role)
                let responses = try #require(operation["responses"] as? [String: Any])
                #expect(Set(responses.keys).isSuperset(of: ["200", "400", "401", "403"]), "\(responses.keys.sorted())")
                let request = try #require(schemas[body] as? [String: Any])
                #expect(request["additionalProperties"] as? Bool == false)
                let ids = try #require((request["properties"] as? [String: Any])?["ids"] as? [String: Any])
                #expect(ids["maxItems"] as? Int == 100 && ids["minItems"] as? Int == 1 && ids["uniqueItems"] as? Bool == true)
                #expect((schemas[result] as? [String: Any])?["required"] as? [String] == ["results", "succeeded", "failed"])
            }
        }
        await server.discard()
    }
}
