import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// The order and contract routes over HTTP, step by step: which record each answers, its state,
/// its fields and version, and what the lists then hold, in which order.
@Suite(.timeLimit(.minutes(2))) struct OrderAndContractRouteTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 9, count: 64)

    /// The `to` of each step of a record's history.
    static func steps(_ reply: Reply) -> [String] {
        (reply.json["history"] as? [[String: Any]] ?? []).compactMap { $0["to"] as? String }
    }

    static func stock(_ client: any TestClientProtocol, _ product: String, _ token: String) async throws -> Int? {
        try await client.call(.get, "/api/products/\(product)", token: token).json["stock"] as? Int
    }

    @Test func anOrderGoesFromPlacedToFulfilledAndEachStepAnswersTheOrder() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let (owner, admin, ana, bruno) = try await client.signInCast()
            let product = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Coxinha", "price": 650, "stock": 10])
            let p = try #require(product.json["id"] as? String)

            let placed = try await client.call(.post, "/api/orders", token: ana.access, json: ["items": [["productId": p, "quantity": 3]]])
            #expect(placed.status == .created, "\(placed.json)")
            let o = try #require(placed.json["id"] as? String)
            #expect(placed.json["customerId"] as? String == ana.userId && placed.json["state"] as? String == "pending_payment")
            #expect(placed.json["total"] as? Int == 1_950 && placed.json["currency"] as? String == "BRL")
            let lines = try #require(placed.json["lines"] as? [[String: Any]])
            #expect(lines.count == 1 && lines[0]["productId"] as? String == p && lines[0]["quantity"] as? Int == 3 && lines[0]["unitPrice"] as? Int == 650)
            #expect(placed.version > 0 && Self.steps(placed) == ["pending_payment"])
            #expect(try await Self.stock(client, p, owner.access) == 7, "placing the order reserves the units")

            // Read back by its customer and by an admin; another user is told it does not exist.
            let got = try await client.call(.get, "/api/orders/\(o)", token: ana.access)
            #expect(got.status == .ok && got.json["id"] as? String == o && got.version == placed.version)
            #expect(try await client.call(.get, "/api/orders/\(o)", token: admin.access).json["state"] as? String == "pending_payment")
            #expect(try await client.call(.get, "/api/orders/\(o)", token: bruno.access).status == .notFound)

            let media = try await client.execute(uri: "/api/media", method: .post, headers: [
                .authorization: "Bearer \(ana.access)", .contentType: "image/png",
            ], body: ByteBuffer(bytes: Self.png)) { response in
                (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
            }
            let m = try #require(media["id"] as? String)
            let image = try await client.execute(uri: "/media/\(m)", method: .get, headers: [.authorization: "Bearer \(admin.access)"]) { $0 }
            #expect(image.status == .ok && Array(buffer: image.body) == Self.png, "the admin sees the receipt the customer sent")

            // Only the customer sends the receipt; only an admin verifies.
            #expect(try await client.call(.post, "/api/orders/\(o)/receipt", token: admin.access, json: ["mediaId": m]).status == .forbidden)
            let receipt = try await client.call(.post, "/api/orders/\(o)/receipt", token: ana.access, json: ["mediaId": m])
            #expect(receipt.status == .ok && receipt.json["state"] as? String == "receipt_submitted" && receipt.json["receiptMediaId"] as? String == m)
            #expect(receipt.version > placed.version)
            #expect(try await client.call(.post, "/api/orders/\(o)/verify", token: ana.access).status == .forbidden)

            let verified = try await client.call(.post, "/api/orders/\(o)/verify", token: admin.access)
            #expect(verified.status == .ok && verified.json["state"] as? String == "verified" && verified.json["reviewerId"] as? String == admin.userId)
            let saleId = try #require(verified.json["saleId"] as? String)
            let sales = try await client.call(.get, "/api/sales?buyerId=\(ana.userId)", token: admin.access)
            #expect(sales.ids == [saleId] && sales.items.first?["orderId"] as? String == o && sales.items.first?["total"] as? Int == 1_950)
            #expect(try await Self.stock(client, p, owner.access) == 7, "verifying books the money; the units were taken when it was placed")

            let fulfilled = try await client.call(.post, "/api/orders/\(o)/fulfil", token: admin.access)
            #expect(fulfilled.status == .ok && fulfilled.json["state"] as? String == "fulfilled")
            #expect(Self.steps(fulfilled) == ["pending_payment", "receipt_submitted", "verified", "fulfilled"])
            #expect(fulfilled.version > verified.version && verified.version > receipt.version)
            let final = try await client.call(.get, "/api/orders/\(o)", token: ana.access)
            #expect(final.version == fulfilled.version && final.json["state"] as? String == "fulfilled", "each step answers the version a GET then gives")
            // A fulfilled order moves no further.
            #expect(try await client.call(.post, "/api/orders/\(o)/cancel", token: admin.access).status == .conflict)

            #expect(try await client.call(.get, "/api/orders?state=fulfilled", token: admin.access).ids == [o])
            #expect(try await client.call(.get, "/api/orders?state=pending_payment", token: admin.access).ids == [])
        }
        await server.discard()
    }

    @Test func rejectedAndCancelledOrdersGiveTheirUnitsBackAndTheListsFilterByState() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let (owner, admin, ana, bruno) = try await client.signInCast()
            let product = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Pastel", "price": 800, "stock": 10])
            let p = try #require(product.json["id"] as? String)
            let first = try await client.call(.post, "/api/orders", token: ana.access, json: ["items": [["productId": p, "quantity": 2]]])
            let a = try #require(first.json["id"] as? String)
            let second = try await client.call(.post, "/api/orders", token: ana.access, json: ["items": [["productId": p, "quantity": 4]]])
            let b = try #require(second.json["id"] as? String)
            // An admin places one for a customer.
            let forBruno = try await client.call(.post, "/api/orders", token: admin.access,
                                                 json: ["items": [["productId": p, "quantity": 1]], "customerId": bruno.userId])
            #expect(forBruno.status == .created && forBruno.json["customerId"] as? String == bruno.userId)
            let c = try #require(forBruno.json["id"] as? String)
            #expect(try await Self.stock(client, p, owner.access) == 3)

            _ = try await client.call(.post, "/api/orders/\(a)/receipt", token: ana.access, json: ["mediaId": "m0001"])
            let rejected = try await client.call(.post, "/api/orders/\(a)/reject", token: admin.access, json: ["reason": "comprovante ilegível"])
            #expect(rejected.status == .ok && rejected.json["state"] as? String == "rejected" && rejected.json["reason"] as? String == "comprovante ilegível")
            #expect(Self.steps(rejected) == ["pending_payment", "receipt_submitted", "rejected"])
            #expect(try await Self.stock(client, p, owner.access) == 5, "a rejected order gives its 2 units back")

            let cancelled = try await client.call(.post, "/api/orders/\(b)/cancel", token: ana.access, json: ["reason": "mudei de ideia"])
            #expect(cancelled.status == .ok && cancelled.json["state"] as? String == "cancelled")
            #expect(try await Self.stock(client, p, owner.access) == 9, "a cancelled order gives its 4 units back")
            // Someone else's order cannot be cancelled by a user.
            #expect(try await client.call(.post, "/api/orders/\(c)/cancel", token: ana.access).status == .notFound)

            #expect(try await client.call(.get, "/api/orders", token: ana.access).ids == [b, a], "a user sees their own, newest first")
            #expect(try await client.call(.get, "/api/orders", token: bruno.access).ids == [c])
            #expect(try await client.call(.get, "/api/orders", token: admin.access).ids == [c, b, a])
            #expect(try await client.call(.get, "/api/orders?state=rejected", token: admin.access).ids == [a])
            #expect(try await client.call(.get, "/api/orders?state=cancelled", token: ana.access).ids == [b])
            #expect(try await client.call(.get, "/api/orders?state=pending_payment", token: admin.access).ids == [c])
            let page = try await client.call(.get, "/api/orders?limit=2", token: admin.access)
            let next = try #require(page.json["next"] as? String)
            let secondPage = try await client.call(.get, "/api/orders?limit=2&cursor=\(next)", token: admin.access)
            #expect(page.ids == [c, b] && secondPage.ids == [a])
            #expect(try await client.call(.get, "/api/orders?state=lost", token: admin.access).status == .badRequest)
        }
        await server.discard()
    }

    @Test func aContractIsDraftedSentConfirmedByEachPartyAndCompleted() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let (owner, admin, ana, bruno) = try await client.signInCast()
            let parties: [[String: Any]] = [["userId": ana.userId, "part": "fornece"], ["userId": bruno.userId, "part": "paga"]]
            let drafted = try await client.call(.post, "/api/contracts", token: owner.access,
                                                json: ["title": "Rateio do forno", "terms": "metade cada", "amount": 40_000, "parties": parties, "draft": true])
            #expect(drafted.status == .created && drafted.json["state"] as? String == "draft", "\(drafted.json)")
            let k = try #require(drafted.json["id"] as? String)
            #expect(drafted.json["title"] as? String == "Rateio do forno" && drafted.json["terms"] as? String == "metade cada")
            #expect(drafted.json["amount"] as? Int == 40_000 && drafted.json["createdBy"] as? String == owner.userId)
            #expect(drafted.json["requiredConfirmations"] as? Int == 2 && drafted.json["confirmations"] as? Int == 0 && drafted.version > 0)
            let listed = (drafted.json["parties"] as? [[String: Any]] ?? []).map { "\($0["userId"] ?? "") \($0["part"] ?? "")" }
            #expect(listed == ["\(ana.userId) fornece", "\(bruno.userId) paga"])

            #expect(try await client.call(.post, "/api/contracts/\(k)/submit", token: admin.access).status == .forbidden)
            let sent = try await client.call(.post, "/api/contracts/\(k)/submit", token: owner.access)
            #expect(sent.status == .ok && sent.json["state"] as? String == "pending" && sent.version > drafted.version)

            let anaConfirms = try await client.call(.post, "/api/contracts/\(k)/confirm", token: ana.access)
            #expect(anaConfirms.status == .ok && anaConfirms.json["state"] as? String == "pending" && anaConfirms.json["confirmations"] as? Int == 1)
            let anaParty = (anaConfirms.json["parties"] as? [[String: Any]])?.first
            #expect(anaParty?["confirmedAt"] is String && anaConfirms.version > sent.version)
            // Someone who is not a party neither confirms nor sees it.
            #expect(try await client.call(.post, "/api/contracts/\(k)/confirm", token: admin.access).status == .notFound)
            #expect(try await client.call(.get, "/api/contracts/\(k)", token: admin.access).status == .notFound)
            #expect(try await client.call(.get, "/api/contracts", token: admin.access).ids == [])

            let brunoConfirms = try await client.call(.post, "/api/contracts/\(k)/confirm", token: bruno.access)
            #expect(brunoConfirms.json["state"] as? String == "active" && brunoConfirms.json["confirmations"] as? Int == 2)
            let completed = try await client.call(.post, "/api/contracts/\(k)/complete", token: owner.access)
            #expect(completed.status == .ok && completed.json["state"] as? String == "completed")
            #expect(Self.steps(completed) == ["draft", "pending", "active", "completed"])
            let got = try await client.call(.get, "/api/contracts/\(k)", token: bruno.access)
            #expect(got.status == .ok && got.version == completed.version && got.json["state"] as? String == "completed")
        }
        await server.discard()
    }

    @Test func aContractCanBeDeclinedOrCancelledAndTheListsFilterByState() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let (owner, _, ana, bruno) = try await client.signInCast()
            func create(_ title: String) async throws -> String {
                let reply = try await client.call(.post, "/api/contracts", token: owner.access, json: [
                    "title": title, "terms": "…", "amount": 100, "parties": [["userId": ana.userId], ["userId": bruno.userId]],
                ])
                #expect(reply.status == .created && reply.json["state"] as? String == "pending", "sent at once unless a draft")
                return try #require(reply.json["id"] as? String)
            }
            let declinedId = try await create("Entrega semanal")
            let cancelledId = try await create("Feira de sábado")
            let openId = try await create("Freezer")

            let declined = try await client.call(.post, "/api/contracts/\(declinedId)/decline", token: bruno.access, json: ["reason": "caro demais"])
            #expect(declined.status == .ok && declined.json["state"] as? String == "declined")
            let brunoParty = (declined.json["parties"] as? [[String: Any]])?.last
            #expect(brunoParty?["declinedAt"] is String && brunoParty?["userId"] as? String == bruno.userId)
            #expect((declined.json["history"] as? [[String: Any]])?.last?["note"] as? String == "caro demais")

            #expect(try await client.call(.post, "/api/contracts/\(cancelledId)/cancel", token: ana.access).status == .forbidden)
            let cancelled = try await client.call(.post, "/api/contracts/\(cancelledId)/cancel", token: owner.access, json: ["reason": "chuva"])
            #expect(cancelled.status == .ok && cancelled.json["state"] as? String == "cancelled")
            let read = try await client.call(.get, "/api/contracts/\(cancelledId)", token: owner.access)
            #expect(cancelled.version > 0 && cancelled.version == read.version, "the owner's cancel answers the version it wrote")

            #expect(try await client.call(.get, "/api/contracts", token: ana.access).ids == [openId, cancelledId, declinedId])
            #expect(try await client.call(.get, "/api/contracts?state=declined", token: ana.access).ids == [declinedId])
            #expect(try await client.call(.get, "/api/contracts?state=cancelled", token: owner.access).ids == [cancelledId])
            #expect(try await client.call(.get, "/api/contracts?state=pending", token: bruno.access).ids == [openId])
            #expect(try await client.call(.get, "/api/contracts?state=maybe", token: bruno.access).status == .badRequest)
        }
        await server.discard()
    }
}
