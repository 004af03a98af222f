import Foundation
import HTTPTypes
import HummingbirdTesting
import Shop
import Testing

/// `GET`/`PUT /api/settings`: the shop's time zone and the daily summary, changed by the owner only.
@Suite(.timeLimit(.minutes(3))) struct SettingsRouteTests {
    /// "true 21:00": the answer's dailySummary, enabled and time.
    static func summary(_ json: [String: Any]) -> String {
        let s = json["dailySummary"] as? [String: Any]
        return "\((s?["enabled"] as? Bool).map { $0 ? "true" : "false" } ?? "nil") \(s?["time"] as? String ?? "nil")"
    }

    @Test func theOwnerChangesTheSettingsAndOthersAreRefused() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let cast = try await client.signInCast()
            let defaults = try await client.call(.get, "/api/settings", token: cast.admin.access)
            #expect(defaults.status == .ok)
            #expect(defaults.json["timeZone"] as? String == "America/Sao_Paulo")
            #expect(Self.summary(defaults.json) == "false 21:00")

            let byAdmin = try await client.call(.put, "/api/settings", token: cast.admin.access, json: ["dailySummary": ["enabled": true]])
            #expect(byAdmin.status == .forbidden && byAdmin.error == "forbidden", "\(byAdmin.json)")
            let byUser = try await client.call(.put, "/api/settings", token: cast.ana.access, json: ["timeZone": "UTC"])
            #expect(byUser.status == .forbidden)

            let changed = try await client.call(.put, "/api/settings", token: cast.owner.access,
                                                json: ["timeZone": "Europe/Lisbon", "dailySummary": ["enabled": true, "time": "19:45"]])
            #expect(changed.status == .ok, "\(changed.json)")
            #expect(changed.json["timeZone"] as? String == "Europe/Lisbon")
            #expect(Self.summary(changed.json) == "true 19:45")
            // Only the fields sent change.
            let off = try await client.call(.put, "/api/settings", token: cast.owner.access, json: ["dailySummary": ["enabled": false]])
            #expect(Self.summary(off.json) == "false 19:45")
            #expect(off.json["timeZone"] as? String == "Europe/Lisbon")

            let badZone = try await client.call(.put, "/api/settings", token: cast.owner.access, json: ["timeZone": "Mars/Olympus"])
            #expect(badZone.status == .unprocessableContent && badZone.error == "rule_broken" && badZone.errorField == "timeZone", "\(badZone.json)")
            let badTime = try await client.call(.put, "/api/settings", token: cast.owner.access, json: ["dailySummary": ["time": "24:00"]])
            #expect(badTime.status == .badRequest && badTime.error == "invalid_input", "\(badTime.json)")
            let read = try await client.call(.get, "/api/settings", token: cast.owner.access)
            #expect(Self.summary(read.json) == "false 19:45")

            // The same command through /api/commands/execute.
            let executed = try await client.call(.post, "/api/commands/execute", token: cast.owner.access,
                                                 json: ["command": "updateShopSettings", "params": ["dailySummary": ["enabled": true]]])
            #expect(executed.status == .ok, "\(executed.json)")
            #expect(Self.summary(executed.json["settings"] as? [String: Any] ?? [:]) == "true 19:45", "\(executed.json)")
            #expect(try server.shop.preferences(as: .system()).summaryEnabled)
        }
        await server.discard()
    }

    @Test func theDocumentDescribesTheSettingsRoute() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let document = try await client.call(.get, "/openapi.json")
            let paths = try #require(document.json["paths"] as? [String: Any])
            let route = try #require(paths["/api/settings"] as? [String: Any])
            #expect(route["get"] != nil)
            let put = try #require(route["put"] as? [String: Any])
            let responses = try #require(put["responses"] as? [String: Any])
            #expect(Set(responses.keys).isSuperset(of: ["200", "400", "401", "403", "422"]), "\(responses.keys.sorted())")
            let schemas = try #require((document.json["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let changes = try #require(schemas["ShopSettingsChanges"] as? [String: Any])
            #expect(Set((changes["properties"] as? [String: Any])?.keys.map { $0 } ?? []) == ["timeZone", "dailySummary", "debtReminders"])
            let settings = try #require(schemas["ShopSettings"] as? [String: Any])
            #expect(Set(settings["required"] as? [String] ?? []) == ["timeZone", "dailySummary", "debtReminders"])
        }
        await server.discard()
    }
}
