import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// Every command that moves money or stock, sent twice over HTTP with one `Idempotency-Key`
/// (the MiniApp's offline queue resends after a lost answer, a reload or a flapping
/// connection): it runs once, the replay answers the first result, and the same key with
/// another body is refused (422 `idempotency_key_reused`) and changes nothing.
@Suite(.timeLimit(.minutes(2))) struct IdempotentCommandTests {
    typealias Person = (access: String, refresh: String, userId: String)

    static let key = HTTPField.Name("Idempotency-Key")!

    /// Sends `json` twice with `key`, checks both answers are `status` with the same body, then
    /// sends `other` (to `otherPath`, default `path`) with the same key and checks it is refused.
    /// Answers the first reply.
    static func replay(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, token: String,
                       json: [String: Any], other: [String: Any], otherPath: String? = nil, key: String,
                       status: HTTPResponse.Status) async throws -> Reply {
        let first = try await client.call(method, path, token: token, json: json, headers: [Self.key: key])
        let again = try await client.call(method, path, token: token, json: json, headers: [Self.key: key])
        #expect(first.status == status, "\(path) first: \(first.status) \(first.json)")
        #expect(again.status == status, "\(path) replay: \(again.status) \(again.json)")
        // Compared as canonical JSON text (sorted keys): Foundation's dictionary equality on Linux
        // tells a decoded `true` from a bridged one.
        let canonical = { (json: [String: Any]) in
            String(decoding: (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
        }
        #expect(canonical(first.json) == canonical(again.json), "\(path): the replay answered \(canonical(again.json)), not \(canonical(first.json))")
        #expect(first.headers[HTTPField.Name("Feed-Sequence")!] == again.headers[HTTPField.Name("Feed-Sequence")!],
                "\(path): the replay names another commit")
        let reused = try await client.call(method, otherPath ?? path, token: token, json: other, headers: [Self.key: key])
        #expect(reused.status == .unprocessableContent && reused.error == "idempotency_key_reused" && reused.errorField == "Idempotency-Key",
                "\(path) with another body: \(reused.status) \(reused.json)")
        return first
    }

    static func stock(_ client: any TestClientProtocol, _ product: String, _ token: String) async throws -> Int? {
        try await client.call(.get, "/api/products/\(product)", token: token).json["stock"] as? Int
    }

    static func debt(_ client: any TestClientProtocol, _ person: Person) async throws -> Int? {
        try await client.call(.get, "/api/debts/me", token: person.access).json["amount"] as? Int
    }

    static func count(_ client: any TestClientProtocol, _ path: String, _ token: String) async throws -> Int {
        try await client.call(.get, path, token: token).items.count
    }

    /// A server with the cast signed in and a product of `stock` units at 650.
    static func withShop(stock: Int = 10, _ body: @escaping @Sendable (any TestClientProtocol, (owner: Person, admin: Person, ana: Person, bruno: Person), String) async throws -> Void) async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let cast = try await client.signInCast()
            let product = try await client.call(.post, "/api/products", token: cast.owner.access, json: ["name": "Coxinha", "price": 650, "stock": stock])
            try await body(client, cast, try #require(product.json["id"] as? String))
        }
        await server.discard()
    }

    @Test func aRepeatedPurchaseSellsOnce() async throws {
        try await Self.withShop { client, cast, p in
            let sale = try await Self.replay(client, .post, "/api/purchases", token: cast.admin.access,
                                             json: ["buyerId": cast.ana.userId, "items": [["productId": p, "quantity": 3]]],
                                             other: ["buyerId": cast.ana.userId, "items": [["productId": p, "quantity": 4]]],
                                             key: "sale-1", status: .created)
            #expect(sale.json["total"] as? Int == 1_950)
            #expect(try await Self.stock(client, p, cast.admin.access) == 7)
            #expect(try await Self.debt(client, cast.ana) == 1_950)
            #expect(try await Self.count(client, "/api/sales?buyerId=\(cast.ana.userId)", cast.admin.access) == 1)
        }
    }

    @Test func aRepeatedPaymentIsRecordedOnce() async throws {
        try await Self.withShop { client, cast, p in
            _ = try await client.call(.post, "/api/purchases", token: cast.admin.access,
                                      json: ["buyerId": cast.ana.userId, "items": [["productId": p, "quantity": 2]]])
            let payment = try await Self.replay(client, .post, "/api/payments", token: cast.admin.access,
                                                json: ["userId": cast.ana.userId, "amount": 500, "currency": "BRL", "method": "pix", "note": ""],
                                                other: ["userId": cast.ana.userId, "amount": 501, "currency": "BRL", "method": "pix", "note": ""],
                                                key: "pay-1", status: .created)
            #expect(payment.json["amount"] as? Int == 500)
            #expect(try await Self.debt(client, cast.ana) == 800)
            #expect(try await Self.count(client, "/api/payments?userId=\(cast.ana.userId)", cast.admin.access) == 1)
        }
    }

    @Test func aRepeatedStockAdjustmentMovesTheStockOnce() async throws {
        try await Self.withShop { client, cast, p in
            let adjusted = try await Self.replay(client, .post, "/api/products/\(p)/stock", token: cast.admin.access,
                                                 json: ["delta": 5, "reason": "restock"], other: ["delta": -2, "reason": "adjustment"],
                                                 key: "stock-1", status: .ok)
            #expect(adjusted.json["stock"] as? Int == 15)
            #expect(try await Self.stock(client, p, cast.admin.access) == 15)
        }
    }

    @Test func aRepeatedRestockThroughTheCommandBridgeMovesTheStockOnce() async throws {
        try await Self.withShop { client, cast, p in
            let restocked = try await Self.replay(client, .post, "/api/commands/execute", token: cast.admin.access,
                                                  json: ["command": "restock", "params": ["productId": p, "quantity": 4]],
                                                  other: ["command": "restock", "params": ["productId": p, "quantity": 6]],
                                                  key: "restock-1", status: .ok)
            #expect((restocked.json["product"] as? [String: Any])?["stock"] as? Int == 14)
            #expect(try await Self.stock(client, p, cast.admin.access) == 14)
        }
    }

    @Test func aRepeatedRefundGivesBackOnce() async throws {
        try await Self.withShop { client, cast, p in
            let sale = try await client.call(.post, "/api/purchases", token: cast.admin.access,
                                             json: ["buyerId": cast.ana.userId, "items": [["productId": p, "quantity": 4]]])
            let s = try #require(sale.json["id"] as? String)
            _ = try await Self.replay(client, .post, "/api/commands/execute", token: cast.admin.access,
                                      json: ["command": "refund", "params": ["saleId": s, "items": [["productId": p, "quantity": 1]]]],
                                      other: ["command": "refund", "params": ["saleId": s, "items": [["productId": p, "quantity": 2]]]],
                                      key: "refund-1", status: .ok)
            #expect(try await Self.stock(client, p, cast.admin.access) == 7, "one unit back, once")
            #expect(try await Self.debt(client, cast.ana) == 1_950)
        }
    }

    @Test func aRepeatedProductCreationMakesOneProductAndItsOpeningStockOnce() async throws {
        try await Self.withShop { client, cast, _ in
            let created = try await Self.replay(client, .post, "/api/products", token: cast.admin.access,
                                                json: ["name": "Empada", "price": 700, "stock": 8],
                                                other: ["name": "Empada", "price": 700, "stock": 9],
                                                key: "product-1", status: .created)
            #expect(created.json["stock"] as? Int == 8)
            let named = try await client.call(.get, "/api/products?limit=100", token: cast.admin.access).items.filter { $0["name"] as? String == "Empada" }
            #expect(named.count == 1)
        }
    }

    @Test func aRepeatedOrderReservesOnce() async throws {
        try await Self.withShop { client, cast, p in
            let order = try await Self.replay(client, .post, "/api/orders", token: cast.ana.access,
                                              json: ["items": [["productId": p, "quantity": 3]]], other: ["items": [["productId": p, "quantity": 1]]],
                                              key: "order-1", status: .created)
            #expect(order.json["state"] as? String == "pending_payment")
            #expect(try await Self.stock(client, p, cast.admin.access) == 7)
            #expect(try await Self.count(client, "/api/orders", cast.ana.access) == 1)
        }
    }

    /// Verify books a sale and the receipt's payment: a repeat answers the verified order, not a 409.
    @Test func aRepeatedVerificationBooksTheSaleAndPaymentOnce() async throws {
        try await Self.withShop { client, cast, p in
            let placed = try await client.call(.post, "/api/orders", token: cast.ana.access, json: ["items": [["productId": p, "quantity": 2]]])
            let o = try #require(placed.json["id"] as? String)
            let other = try await client.call(.post, "/api/orders", token: cast.ana.access, json: ["items": [["productId": p, "quantity": 1]]])
            let o2 = try #require(other.json["id"] as? String)
            for order in [o, o2] {
                let receipt = try await client.call(.post, "/api/orders/\(order)/receipt", token: cast.ana.access, json: ["mediaId": "m-\(order)"])
                try #require(receipt.json["state"] as? String == "receipt_submitted", "receipt: \(receipt.json)")
            }
            // The same key for another order is other input.
            let verified = try await Self.replay(client, .post, "/api/orders/\(o)/verify", token: cast.admin.access, json: [:],
                                                 other: [:], otherPath: "/api/orders/\(o2)/verify", key: "verify-1", status: .ok)
            #expect(verified.json["state"] as? String == "verified")
            #expect(try await Self.count(client, "/api/sales?buyerId=\(cast.ana.userId)", cast.admin.access) == 1)
            #expect(try await Self.count(client, "/api/payments?userId=\(cast.ana.userId)", cast.admin.access) == 1)
            #expect(try await Self.debt(client, cast.ana) == 0)
        }
    }

    @Test func aRepeatedRejectionOrCancellationGivesTheUnitsBackOnce() async throws {
        try await Self.withShop { client, cast, p in
            let first = try await client.call(.post, "/api/orders", token: cast.ana.access, json: ["items": [["productId": p, "quantity": 2]]])
            let second = try await client.call(.post, "/api/orders", token: cast.ana.access, json: ["items": [["productId": p, "quantity": 3]]])
            let o1 = try #require(first.json["id"] as? String), o2 = try #require(second.json["id"] as? String)
            #expect(try await Self.stock(client, p, cast.admin.access) == 5)

            let cancelled = try await Self.replay(client, .post, "/api/orders/\(o1)/cancel", token: cast.ana.access,
                                                  json: ["reason": "changed my mind"], other: ["reason": "another reason"],
                                                  key: "cancel-1", status: .ok)
            #expect(cancelled.json["state"] as? String == "cancelled")
            #expect(try await Self.stock(client, p, cast.admin.access) == 7)

            let receipt = try await client.call(.post, "/api/orders/\(o2)/receipt", token: cast.ana.access, json: ["mediaId": "m2"])
            try #require(receipt.json["state"] as? String == "receipt_submitted", "receipt: \(receipt.json)")
            let rejected = try await Self.replay(client, .post, "/api/orders/\(o2)/reject", token: cast.admin.access,
                                                 json: ["reason": "no receipt"], other: ["reason": "blurry"],
                                                 key: "reject-1", status: .ok)
            #expect(rejected.json["state"] as? String == "rejected")
            #expect(try await Self.stock(client, p, cast.admin.access) == 10)
        }
    }

    /// The OpenAPI document names `Idempotency-Key` on every operation that moves money or stock.
    @Test func everyMoneyAndStockOperationDocumentsIdempotencyKey() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let paths = try #require(try await client.call(.get, "/openapi.json").json["paths"] as? [String: [String: Any]])
            for path in ["/api/purchases", "/api/purchase", "/api/payments", "/api/products", "/api/products/{id}/stock", "/api/orders",
                         "/api/orders/{id}/verify", "/api/orders/{id}/reject", "/api/orders/{id}/cancel", "/api/commands/execute"] {
                let operation = paths[path]?["post"] as? [String: Any]
                let parameters = operation?["parameters"] as? [[String: Any]] ?? []
                #expect(parameters.contains { $0["$ref"] as? String == "#/components/parameters/IdempotencyKey" },
                        "POST \(path) does not document Idempotency-Key: \(parameters)")
            }
        }
        await server.discard()
    }
}
