import Foundation
import HTTPTypes
import HummingbirdTesting
import Shop
import Store
import Testing

/// Every documented list filter, and the lists whose content is known (reports and their CSV,
/// the ledger, the audit trail, inventory, users, debts), checked record by record, in order.
///
/// The four sales are written through the shop at fixed past times (as `tenda import` does), so
/// the `from`/`to` bounds fall between known sales; everything else goes over HTTP.
@Suite(.timeLimit(.minutes(2))) struct ListFilterTests {
    static func time(_ text: String) -> Date { RFC3339.date(from: text)! }

    @Test func everyListFilterSelectsTheRecordsItNames() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let (owner, admin, ana, bruno) = try await client.signInCast()
            func product(_ body: [String: Any]) async throws -> String {
                let reply = try await client.call(.post, "/api/products", token: owner.access, json: body)
                return try #require(reply.json["id"] as? String, "\(reply.json)")
            }
            let coxinha = try await product(["name": "Coxinha", "category": "Salgados", "price": 650, "stock": 100])
            let suco = try await product(["name": "Suco", "category": "Bebidas", "price": 500, "stock": 10, "lowStockThreshold": 5])
            let bolo = try await product(["name": "Bolo", "category": "Doces", "price": 900, "stock": 2, "lowStockThreshold": 5])
            let velho = try await product(["name": "Velho", "price": 100, "stock": 50])
            #expect(try await client.call(.delete, "/api/products/\(velho)", token: owner.access).status == .ok)

            func buy(_ buyer: String, _ product: String, _ quantity: Int64, _ at: String) async throws -> String {
                let sale = try await server.shop.execute(Buy(buyerId: EntityKind.user.parse(buyer)!, items: [
                    LineItem(productId: EntityKind.product.parse(product)!, quantity: quantity),
                ]), as: .system(), at: Self.time(at))
                return EntityKind.sale.format(sale.id)
            }
            let s1 = try await buy(ana.userId, coxinha, 2, "2026-01-10T12:00:00Z")   // 1,300
            let s2 = try await buy(bruno.userId, suco, 1, "2026-01-20T12:00:00Z")    //   500
            let s3 = try await buy(ana.userId, suco, 3, "2026-02-05T12:00:00Z")      // 1,500
            let s4 = try await buy(bruno.userId, coxinha, 1, "2026-02-15T12:00:00Z") //   650

            // Sales: from, to, buyerId, productId, alone and together; newest first.
            func sales(_ query: String, _ token: String? = nil) async throws -> [String] {
                let reply = try await client.call(.get, "/api/sales\(query)", token: token ?? admin.access)
                #expect(reply.status == .ok, "GET /api/sales\(query): \(reply.json)")
                return reply.ids
            }
            #expect(try await sales("") == [s4, s3, s2, s1])
            #expect(try await sales("?from=2026-01-15T00:00:00Z") == [s4, s3, s2])
            #expect(try await sales("?to=2026-02-01T00:00:00Z") == [s2, s1])
            #expect(try await sales("?from=2026-01-15T00:00:00Z&to=2026-02-10T00:00:00Z") == [s3, s2])
            #expect(try await sales("?buyerId=\(ana.userId)") == [s3, s1])
            #expect(try await sales("?buyerId=\(ana.userId)&from=2026-01-15T00:00:00Z") == [s3])
            #expect(try await sales("?buyerId=\(bruno.userId)&to=2026-02-01T00:00:00Z") == [s2])
            #expect(try await sales("?productId=\(coxinha)") == [s4, s1])
            #expect(try await sales("?productId=\(suco)&from=2026-02-01T00:00:00Z") == [s3])
            #expect(try await sales("?buyerId=\(ana.userId)&productId=\(suco)") == [s3])
            #expect(try await sales("", ana.access) == [s3, s1], "a user sees only their own")
            #expect(try await client.call(.get, "/api/sales?buyerId=\(bruno.userId)", token: ana.access).status == .forbidden)
            #expect(try await client.call(.get, "/api/sales?from=yesterday", token: admin.access).status == .badRequest)
            let page = try await client.call(.get, "/api/sales?limit=3", token: admin.access)
            let next = try #require(page.json["next"] as? String)
            let secondPage = try await sales("?limit=3&cursor=\(next)")
            #expect(page.ids == [s4, s3, s2] && secondPage == [s1])
            let january10 = try await client.call(.get, "/api/sales?buyerId=\(ana.userId)&to=2026-01-11T00:00:00Z", token: admin.access)
            let first = try #require(january10.items.first)
            #expect(first["total"] as? Int == 1_300 && first["at"] as? String == "2026-01-10T12:00:00Z" && first["buyerId"] as? String == ana.userId)

            // Payments: userId.
            for (user, amount) in [(ana.userId, 1_000), (bruno.userId, 200)] {
                let paid = try await client.call(.post, "/api/payments", token: admin.access, json: ["userId": user, "amount": amount, "method": "pix"])
                #expect(paid.status == .created && paid.json["actorId"] as? String == admin.userId)
            }
            let payments = try await client.call(.get, "/api/payments", token: admin.access)
            #expect(payments.items.compactMap { $0["amount"] as? Int } == [200, 1_000])
            let anas = try await client.call(.get, "/api/payments?userId=\(ana.userId)", token: admin.access)
            #expect(anas.items.compactMap { $0["userId"] as? String } == [ana.userId] && anas.items.first?["amount"] as? Int == 1_000)
            #expect(try await client.call(.get, "/api/payments", token: bruno.access).items.compactMap { $0["amount"] as? Int } == [200])
            #expect(try await client.call(.get, "/api/payments?userId=\(ana.userId)", token: bruno.access).status == .forbidden)

            // Debts: what each owes after those sales and payments.
            let debts = try await client.call(.get, "/api/debts", token: admin.access)
            let owed = Dictionary(uniqueKeysWithValues: debts.items.compactMap { item in
                (item["userId"] as? String).map { ($0, item["amount"] as? Int ?? -1) }
            })
            #expect(owed == [ana.userId: 1_800, bruno.userId: 950], "\(debts.json)")
            #expect(try await client.call(.get, "/api/debts/me", token: bruno.access).json["amount"] as? Int == 950)

            // The ledger: userId; one entry per sale and payment, newest first.
            let ledger = try await client.call(.get, "/api/transactions?userId=\(bruno.userId)", token: owner.access)
            #expect(ledger.items.compactMap { $0["kind"] as? String } == ["payment", "sale", "sale"], "\(ledger.json)")
            #expect(ledger.items.dropFirst().compactMap { $0["reference"] as? String } == [s4, s2])
            #expect(ledger.items.allSatisfy { $0["userId"] as? String == bruno.userId })
            let everything = try await client.call(.get, "/api/transactions", token: owner.access)
            #expect(everything.items.count == 6 && Set(everything.items.compactMap { $0["userId"] as? String }) == [ana.userId, bruno.userId])

            // The audit trail: actorId.
            let byAdmin = try await client.call(.get, "/api/audit?actorId=\(admin.userId)", token: owner.access)
            #expect(byAdmin.items.compactMap { $0["command"] as? String } == ["recordPayment", "recordPayment"], "\(byAdmin.json)")
            #expect(byAdmin.items.allSatisfy { $0["actorId"] as? String == admin.userId && $0["channel"] as? String == "rest" })
            let byOwner = try await client.call(.get, "/api/audit?actorId=\(owner.userId)", token: owner.access)
            #expect(byOwner.items.compactMap { $0["command"] as? String }
                == ["archiveProduct", "createProduct", "createProduct", "createProduct", "createProduct", "updateUser"], "\(byOwner.json)")

            // Products: search and category (archived is ProductListTests').
            func names(_ query: String) async throws -> [String] {
                try await client.call(.get, "/api/products\(query)", token: ana.access).items.compactMap { $0["name"] as? String }
            }
            #expect(try await names("?category=Bebidas") == ["Suco"])
            #expect(try await names("?search=cox") == ["Coxinha"])

            // Inventory: every active product, low ones first, then by name.
            let inventory = try await client.call(.get, "/api/inventory", token: admin.access)
            let lines = inventory.items.map { "\(($0["product"] as? [String: Any])?["name"] ?? "") \($0["isLow"] as? Bool ?? false)" }
            #expect(lines == ["Bolo true", "Coxinha false", "Suco false"], "\(inventory.json)")
            #expect((inventory.items.first?["product"] as? [String: Any])?["stock"] as? Int == 2 && inventory.json["next"] is NSNull)

            // Users: newest first, with their roles; paged.
            let users = try await client.call(.get, "/api/users", token: owner.access)
            #expect(users.ids == [bruno.userId, ana.userId, admin.userId, owner.userId])
            #expect(users.items.compactMap { $0["role"] as? String } == ["user", "user", "admin", "owner"])
            #expect(users.items.compactMap { $0["name"] as? String } == ["Bruno", "Ana", "Adão", "Olga"])
            let firstUsers = try await client.call(.get, "/api/users?limit=3", token: owner.access)
            let rest = try #require(firstUsers.json["next"] as? String)
            #expect(try await client.call(.get, "/api/users?limit=3&cursor=\(rest)", token: owner.access).ids == [owner.userId])
        }
        await server.discard()
    }

    @Test func reportsAndTheirCSVHoldTheSalesOfTheRange() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let (owner, admin, ana, bruno) = try await client.signInCast()
            let coxinhaReply = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Coxinha", "price": 650, "stock": 100])
            let sucoReply = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Suco, gelado", "price": 500, "stock": 100])
            let coxinha = try #require(coxinhaReply.json["id"] as? String)
            let suco = try #require(sucoReply.json["id"] as? String)
            for (buyer, product, quantity, at) in [(ana.userId, coxinha, 2, "2026-01-10T12:00:00Z"), (bruno.userId, suco, 1, "2026-01-20T12:00:00Z"),
                                                    (ana.userId, suco, 3, "2026-02-05T12:00:00Z"), (bruno.userId, coxinha, 1, "2026-02-15T12:00:00Z"),
                                                    (bruno.userId, coxinha, 9, "2026-03-02T12:00:00Z")] {
                _ = try await server.shop.execute(Buy(buyerId: EntityKind.user.parse(buyer)!, items: [
                    LineItem(productId: EntityKind.product.parse(product)!, quantity: Int64(quantity)),
                ]), as: .system(), at: Self.time(at))
            }
            let january = "from=2026-01-01T00:00:00Z&to=2026-01-31T00:00:00Z"
            let byProduct = try await client.call(.get, "/api/reports?\(january)&groupBy=product", token: admin.access)
            #expect(byProduct.status == .ok && byProduct.json["groupBy"] as? String == "product" && byProduct.json["currency"] as? String == "BRL")
            let rows = byProduct.json["rows"] as? [[String: Any]] ?? []
            #expect(rows.map { "\($0["key"] ?? "") \($0["label"] ?? "") \($0["units"] ?? "") \($0["revenue"] ?? "")" }
                == ["\(coxinha) Coxinha 2 1300", "\(suco) Suco, gelado 1 500"], "\(byProduct.json)")
            #expect(byProduct.json["totalRevenue"] as? Int == 1_800)

            let csv = try await client.execute(uri: "/api/reports/export.csv?\(january)&groupBy=product", method: .get,
                                               headers: [.authorization: "Bearer \(admin.access)"]) { $0 }
            #expect(csv.status == .ok && csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(csv.headers[.contentDisposition] == "attachment; filename=\"tenda-product.csv\"")
            #expect(String(buffer: csv.body) == "key,label,sales,units,revenue,currency,lifetimeRevenue,debt\r\n\(coxinha),Coxinha,0,2,1300,BRL,,\r\n\(suco),\"Suco, gelado\",0,1,500,BRL,,\r\n")

            let byMonth = try await client.call(.get, "/api/reports?from=2026-01-01T00:00:00Z&to=2026-02-28T00:00:00Z&groupBy=month", token: admin.access)
            let months = (byMonth.json["rows"] as? [[String: Any]] ?? []).map { "\($0["key"] ?? "") \($0["sales"] ?? "") \($0["revenue"] ?? "")" }
            #expect(months == ["2026-01 2 1800", "2026-02 2 2150"], "\(byMonth.json)")
            let monthCSV = try await client.execute(uri: "/api/reports/export.csv?from=2026-01-01T00:00:00Z&to=2026-02-28T00:00:00Z&groupBy=month",
                                                    method: .get, headers: [.authorization: "Bearer \(admin.access)"]) { String(buffer: $0.body) }
            let csvRows = monthCSV.split(separator: "\r\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
            #expect(csvRows.map { [$0[0], $0[2], $0[4]] } == [["2026-01", "2", "1800"], ["2026-02", "2", "2150"]], "\(monthCSV)")

            let byBuyer = try await client.call(.get, "/api/reports?from=2026-01-01T00:00:00Z&to=2026-02-28T00:00:00Z&groupBy=buyer", token: admin.access)
            let buyers = (byBuyer.json["rows"] as? [[String: Any]] ?? []).map { "\($0["key"] ?? "") \($0["label"] ?? "") \($0["revenue"] ?? "")" }
            #expect(buyers == ["\(ana.userId) Ana 2800", "\(bruno.userId) Bruno 1150"], "\(byBuyer.json)")

            let days = try await client.call(.get, "/api/reports?from=2026-01-09T00:00:00Z&to=2026-01-11T00:00:00Z", token: admin.access)
            let dayRows = (days.json["rows"] as? [[String: Any]] ?? []).map { "\($0["key"] ?? "") \($0["revenue"] ?? "")" }
            #expect(dayRows == ["2026-01-09 0", "2026-01-10 1300", "2026-01-11 0"], "the default grouping is by day, every day of the range: \(days.json)")
            #expect(try await client.call(.get, "/api/reports?groupBy=hour", token: admin.access).status == .badRequest)
        }
        await server.discard()
    }
}
