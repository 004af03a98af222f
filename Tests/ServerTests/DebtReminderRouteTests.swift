import Foundation
import HTTPTypes
import HummingbirdTesting
import Shop
import Testing

/// `GET /api/debts/reminders`, `POST /api/debts/{id}/remind` and `/pause`, and the reminders'
/// settings in `PUT /api/settings` on a real server: who may, what bad input gets, what a
/// replay answers, and what the document says.
@Suite(.timeLimit(.minutes(2))) struct DebtReminderRouteTests {
    @Test func adminsSeeRemindAndPauseUsersAreRefused() async throws {
        try await IdempotentCommandTests.withShop { client, cast, p in
            let sale = try await client.call(.post, "/api/purchases", token: cast.admin.access,
                                             json: ["buyerId": cast.ana.userId, "items": [["productId": p, "quantity": 2]]])
            #expect(sale.status == .created)
            let ana = cast.ana.userId

            let list = try await client.call(.get, "/api/debts/reminders", token: cast.admin.access)
            #expect(list.status == .ok)
            let items = try #require(list.json["items"] as? [[String: Any]])
            #expect(items.count == 1 && list.json.keys.contains("next"), "\(list.json)")
            #expect(items[0]["userId"] as? String == ana && items[0]["name"] as? String == "Ana" && items[0]["amount"] as? Int == 1_300)
            #expect(items[0]["ageDays"] as? Int == 0 && items[0]["overdue"] as? Bool == false && items[0]["reminders"] as? Int == 0)
            #expect(items[0]["paused"] as? Bool == false && items[0]["since"] is String && items[0]["lastReminderAt"] == nil)
            #expect(try await client.call(.get, "/api/debts/reminders", token: cast.ana.access).status == .forbidden)
            #expect(try await client.call(.get, "/api/debts/reminders").status == .unauthorized)

            let byUser = try await client.call(.post, "/api/debts/\(ana)/remind", token: cast.ana.access, json: [:])
            #expect(byUser.status == .forbidden && byUser.error == "forbidden", "\(byUser.json)")
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "remind-1"]
            let reminded = try await client.call(.post, "/api/debts/\(ana)/remind", token: cast.admin.access, json: [:], headers: key)
            #expect(reminded.status == .ok, "\(reminded.json)")
            #expect(reminded.json["reminders"] as? Int == 1 && reminded.json["lastReminderAt"] is String, "\(reminded.json)")
            // A retry with the same key answers the first reminder and sends none.
            let replayed = try await client.call(.post, "/api/debts/\(ana)/remind", token: cast.admin.access, json: [:], headers: key)
            #expect(replayed.status == .ok && replayed.json["reminders"] as? Int == 1)
            let notices = try await client.call(.get, "/api/notifications", token: cast.ana.access)
            let reminders = (notices.json["items"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "debt_reminder" }
            #expect(reminders.count == 1, "\(notices.json)")

            let owesNothing = try await client.call(.post, "/api/debts/\(cast.bruno.userId)/remind", token: cast.admin.access, json: [:])
            #expect(owesNothing.status == .unprocessableContent && owesNothing.error == "rule_broken", "\(owesNothing.json)")
            let unknown = try await client.call(.post, "/api/debts/u999/remind", token: cast.admin.access, json: [:])
            #expect(unknown.status == .notFound, "\(unknown.json)")

            for body in [#"{}"#, #"{"paused":"yes"}"#, #"{"paused":true,"extra":1}"#, "{"] {
                let bad = try await client.call(.post, "/api/debts/\(ana)/pause", token: cast.admin.access, text: body)
                #expect(bad.status == .badRequest, "\(body): \(bad.json)")
            }
            let paused = try await client.call(.post, "/api/debts/\(ana)/pause", token: cast.admin.access, json: ["paused": true])
            #expect(paused.status == .ok && paused.json["paused"] as? Bool == true && paused.json["reminders"] as? Int == 1, "\(paused.json)")
            #expect(try await client.call(.post, "/api/debts/\(ana)/pause", token: cast.ana.access, json: ["paused": false]).status == .forbidden)

            // The same commands through /api/commands/execute.
            let resumed = try await client.call(.post, "/api/commands/execute", token: cast.admin.access,
                                                json: ["command": "pauseDebtReminders", "params": ["userId": ana, "paused": false]])
            #expect(resumed.status == .ok && (resumed.json["debtor"] as? [String: Any])?["paused"] as? Bool == false, "\(resumed.json)")
            let after = try await client.call(.get, "/api/debts/reminders", token: cast.owner.access)
            let row = try #require((after.json["items"] as? [[String: Any]])?.first)
            #expect(row["paused"] as? Bool == false && row["reminders"] as? Int == 1 && row["lastReminderAt"] is String)
        }
    }

    @Test func theOwnerSetsTheRemindersWithinTheirBounds() async throws {
        try await IdempotentCommandTests.withShop { client, cast, _ in
            let defaults = try await client.call(.get, "/api/settings", token: cast.admin.access)
            let initial = try #require(defaults.json["debtReminders"] as? [String: Any])
            #expect(initial["enabled"] as? Bool == false && initial["overdueDays"] as? Int == 30 && initial["intervalDays"] as? Int == 7)
            #expect(initial["maxReminders"] as? Int == 3 && initial["quietStart"] as? String == "21:00" && initial["quietEnd"] as? String == "09:00")

            for (body, field) in [(["overdueDays": 0], "debtReminders.overdueDays"), (["overdueDays": 366], "debtReminders.overdueDays"),
                                  (["intervalDays": 91], "debtReminders.intervalDays"), (["maxReminders": 21], "debtReminders.maxReminders"),
                                  (["maxReminders": -1], "debtReminders.maxReminders"), (["quietStart": "24:00"], "debtReminders.quietStart")] as [([String: Any], String)] {
                let reply = try await client.call(.put, "/api/settings", token: cast.owner.access, json: ["debtReminders": body])
                #expect(reply.status == .badRequest && reply.error == "invalid_input", "\(body): \(reply.json)")
                if reply.errorField != nil { #expect(reply.errorField == field, "\(body): \(reply.json)") }
            }
            let byAdmin = try await client.call(.put, "/api/settings", token: cast.admin.access, json: ["debtReminders": ["enabled": true]])
            #expect(byAdmin.status == .forbidden)

            let changed = try await client.call(.put, "/api/settings", token: cast.owner.access, json: ["debtReminders": [
                "enabled": true, "overdueDays": 15, "intervalDays": 3, "maxReminders": 5, "quietStart": "22:00", "quietEnd": "08:00"]])
            #expect(changed.status == .ok, "\(changed.json)")
            let saved = try #require(changed.json["debtReminders"] as? [String: Any])
            #expect(saved["enabled"] as? Bool == true && saved["overdueDays"] as? Int == 15 && saved["intervalDays"] as? Int == 3)
            #expect(saved["maxReminders"] as? Int == 5 && saved["quietStart"] as? String == "22:00" && saved["quietEnd"] as? String == "08:00")
            #expect((changed.json["dailySummary"] as? [String: Any])?["time"] as? String == "21:00", "the other settings stay")
        }
    }

    @Test func theDocumentDescribesTheRoutes() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let document = try await client.call(.get, "/openapi.json")
            let paths = try #require(document.json["paths"] as? [String: Any])
            #expect((paths["/api/debts/reminders"] as? [String: Any])?["get"] != nil)
            let remind = try #require((paths["/api/debts/{id}/remind"] as? [String: Any])?["post"] as? [String: Any])
            let responses = try #require(remind["responses"] as? [String: Any])
            #expect(Set(responses.keys).isSuperset(of: ["200", "401", "403", "404", "422"]), "\(responses.keys.sorted())")
            #expect((paths["/api/debts/{id}/pause"] as? [String: Any])?["post"] != nil)
            let schemas = try #require((document.json["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let debtor = try #require(schemas["Debtor"] as? [String: Any])
            let fields = Set((debtor["properties"] as? [String: Any] ?? [:]).keys)
            #expect(fields.isSuperset(of: ["ageDays", "overdue", "lastReminderAt", "reminders", "paused"]), "\(fields.sorted())")
        }
        await server.discard()
    }
}
