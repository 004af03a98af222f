import Foundation
import HTTPTypes
import HummingbirdTesting
import Shop
import Testing

/// `GET /api/auth/sessions`, `DELETE /api/auth/sessions/{id}` and the owner's
/// `DELETE /api/users/{id}/sessions`, on a real server over a real store.
@Suite(.timeLimit(.minutes(1))) struct DeviceSessionRoutesTests {
    /// Signs Ana in from a device with its own User-Agent.
    static func signIn(_ client: any TestClientProtocol, telegramId: Int64 = 3_000, device: String) async throws -> (access: String, refresh: String, userId: String) {
        let reply = try await client.call(.post, "/api/auth/telegram", json: ["initData": LiveServer.initData(telegramId: telegramId, firstName: "Ana")],
                                          headers: [.userAgent: device])
        #expect(reply.status == .ok, "sign-in: \(reply.json)")
        let user = try #require(reply.json["user"] as? [String: Any])
        return (try #require(reply.json["accessToken"] as? String), try #require(reply.json["refreshToken"] as? String),
                try #require(user["id"] as? String))
    }

    /// The public id of the session a refresh token belongs to ("t5" for "5.<secret>").
    static func sessionId(_ refreshToken: String) -> String { "t" + (refreshToken.split(separator: ".").first ?? "") }

    static func refresh(_ client: any TestClientProtocol, _ refreshToken: String, device: String) async throws -> Reply {
        try await client.call(.post, "/api/auth/refresh", json: ["refreshToken": refreshToken], headers: [.userAgent: device])
    }

    static func sessions(_ client: any TestClientProtocol, _ token: String) async throws -> [[String: Any]] {
        let reply = try await client.call(.get, "/api/auth/sessions", token: token)
        #expect(reply.status == .ok && reply.json["next"] is NSNull, "list: \(reply.status) \(reply.json)")
        return try #require(reply.json["items"] as? [[String: Any]])
    }

    @Test func theListShowsEachDeviceOnceAndMarksTheOneAsking() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let phone = try await Self.signIn(client, device: "Phone/1.0")
            let laptop = try await Self.signIn(client, device: "Laptop/2.0")
            let refreshed = try await Self.refresh(client, phone.refresh, device: "Phone/1.1")
            #expect(refreshed.status == .ok)
            let phoneNow = (access: try #require(refreshed.json["accessToken"] as? String),
                            refresh: try #require(refreshed.json["refreshToken"] as? String))

            let seenFromLaptop = try await Self.sessions(client, laptop.access)
            #expect(seenFromLaptop.count == 2, "one entry per device, the refreshed one once: \(seenFromLaptop)")
            let phoneEntry = try #require(seenFromLaptop.first { $0["userAgent"] as? String == "Phone/1.1" })
            let laptopEntry = try #require(seenFromLaptop.first { $0["userAgent"] as? String == "Laptop/2.0" })
            #expect(phoneEntry["id"] as? String == Self.sessionId(phoneNow.refresh))
            #expect(laptopEntry["id"] as? String == Self.sessionId(laptop.refresh))
            #expect(laptopEntry["current"] as? Bool == true && phoneEntry["current"] as? Bool == false)
            #expect(phoneEntry["address"] as? String == "127.0.0.1")
            for entry in seenFromLaptop {
                let created = try #require((entry["createdAt"] as? String).flatMap(RFC3339.date(from:)))
                let lastUsed = try #require((entry["lastUsedAt"] as? String).flatMap(RFC3339.date(from:)))
                let expires = try #require((entry["expiresAt"] as? String).flatMap(RFC3339.date(from:)))
                #expect(created <= lastUsed && lastUsed < expires)
            }

            // The refreshed phone sees itself as current, with the time of its first sign-in.
            let seenFromPhone = try await Self.sessions(client, phoneNow.access)
            let phoneSelf = try #require(seenFromPhone.first { $0["current"] as? Bool == true })
            #expect(phoneSelf["id"] as? String == Self.sessionId(phoneNow.refresh))
            #expect(phoneSelf["createdAt"] as? String == phoneEntry["createdAt"] as? String)
            // An access token from before the refresh still names the same device.
            let seenFromOldToken = try await Self.sessions(client, phone.access)
            #expect(seenFromOldToken.first { $0["current"] as? Bool == true }?["id"] as? String == Self.sessionId(phoneNow.refresh))

            let anonymous = try await client.call(.get, "/api/auth/sessions")
            #expect(anonymous.status == .unauthorized && anonymous.error == "not_authenticated")
        }
        await server.discard()
    }

    @Test func endingAnotherDeviceStopsItsRefreshTokenAndOnlyTheCallersOwnCanBeEnded() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let phone = try await Self.signIn(client, device: "Phone/1.0")
            let laptop = try await Self.signIn(client, device: "Laptop/2.0")
            let bruno = try await Self.signIn(client, telegramId: 4_000, device: "Bruno's phone")

            let othersSession = try await client.call(.delete, "/api/auth/sessions/\(Self.sessionId(bruno.refresh))", token: laptop.access)
            #expect(othersSession.status == .notFound && othersSession.error == "not_found")
            for id in ["t999999", "u1", "garbage"] {
                let missing = try await client.call(.delete, "/api/auth/sessions/\(id)", token: laptop.access)
                #expect(missing.status == .notFound, "\(id): \(missing.status)")
            }
            let brunoStill = try await Self.refresh(client, bruno.refresh, device: "Bruno's phone")
            #expect(brunoStill.status == .ok)

            let ended = try await client.call(.delete, "/api/auth/sessions/\(Self.sessionId(phone.refresh))", token: laptop.access)
            #expect(ended.status == .noContent)
            let refused = try await Self.refresh(client, phone.refresh, device: "Phone/1.0")
            #expect(refused.status == .unauthorized && refused.error == "not_authenticated")
            let phoneAccess = try await client.call(.get, "/api/auth/me", token: phone.access)
            #expect(phoneAccess.status == .unauthorized && phoneAccess.error == "session_ended", "the ended device's access token: \(phoneAccess.json)")
            let left = try await Self.sessions(client, laptop.access)
            #expect(left.map { $0["userAgent"] as? String } == ["Laptop/2.0"])
            let laptopStill = try await Self.refresh(client, laptop.refresh, device: "Laptop/2.0")
            #expect(laptopStill.status == .ok)
        }
        await server.discard()
    }

    @Test func anOwnerEndsEverySessionOfAUserAndAPlainUserMayNot() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let phone = try await Self.signIn(client, device: "Phone/1.0")
            let laptop = try await Self.signIn(client, device: "Laptop/2.0")

            let byUser = try await client.call(.delete, "/api/users/\(phone.userId)/sessions", token: phone.access)
            #expect(byUser.status == .forbidden && byUser.error == "forbidden")
            let stillTwo = try await Self.sessions(client, laptop.access)
            #expect(stillTwo.count == 2)

            let ended = try await client.call(.delete, "/api/users/\(phone.userId)/sessions", token: owner.access)
            #expect(ended.status == .noContent)
            for token in [phone.refresh, laptop.refresh] {
                let refused = try await Self.refresh(client, token, device: "Phone/1.0")
                #expect(refused.status == .unauthorized && refused.error == "not_authenticated")
            }
            let laptopAccess = try await client.call(.get, "/api/auth/sessions", token: laptop.access)
            #expect(laptopAccess.status == .unauthorized, "an ended session's access token: \(laptopAccess.json)")
            let nobody = try await client.call(.delete, "/api/users/u999999/sessions", token: owner.access)
            #expect(nobody.status == .notFound)
            // The owner's own session is untouched, and the trail names what was done.
            let audit = try await client.call(.get, "/api/audit", token: owner.access)
            let commands = (audit.json["items"] as? [[String: Any]])?.compactMap { $0["command"] as? String } ?? []
            #expect(commands.contains("endUserSessions"))
            #expect(try await Self.sessions(client, owner.access).count == 1)
        }
        await server.discard()
    }
}
