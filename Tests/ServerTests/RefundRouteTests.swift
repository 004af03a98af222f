import Foundation
import HTTPTypes
import HummingbirdTesting
import Shop
import Testing

/// `POST /api/sales/{id}/refund` on a real server: who may, what bad input gets, what a replay
/// answers, what the document says, and the live events a refund sends.
@Suite(.timeLimit(.minutes(2))) struct RefundRouteTests {
    /// A sale to Ana of 3 Coxinhas at 650, made over REST by the admin.
    static func sale(_ client: any TestClientProtocol, admin: String, ana: String, product: String) async throws -> String {
        let sale = try await client.call(.post, "/api/purchases", token: admin, json: ["buyerId": ana, "items": [["productId": product, "quantity": 3]]])
        #expect(sale.status == .created)
        return try #require(sale.json["id"] as? String)
    }

    @Test func adminsRefundUsersAreRefusedAndBadInputIsA4xx() async throws {
        try await IdempotentCommandTests.withShop { client, cast, p in
            let s = try await Self.sale(client, admin: cast.admin.access, ana: cast.ana.userId, product: p)
            let refund = "/api/sales/\(s)/refund"

            let anonymous = try await client.call(.post, refund, json: [:])
            #expect(anonymous.status == .unauthorized)
            let byBuyer = try await client.call(.post, refund, token: cast.ana.access, json: [:])
            #expect(byBuyer.status == .forbidden && byBuyer.error == "forbidden", "\(byBuyer.json)")

            for (body, field) in [(#"{"items":[]}"#, "items"), (#"{"items":[{"productId":"\#(p)","quantity":0}]}"#, "items[0].quantity"),
                                  (#"{"items":[{"productId":"\#(p)","quantity":-1}]}"#, "items[0].quantity"),
                                  (#"{"items":[{"productId":"\#(p)","quantity":10001}]}"#, "items[0].quantity"),
                                  (#"{"items":[{"productId":"\#(p)","quantity":99999999999999999999999}]}"#, nil),
                                  (#"{"items":[{"productId":"\#(p)","quantity":"2"}]}"#, nil),
                                  (#"{"items":[{"productId":"s1","quantity":1}]}"#, nil),
                                  (#"{"restock":"yes"}"#, nil), (#"{"saleId":"s1"}"#, nil), (#"{"amount":5}"#, nil), ("[1,2]", nil), ("{", nil)] {
                let reply = try await client.call(.post, refund, token: cast.admin.access, text: body)
                #expect(reply.status == .badRequest, "\(body): \(reply.status) \(reply.json)")
                #expect(reply.error != nil && (reply.json["error"] as? [String: Any])?["message"] is String, "\(body): \(reply.json)")
                if let field { #expect(reply.errorField == field, "\(body): \(reply.json)") }
            }
            let badId = try await client.call(.post, "/api/sales/zz/refund", token: cast.admin.access, json: [:])
            #expect(badId.status == .badRequest || badId.status == .notFound, "\(badId.status)")
            let unknown = try await client.call(.post, "/api/sales/s999/refund", token: cast.admin.access, json: [:])
            #expect(unknown.status == .notFound && unknown.error == "not_found", "\(unknown.json)")
            let notInSale = try await client.call(.post, refund, token: cast.admin.access, json: ["items": [["productId": "p999", "quantity": 1]]])
            #expect(notInSale.status == .unprocessableContent && notInSale.error == "rule_broken" && notInSale.errorField == "items[0].productId",
                    "\(notInSale.json)")
            // Nothing of the refusals changed the sale.
            let unchanged = try await client.call(.get, "/api/sales/\(s)", token: cast.admin.access)
            #expect(unchanged.status == .ok && unchanged.json["refundedQuantities"] as? [Int] == [0])

            let partial = try await client.call(.post, refund, token: cast.admin.access,
                                                json: ["items": [["productId": p, "quantity": 1]], "note": "fria"])
            #expect(partial.status == .ok, "\(partial.json)")
            #expect(partial.json["id"] as? String == s && partial.json["refundedQuantities"] as? [Int] == [1])
            #expect(partial.headers[HTTPField.Name("Feed-Sequence")!] != nil)
            #expect(try await IdempotentCommandTests.stock(client, p, cast.admin.access) == 8)
            #expect(try await IdempotentCommandTests.debt(client, cast.ana) == 1_300)

            let over = try await client.call(.post, refund, token: cast.owner.access, json: ["items": [["productId": p, "quantity": 3]]])
            #expect(over.status == .unprocessableContent && over.error == "rule_broken" && over.errorField == "items[0].quantity", "\(over.json)")

            let rest = try await client.call(.post, refund, token: cast.owner.access, json: ["restock": false])
            #expect(rest.status == .ok && rest.json["refundedQuantities"] as? [Int] == [3], "\(rest.json)")
            #expect(try await IdempotentCommandTests.stock(client, p, cast.admin.access) == 8, "not put back")
            #expect(try await IdempotentCommandTests.debt(client, cast.ana) == 0)
            let again = try await client.call(.post, refund, token: cast.admin.access)
            #expect(again.status == .unprocessableContent && again.error == "rule_broken", "\(again.json)")

            // The buyer reads her sale, and the notice telling her of it.
            let hers = try await client.call(.get, "/api/sales/\(s)", token: cast.ana.access)
            #expect(hers.status == .ok && hers.json["refundedQuantities"] as? [Int] == [3])
            let notBrunos = try await client.call(.get, "/api/sales/\(s)", token: cast.bruno.access)
            #expect(notBrunos.status == .notFound || notBrunos.status == .forbidden, "\(notBrunos.status)")
            let notices = try await client.call(.get, "/api/notifications?limit=100", token: cast.ana.access)
            #expect(notices.items.filter { $0["kind"] as? String == "sale_refunded" }.count == 2)
            let ledger = try await client.call(.get, "/api/transactions?userId=\(cast.ana.userId)", token: cast.owner.access)
            #expect(ledger.items.filter { $0["kind"] as? String == "refund" }.compactMap { $0["amount"] as? Int }.sorted() == [-1_300, -650])
            let audit = try await client.call(.get, "/api/audit?limit=100", token: cast.owner.access)
            #expect(audit.items.filter { $0["command"] as? String == "refund" && $0["outcome"] as? String == "ok" }.count == 2)
        }
    }

    @Test func aReplayedRefundAnswersTheFirstResultAndGivesBackOnce() async throws {
        try await IdempotentCommandTests.withShop { client, cast, p in
            let s = try await Self.sale(client, admin: cast.admin.access, ana: cast.ana.userId, product: p)
            let first = try await IdempotentCommandTests.replay(client, .post, "/api/sales/\(s)/refund", token: cast.admin.access,
                                                                json: ["items": [["productId": p, "quantity": 2]]],
                                                                other: ["items": [["productId": p, "quantity": 1]]],
                                                                key: "refund-door-1", status: .ok)
            #expect(first.json["refundedQuantities"] as? [Int] == [2])
            #expect(try await IdempotentCommandTests.stock(client, p, cast.admin.access) == 9)
            #expect(try await IdempotentCommandTests.debt(client, cast.ana) == 650)
        }
    }

    /// Twenty whole refunds of one sale sent at once over HTTP: one is answered 200, the others
    /// 422, and the sale is refunded once.
    @Test func concurrentRefundsOverHTTPRefundOnce() async throws {
        try await IdempotentCommandTests.withShop { client, cast, p in
            let s = try await Self.sale(client, admin: cast.admin.access, ana: cast.ana.userId, product: p)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await client.call(.post, "/api/sales/\(s)/refund", token: cast.admin.access, json: [:]).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .unprocessableContent }.count == 19)
            #expect(try await IdempotentCommandTests.stock(client, p, cast.admin.access) == 10)
            #expect(try await IdempotentCommandTests.debt(client, cast.ana) == 0)
        }
    }

    @Test func aRefundReachesTheSubscribersItConcerns() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, port in
            let cast = try await client.signInCast()
            let product = try await client.call(.post, "/api/products", token: cast.owner.access, json: ["name": "Coxinha", "price": 650, "stock": 10])
            let p = try #require(product.json["id"] as? String)
            let s = try await Self.sale(client, admin: cast.admin.access, ana: cast.ana.userId, product: p)

            let adminFrames = FrameCollector(), anaFrames = FrameCollector(), brunoFrames = FrameCollector()
            let subscribe = #"{"type":"subscribe","topics":["sales","inventory","notifications"]}"#
            async let adminSocket: Void = webSocket(port: port, token: cast.admin.access, send: [subscribe], into: adminFrames) {
                Set(await Self.names(adminFrames)).isSuperset(of: ["sale_refunded", "debt_update", "inventory_update"])
            }
            async let anaSocket: Void = webSocket(port: port, token: cast.ana.access, send: [subscribe], into: anaFrames) {
                Set(await Self.names(anaFrames)).isSuperset(of: ["sale_refunded", "debt_update", "notification"])
            }
            async let brunoSocket: Void = webSocket(port: port, token: cast.bruno.access, send: [subscribe], into: brunoFrames) {
                await Self.names(brunoFrames).contains("inventory_update")
            }
            try await server.waitForSubscribers(3)
            let refunded = try await client.call(.post, "/api/sales/\(s)/refund", token: cast.admin.access,
                                                 json: ["items": [["productId": p, "quantity": 2]]])
            #expect(refunded.status == .ok, "\(refunded.json)")
            try await adminSocket
            try await anaSocket
            try await brunoSocket

            let event = try #require(Frames(await adminFrames.received()).events.first { $0["event"] as? String == "sale_refunded" })
            #expect(event["topic"] as? String == "sales")
            let data = try #require(event["data"] as? [String: Any])
            #expect((data["sale"] as? [String: Any])?["refundedQuantities"] as? [Int] == [2])
            #expect(data["amount"] as? Int == 1_300)
            #expect((data["lines"] as? [[String: Any]])?.first?["quantity"] as? Int == 2)
            let debt = try #require(Frames(await anaFrames.received()).events.first { $0["event"] as? String == "debt_update" }?["data"] as? [String: Any])
            #expect(debt["kind"] as? String == "refund" && debt["change"] as? Int == -1_300 && debt["reference"] as? String == s)
            let notice = try #require(Frames(await anaFrames.received()).events.first { $0["event"] as? String == "notification" }?["data"] as? [String: Any])
            #expect((notice["notification"] as? [String: Any])?["kind"] as? String == "sale_refunded")
            let stock = Frames(await brunoFrames.received()).events.first { $0["event"] as? String == "inventory_update" }?["data"] as? [String: Any]
            #expect(stock?["stock"] as? Int == 9)
            // Ana's sale and debt are not Bruno's to see.
            #expect(!(await Self.names(brunoFrames)).contains { ["sale_refunded", "debt_update", "notification"].contains($0) })
        }
        await server.discard()
    }

    /// The names of the events a socket received, in order.
    static func names(_ collector: FrameCollector) async -> [String] {
        Frames(await collector.received()).events.compactMap { $0["event"] as? String }
    }

    @Test func theDocumentDescribesTheRefundRoute() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let document = try await client.call(.get, "/openapi.json")
            let paths = try #require(document.json["paths"] as? [String: Any])
            let refund = try #require((paths["/api/sales/{id}/refund"] as? [String: Any])?["post"] as? [String: Any])
            #expect(refund["operationId"] != nil || refund["summary"] != nil)
            let responses = try #require(refund["responses"] as? [String: Any])
            #expect(Set(responses.keys).isSuperset(of: ["200", "400", "401", "403", "404", "422"]), "\(responses.keys.sorted())")
            let body = try #require(refund["requestBody"] as? [String: Any])
            #expect(body["required"] as? Bool != true, "an empty body refunds the whole sale")
            let schemas = try #require((document.json["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let request = try #require(schemas["RefundRequest"] as? [String: Any])
            #expect(Set((request["properties"] as? [String: Any])?.keys.map { $0 } ?? []) == ["items", "restock", "note"])
            #expect((paths["/api/sales/{id}"] as? [String: Any])?["get"] != nil)
        }
        await server.discard()
    }
}
