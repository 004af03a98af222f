import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// The product list, written by hand for speed, says exactly what the single-product answer
/// (written by `JSONEncoder`) says, whatever the text holds.
@Suite(.timeLimit(.minutes(1))) struct ProductListTests {
    @Test func everyListedProductEqualsItsOwnAnswerEvenWithAwkwardText() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let names = ["Pão de queijo \"mineiro\"", #"Barra \ invertida"#, "Açaí 🍇 / 500 ml", "Tab\there", "Linha\nnova"]
            for (i, name) in names.enumerated() {
                let created = try await client.call(.post, "/api/products", token: owner.access, json: [
                    "name": name, "emoji": "🥟", "description": "controle \u{01} e \u{1F} fim", "category": "Doces/Salgados",
                    "price": 100 + i, "stock": i, "mediaIds": i == 0 ? ["m1", "m2"] : [],
                ])
                #expect(created.status == .created, "\(name): \(created.json)")
            }
            let list = try await client.call(.get, "/api/products?limit=3", token: owner.access)
            #expect(list.status == .ok && list.headers[.contentType] == "application/json; charset=utf-8")
            let next = try #require(list.json["next"] as? String)
            let rest = try await client.call(.get, "/api/products?cursor=\(next)", token: owner.access)
            #expect(rest.json.keys.contains("next") && rest.json["next"] is NSNull)
            let items = (list.json["items"] as? [[String: Any]] ?? []) + (rest.json["items"] as? [[String: Any]] ?? [])
            #expect(items.count == names.count)
            #expect(Set(items.compactMap { $0["name"] as? String }) == Set(names))
            for item in items {
                let id = try #require(item["id"] as? String)
                let single = try await client.call(.get, "/api/products/\(id)", token: owner.access)
                #expect(NSDictionary(dictionary: item) == NSDictionary(dictionary: single.json), "\(id)")
            }
        }
        await server.discard()
    }

    @Test func aRepeatedListFollowsEveryWriteAndEachCallersRights() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Suco", "price": 500, "stock": 3])
            let product = try #require(created.json["id"] as? String)
            func names(_ token: String, _ query: String = "") async throws -> [String] {
                let list = try await client.call(.get, "/api/products\(query)", token: token)
                return (list.json["items"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
            }
            func stocks(_ token: String) async throws -> [Int] {
                let list = try await client.call(.get, "/api/products", token: token)
                return (list.json["items"] as? [[String: Any]])?.compactMap { $0["stock"] as? Int } ?? []
            }
            #expect(try await stocks(ana.access) == [3])
            #expect(try await stocks(ana.access) == [3])  // asked twice of the same state
            _ = try await client.call(.post, "/api/products/\(product)/stock", token: owner.access, json: ["delta": 2, "reason": "restock"])
            #expect(try await stocks(ana.access) == [5])
            _ = try await client.call(.patch, "/api/products/\(product)", token: owner.access, json: ["name": "Suco de caju"])
            #expect(try await names(ana.access) == ["Suco de caju"])

            // Archived products are the owner's to list, not Ana's, with the same query.
            _ = try await client.call(.delete, "/api/products/\(product)", token: owner.access)
            #expect(try await names(owner.access, "?archived=true") == ["Suco de caju"])
            #expect(try await names(ana.access, "?archived=true") == [])
            #expect(try await names(owner.access, "?archived=true") == ["Suco de caju"])
            #expect(try await names(owner.access) == [])
        }
        await server.discard()
    }
}
