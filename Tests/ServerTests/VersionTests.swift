import Foundation
import HTTPTypes
import HummingbirdTesting
import Server
import Testing

/// `If-Match` on the routes that edit users and thresholds, and the versions answers carry.
@Suite(.timeLimit(.minutes(1))) struct VersionTests {
    @Test func aStaleIfMatchOnAUserIsRefusedWith412AndChangesNothing() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let read = try await client.call(.get, "/api/users/\(ana.userId)", token: owner.access)
            let version = try #require(read.json["version"] as? Int)

            let granted = try await client.call(.patch, "/api/users/\(ana.userId)", token: owner.access, json: ["role": "admin"],
                                                headers: [.ifMatch: "\"\(version)\""])
            #expect(granted.status == .ok && granted.json["role"] as? String == "admin")
            let newVersion = try #require(granted.json["version"] as? Int)
            #expect(newVersion > version)

            // A second edit made from the same old screen is refused and writes nothing but the
            // audit trail's record of the refusal (the check is inside the command's write).
            let head = server.shop.feedHead
            let stale = try await client.call(.patch, "/api/users/\(ana.userId)", token: owner.access, json: ["blocked": true],
                                              headers: [.ifMatch: "\(version)"])
            #expect(stale.status == .preconditionFailed && stale.error == "version_conflict")
            #expect(try server.shop.changes(after: head).allSatisfy { $0.collection == "audit" })
            let after = try await client.call(.get, "/api/users/\(ana.userId)", token: owner.access)
            #expect(after.json["blocked"] as? Bool == false && after.json["version"] as? Int == newVersion)

            let garbled = try await client.call(.patch, "/api/users/\(ana.userId)", token: owner.access, json: ["role": "user"],
                                                headers: [.ifMatch: "yesterday"])
            #expect(garbled.status == .badRequest && garbled.errorField == "If-Match")
        }
        await server.discard()
    }

    @Test func aStaleIfMatchOnAThresholdIsRefusedWith412() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Bolo", "price": 900, "stock": 8])
            let product = try #require(created.json["id"] as? String)
            let version = try #require(created.json["version"] as? Int)

            let set = try await client.call(.patch, "/api/inventory/\(product)", token: owner.access, json: ["lowStockThreshold": 3],
                                            headers: [.ifMatch: "\(version)"])
            #expect(set.status == .ok && set.json["lowStockThreshold"] as? Int == 3)
            let stale = try await client.call(.patch, "/api/inventory/\(product)", token: owner.access, json: ["lowStockThreshold": 7],
                                              headers: [.ifMatch: "\(version)"])
            #expect(stale.status == .preconditionFailed && stale.error == "version_conflict")
            let now = try await client.call(.get, "/api/products/\(product)", token: owner.access)
            #expect(now.json["lowStockThreshold"] as? Int == 3 && now.json["version"] as? Int == set.json["version"] as? Int)
            // Without If-Match the threshold is simply set.
            let unconditional = try await client.call(.patch, "/api/inventory/\(product)", token: owner.access, json: ["lowStockThreshold": 7])
            #expect(unconditional.status == .ok && unconditional.json["lowStockThreshold"] as? Int == 7)
        }
        await server.discard()
    }

    @Test func purchasesAndPaymentsAnswerWithTheStoredVersion() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Suco", "price": 500, "stock": 8])
            let product = try #require(created.json["id"] as? String)
            let sale = try await client.call(.post, "/api/purchases", token: owner.access,
                                             json: ["buyerId": ana.userId, "items": [["productId": product, "quantity": 2]]])
            let payment = try await client.call(.post, "/api/payments", token: owner.access, json: ["userId": ana.userId, "amount": 400])
            #expect(sale.status == .created && payment.status == .created)

            let sales = try await client.call(.get, "/api/sales", token: owner.access)
            let storedSale = (sales.json["items"] as? [[String: Any]])?.first { $0["id"] as? String == sale.json["id"] as? String }
            #expect(sale.json["version"] as? Int != nil && sale.json["version"] as? Int == storedSale?["version"] as? Int)
            let payments = try await client.call(.get, "/api/payments", token: owner.access)
            let storedPayment = (payments.json["items"] as? [[String: Any]])?.first { $0["id"] as? String == payment.json["id"] as? String }
            #expect(payment.json["version"] as? Int != nil && payment.json["version"] as? Int == storedPayment?["version"] as? Int)
        }
        await server.discard()
    }
}

/// `/metrics` is open, the owner's only, or off, as `--metrics` says.
@Suite(.timeLimit(.minutes(1))) struct MetricsAccessTests {
    static func metrics(_ client: any TestClientProtocol, token: String?) async throws -> (HTTPResponse.Status, String) {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: "/metrics", method: .get, headers: headers) { ($0.status, String(buffer: $0.body)) }
    }

    @Test func metricsForTheOwnerOnlyRefuseAnonymousCallersAndOtherRoles() async throws {
        let server = try await LiveServer.make(metricsAccess: .owner)
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let anonymous = try await Self.metrics(client, token: nil)
            #expect(anonymous.0 == .unauthorized && anonymous.1.contains("not_authenticated"))
            let user = try await Self.metrics(client, token: ana.access)
            #expect(user.0 == .forbidden && user.1.contains("forbidden"))
            let allowed = try await Self.metrics(client, token: owner.access)
            #expect(allowed.0 == .ok && allowed.1.contains("tenda_store_feed_head "))
        }
        await server.discard()
    }

    @Test func metricsSwitchedOffAreNotServedAndPublicOnesAreOpen() async throws {
        let off = try await LiveServer.make(metricsAccess: .off)
        try await off.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let off = try await Self.metrics(client, token: owner.access)
            #expect(off.0 == .notFound && off.1.contains("not_found"))
        }
        // The same shop served again, with public metrics.
        let open = try await LiveServer.reopen(off.folder, metricsAccess: .anyone)
        try await open.run { client, _ in
            let open = try await Self.metrics(client, token: nil)
            #expect(open.0 == .ok && open.1.contains("tenda_hub_subscribers "))
        }
        await open.discard()
    }
}
