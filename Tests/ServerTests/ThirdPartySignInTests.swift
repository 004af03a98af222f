import Foundation
import HummingbirdTesting
import Server
import Testing

/// `POST /api/auth/telegram` for a MiniApp whose bot token this server does not hold
/// (`--bot-id`): Telegram's Ed25519 `signature`, checked with its published keys.
@Suite(.timeLimit(.minutes(2))) struct ThirdPartySignInTests {
    /// The recorded vector in `fixtures/telegram/initdata.json` signed with Telegram's production key.
    struct Vector {
        let botId: Int64
        let initData: String
        let telegramId: Int64
    }

    static func productionVector() throws -> Vector {
        let file = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "fixtures/telegram/initdata.json")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        let vectors = try #require(document["thirdParty"] as? [[String: Any]])
        let vector = try #require(vectors.first { $0["publicKey"] as? String == "production" && $0["valid"] as? Bool == true })
        return Vector(botId: try #require((vector["botId"] as? NSNumber)?.int64Value),
                      initData: try #require(vector["initData"] as? String), telegramId: 279_058_397)
    }

    /// Runs `body` on a server told `botId`, with or without the test bot's token.
    static func run(botId: Int64?, botToken: Bool, testEnvironment: Bool = false,
                    _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let server = try await LiveServer.make(configure: { configuration in
            configuration.botId = botId
            configuration.telegramEnvironment = testEnvironment ? .test : .production
            if !botToken { configuration.botToken = nil }
        })
        try await server.run { client, _ in try await body(client) }
        await server.discard()
    }

    @Test func aRecordedVectorSignsInWithTheRightBotIdAndNoToken() async throws {
        let vector = try Self.productionVector()
        try await Self.run(botId: vector.botId, botToken: false) { client in
            let reply = try await client.call(.post, "/api/auth/telegram", json: ["initData": vector.initData])
            #expect(reply.status == .ok, "\(reply.json)")
            let user = try #require(reply.json["user"] as? [String: Any])
            #expect((user["telegramId"] as? NSNumber)?.int64Value == vector.telegramId)
            #expect(user["username"] as? String == "vdkfrost")
            let me = try await client.call(.get, "/api/auth/me", token: try #require(reply.json["accessToken"] as? String))
            #expect(me.status == .ok && me.json["role"] as? String == "user")
            // The alias takes the same path.
            let again = try await client.call(.post, "/api/auth/verify", json: ["initData": vector.initData])
            #expect(again.status == .ok)
        }
    }

    @Test func anotherBotsIdOrATamperedFieldIsRefused() async throws {
        let vector = try Self.productionVector()
        try await Self.run(botId: vector.botId + 1, botToken: false) { client in
            let reply = try await client.call(.post, "/api/auth/telegram", json: ["initData": vector.initData])
            #expect(reply.status == .unauthorized && reply.error == "invalid_signature", "\(reply.json)")
        }
        try await Self.run(botId: vector.botId, botToken: false) { client in
            let tampered = vector.initData.replacingOccurrences(of: "chat_type=private", with: "chat_type=group")
            #expect(tampered != vector.initData)
            let reply = try await client.call(.post, "/api/auth/telegram", json: ["initData": tampered])
            #expect(reply.status == .unauthorized && reply.error == "invalid_signature", "\(reply.json)")
            let unsigned = vector.initData.replacingOccurrences(of: #"&signature=[^&]*"#, with: "", options: .regularExpression)
            let missing = try await client.call(.post, "/api/auth/telegram", json: ["initData": unsigned])
            #expect(missing.status == .unauthorized && missing.error == "missing_signature", "\(missing.json)")
        }
    }

    @Test func theTestEnvironmentsKeyRefusesProductionData() async throws {
        let vector = try Self.productionVector()
        try await Self.run(botId: vector.botId, botToken: false, testEnvironment: true) { client in
            let reply = try await client.call(.post, "/api/auth/telegram", json: ["initData": vector.initData])
            #expect(reply.status == .unauthorized && reply.error == "invalid_signature", "\(reply.json)")
        }
    }

    @Test func withATokenTheHashDecidesAndTheSignatureServesTheOtherBot() async throws {
        let vector = try Self.productionVector()
        try await Self.run(botId: vector.botId, botToken: true) { client in
            // Our own bot's initData, checked by its hash.
            let own = try await client.call(.post, "/api/auth/telegram", json: ["initData": LiveServer.initData(telegramId: 5_000, firstName: "Lia")])
            #expect(own.status == .ok, "\(own.json)")
            // The other bot's: its hash is not ours, its signature is Telegram's.
            let other = try await client.call(.post, "/api/auth/telegram", json: ["initData": vector.initData])
            #expect(other.status == .ok, "\(other.json)")
            // Ours, forged and unsigned: the hash's refusal stands.
            let forged = LiveServer.initData(telegramId: 5_001, firstName: "Eva").replacingOccurrences(of: "Eva", with: "Evo")
            let refused = try await client.call(.post, "/api/auth/telegram", json: ["initData": forged])
            #expect(refused.status == .unauthorized && refused.error == "invalid_hash", "\(refused.json)")
        }
        // Without --bot-id the other bot's data is refused on its hash.
        try await Self.run(botId: nil, botToken: true) { client in
            let reply = try await client.call(.post, "/api/auth/telegram", json: ["initData": vector.initData])
            #expect(reply.status == .unauthorized && reply.error == "invalid_hash", "\(reply.json)")
        }
    }

    @Test func neitherTokenNorBotIdMeansInitDataSignInIsOff() async throws {
        let vector = try Self.productionVector()
        try await Self.run(botId: nil, botToken: false) { client in
            let reply = try await client.call(.post, "/api/auth/telegram", json: ["initData": vector.initData])
            #expect(reply.status == .serviceUnavailable && reply.error == "telegram_not_configured", "\(reply.json)")
        }
    }
}
