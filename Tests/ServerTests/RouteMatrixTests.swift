import Foundation
import HTTPTypes
import HummingbirdTesting
import Shop
import Testing

/// Every route × every role answers as CONTRACT.md says (anonymous, user, admin, owner).
///
/// Statuses only: what each route answers (records, fields, order) is checked by
/// `ListFilterTests` (sales, payments, debts, ledger, audit, inventory, users, reports and their
/// CSV), `OrderAndContractRouteTests` and `NotificationProductAndLogoutRouteTests` (read, read-all,
/// `PUT /api/products/{id}`, logout); `RouteCoverageTests` checks that every documented
/// operation is requested somewhere.
@Suite(.timeLimit(.minutes(3))) struct RouteMatrixTests {
    struct Row: Sendable {
        let method: HTTPRequest.Method
        let path: String
        let body: String?
        /// Expected status for anonymous, user, admin and owner, in that order.
        let expected: [Int]
    }

    @Test func everyRouteAnswersEveryRoleAsTheContractSays() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let admin = try await client.signIn(telegramId: 2_000, firstName: "Adão")
            let user = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let grant = try await client.call(.patch, "/api/users/\(admin.userId)", token: owner.access, json: ["role": "admin"])
            #expect(grant.status == .ok)
            let product = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Coxinha", "price": 650, "stock": 1_000])
            let p = try #require(product.json["id"] as? String)
            let u = user.userId
            // A sale of two units to Ana: the admin and the owner each refund one.
            let sold = try await client.call(.post, "/api/purchases", token: owner.access, json: ["buyerId": u, "items": [["productId": p, "quantity": 2]]])
            let s = try #require(sold.json["id"] as? String)
            // A customer only the owner's erasure row touches.
            let vera = try await client.signIn(telegramId: 7_777, firstName: "Vera")
            let rows: [Row] = [
                Row(method: .get, path: "/api/products", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .post, path: "/api/products", body: #"{"name":"Suco","price":500}"#, expected: [401, 403, 201, 201]),
                Row(method: .get, path: "/api/products/\(p)", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .patch, path: "/api/products/\(p)", body: #"{"price":700}"#, expected: [401, 403, 200, 200]),
                Row(method: .post, path: "/api/products/\(p)/stock", body: #"{"delta":1,"reason":"restock"}"#, expected: [401, 403, 200, 200]),
                Row(method: .get, path: "/api/inventory", body: nil, expected: [401, 403, 200, 200]),
                Row(method: .get, path: "/api/products/\(p)/stock-movements", body: nil, expected: [401, 403, 200, 200]),
                Row(method: .patch, path: "/api/inventory/\(p)", body: #"{"lowStockThreshold":3}"#, expected: [401, 403, 200, 200]),
                Row(method: .post, path: "/api/purchases", body: #"{"buyerId":"\#(u)","items":[{"productId":"\#(p)","quantity":2}]}"#, expected: [401, 403, 201, 201]),
                Row(method: .get, path: "/api/sales", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .get, path: "/api/sales/\(s)", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .post, path: "/api/sales/\(s)/refund", body: #"{"items":[{"productId":"\#(p)","quantity":1}],"restock":false}"#,
                    expected: [401, 403, 200, 200]),
                Row(method: .post, path: "/api/payments", body: #"{"userId":"\#(u)","amount":1}"#, expected: [401, 403, 201, 201]),
                Row(method: .get, path: "/api/payments", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .get, path: "/api/debts", body: nil, expected: [401, 403, 200, 200]),
                Row(method: .get, path: "/api/debts/me", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .get, path: "/api/debts/reminders", body: nil, expected: [401, 403, 200, 200]),
                Row(method: .post, path: "/api/debts/\(u)/remind", body: "{}", expected: [401, 403, 200, 200]),
                Row(method: .post, path: "/api/debts/\(u)/pause", body: #"{"paused":true}"#, expected: [401, 403, 200, 200]),
                Row(method: .get, path: "/api/transactions", body: nil, expected: [401, 403, 403, 200]),
                Row(method: .get, path: "/api/users", body: nil, expected: [401, 403, 403, 200]),
                Row(method: .get, path: "/api/users/\(u)", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .patch, path: "/api/users/\(u)", body: #"{"role":"user"}"#, expected: [401, 403, 403, 200]),
                Row(method: .post, path: "/api/users/bulk", body: #"{"action":"unblock","ids":["\#(u)"]}"#, expected: [401, 403, 403, 200]),
                Row(method: .post, path: "/api/users", body: #"{"telegramId":8888,"name":"Caio","role":"user"}"#, expected: [401, 403, 403, 201]),
                Row(method: .post, path: "/api/users/\(vera.userId)/erase", body: nil, expected: [401, 403, 403, 200]),
                Row(method: .get, path: "/api/me/export", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .post, path: "/api/orders/bulk", body: #"{"action":"fulfil","ids":["o999"]}"#, expected: [401, 403, 200, 200]),
                Row(method: .get, path: "/api/orders", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .post, path: "/api/orders", body: #"{"items":[{"productId":"\#(p)","quantity":1}]}"#, expected: [401, 201, 201, 201]),
                Row(method: .get, path: "/api/contracts", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .post, path: "/api/contracts",
                    body: #"{"title":"Rateio","terms":"…","amount":100,"parties":[{"userId":"\#(u)","part":"a"},{"userId":"\#(owner.userId)","part":"b"}]}"#,
                    expected: [401, 403, 403, 201]),
                Row(method: .get, path: "/api/notifications", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .get, path: "/api/notifications/wording", body: nil, expected: [200, 200, 200, 200]),
                Row(method: .post, path: "/api/notifications/read-all", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .post, path: "/api/notifications", body: #"{"role":"user","title":"Fechado amanhã"}"#, expected: [401, 403, 201, 201]),
                Row(method: .get, path: "/api/dashboard", body: nil, expected: [401, 403, 200, 200]),
                Row(method: .get, path: "/api/settings", body: nil, expected: [401, 403, 200, 200]),
                Row(method: .put, path: "/api/settings", body: #"{"dailySummary":{"enabled":true,"time":"21:00"}}"#, expected: [401, 403, 403, 200]),
                Row(method: .get, path: "/api/reports?groupBy=product", body: nil, expected: [401, 403, 200, 200]),
                Row(method: .get, path: "/api/reports/export.csv", body: nil, expected: [401, 403, 200, 200]),
                Row(method: .get, path: "/api/reports/export.xlsx", body: nil, expected: [401, 403, 200, 200]),
                Row(method: .get, path: "/api/audit", body: nil, expected: [401, 403, 403, 200]),
                Row(method: .get, path: "/api/commands", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .get, path: "/api/auth/me", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .get, path: "/api/auth/sessions", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .get, path: "/api/user/permissions", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .get, path: "/api/changes", body: nil, expected: [401, 200, 200, 200]),
                Row(method: .get, path: "/health", body: nil, expected: [200, 200, 200, 200]),
            ]
            let tokens: [String?] = [nil, user.access, admin.access, owner.access]
            let roles = ["anonymous", "user", "admin", "owner"]
            for row in rows {
                for (i, token) in tokens.enumerated() {
                    let reply = try await client.call(row.method, row.path, token: token, text: row.body)
                    #expect(Int(reply.status.code) == row.expected[i], "\(row.method) \(row.path) as \(roles[i]): \(reply.status.code) \(reply.json)")
                    if reply.status.code >= 400 {
                        #expect(reply.error != nil, "\(row.method) \(row.path) as \(roles[i]) answered without the contract's error shape")
                    }
                }
            }
        }
        await server.discard()
    }

    @Test func longPollingGivesTheSameEventsAsTheSocket() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let since = server.shop.feedHead
            let product = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Bolo", "price": 900, "stock": 3])
            let p = try #require(product.json["id"] as? String)
            _ = try await client.call(.post, "/api/products/\(p)/stock", token: owner.access, json: ["delta": 2, "reason": "restock"])
            let page = try await client.call(.get, "/api/changes?since=\(since)&topics=inventory", token: owner.access)
            let events = try #require(page.json["events"] as? [[String: Any]])
            #expect(events.compactMap { $0["event"] as? String }.contains("inventory_update"))
            #expect(events.compactMap { ($0["data"] as? [String: Any])?["stock"] as? Int }.last == 5)
            let next = try #require(page.json["next"] as? Int)
            // Nothing new: a short wait comes back empty, pointing at the same place.
            let empty = try await client.call(.get, "/api/changes?since=\(next)&topics=inventory&wait=1", token: owner.access)
            #expect((empty.json["events"] as? [Any])?.isEmpty == true && empty.json["next"] as? Int == next)
        }
        await server.discard()
    }
}
