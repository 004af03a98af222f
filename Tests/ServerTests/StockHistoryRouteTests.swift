import Foundation
import HTTPTypes
import HummingbirdTesting
import Shop
import Store
import Testing

/// `GET /api/products/{id}/stock-movements`: a product's stock history over HTTP, record by
/// record and page by page; who may read it; the 4xx answers for bad input.
@Suite(.timeLimit(.minutes(2))) struct StockHistoryRouteTests {
    @Test func anAdminReadsAProductsMovementsNewestFirstPageByPage() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let (owner, admin, ana, _) = try await client.signInCast()
            let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Coxinha", "price": 650, "stock": 20])
            let p = try #require(created.json["id"] as? String, "\(created.json)")
            let restock = try await client.call(.post, "/api/products/\(p)/stock", token: admin.access,
                                                json: ["delta": 10, "reason": "restock", "note": "fornecedor"])
            #expect(restock.status == .ok && restock.json["stock"] as? Int == 30, "\(restock.json)")
            let sale = try await client.call(.post, "/api/purchases", token: admin.access,
                                             json: ["buyerId": ana.userId, "items": [["productId": p, "quantity": 3]]])
            let s = try #require(sale.json["id"] as? String, "\(sale.json)")
            let adjust = try await client.call(.post, "/api/products/\(p)/stock", token: admin.access, json: ["delta": -2, "note": "quebrou"])
            #expect(adjust.status == .ok && adjust.json["stock"] as? Int == 25, "\(adjust.json)")
            // A refund made by the system (no one signed in): its movement names no one.
            try await server.shop.execute(Refund(saleId: EntityKind.sale.parse(s)!, items: [.init(productId: EntityKind.product.parse(p)!, quantity: 1)],
                                                 note: "estragado"), as: .system())

            let reply = try await client.call(.get, "/api/products/\(p)/stock-movements", token: admin.access)
            #expect(reply.status == .ok, "\(reply.json)")
            #expect(reply.json["next"] is NSNull, "one page: next is null, not absent")
            let items = reply.items
            #expect(items.compactMap { $0["kind"] as? String } == ["refund", "adjustment", "sale", "restock", "initial"])
            #expect(items.compactMap { $0["reason"] as? String } == ["return", "adjustment", "sale", "restock", "initial"])
            #expect(items.compactMap { $0["delta"] as? Int } == [1, -2, -3, 10, 20])
            #expect(items.compactMap { $0["levelAfter"] as? Int } == [26, 25, 27, 30, 20])
            #expect(items.map { $0["actorId"] as? String } == [nil, admin.userId, admin.userId, admin.userId, owner.userId])
            #expect(items.map { $0["actorName"] as? String } == [nil, "Adão", "Adão", "Adão", "Olga"])
            #expect(items.map { $0["reference"] as? String } == [s, nil, s, nil, nil])
            #expect(items.compactMap { $0["note"] as? String } == ["estragado", "quebrou", "", "fornecedor", ""])
            #expect(items.allSatisfy { ($0["productId"] as? String) == p && ($0["id"] as? String)?.hasPrefix("m") == true })
            #expect(items.allSatisfy { ($0["at"] as? String).flatMap(RFC3339.date(from:)) != nil && ($0["version"] as? Int) == 1 })
            let product = try await client.call(.get, "/api/products/\(p)", token: admin.access)
            #expect(product.json["stock"] as? Int == 26)

            // The owner reads it too; pages of two follow `next` to the same list.
            #expect(try await client.call(.get, "/api/products/\(p)/stock-movements", token: owner.access).ids == reply.ids)
            var paged: [String] = []
            var levels: [Int] = []
            var query = "?limit=2"
            for _ in 0..<10 {
                let page = try await client.call(.get, "/api/products/\(p)/stock-movements\(query)", token: admin.access)
                #expect(page.status == .ok && page.items.count <= 2, "\(page.json)")
                paged += page.ids
                levels += page.items.compactMap { $0["levelAfter"] as? Int }
                guard let next = page.json["next"] as? String else { break }
                query = "?limit=2&cursor=\(next)"
            }
            #expect(paged == reply.ids && levels == [26, 25, 27, 30, 20])

            // Another product's history holds only its own movements.
            let suco = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Suco", "price": 500, "stock": 4])
            let q = try #require(suco.json["id"] as? String)
            let other = try await client.call(.get, "/api/products/\(q)/stock-movements", token: admin.access)
            #expect(other.items.compactMap { $0["levelAfter"] as? Int } == [4] && other.items.first?["productId"] as? String == q)
        }
        await server.discard()
    }

    @Test func usersAreRefusedAndBadInputIsAClear4xx() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let (owner, admin, ana, _) = try await client.signInCast()
            let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Pastel", "price": 700, "stock": 5])
            let p = try #require(created.json["id"] as? String)

            let user = try await client.call(.get, "/api/products/\(p)/stock-movements", token: ana.access)
            #expect(user.status == .forbidden && user.error == "forbidden", "\(user.json)")
            let anonymous = try await client.call(.get, "/api/products/\(p)/stock-movements")
            #expect(anonymous.status == .unauthorized, "\(anonymous.json)")

            for path in ["/api/products/p999999/stock-movements", "/api/products/zzz/stock-movements", "/api/products/p0/stock-movements"] {
                let missing = try await client.call(.get, path, token: admin.access)
                #expect(missing.status == .notFound && missing.error == "not_found", "\(path): \(missing.json)")
            }
            let longCursor = "?cursor=" + String(repeating: "m", count: 1_025)
            for (query, field) in [("?cursor=%21", "cursor"), ("?cursor=", "cursor"), (longCursor, "cursor"), ("?limit=0", "limit"),
                                   ("?limit=201", "limit"), ("?limit=ten", "limit")] {
                let bad = try await client.call(.get, "/api/products/\(p)/stock-movements\(query)", token: admin.access)
                #expect(bad.status == .badRequest && bad.error == "invalid_input" && bad.errorField == field, "\(query): \(bad.status) \(bad.json)")
            }
            // The server is still there, and the history unchanged.
            let after = try await client.call(.get, "/api/products/\(p)/stock-movements?limit=200", token: admin.access)
            #expect(after.status == .ok && after.items.compactMap { $0["levelAfter"] as? Int } == [5])
        }
        await server.discard()
    }
}
