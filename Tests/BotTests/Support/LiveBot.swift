import Bot
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Realtime
import Server
import Shop
import Store
import Telegram
import TendaApp
import Testing

/// `tenda serve --demo` with its bot, built by the composition root as `serve` builds it: the
/// demo shop, the server on a free port, the bot's services in the application's service
/// group, and Telegram played by the stand-in.
struct LiveBot {
    /// The demo shop as the application built it, with the tests' helpers over it.
    let demo: DemoShop
    let telegram: StandInBotAPI
    /// The running bot, for a look at its outbox.
    let bot: TelegramBot
    /// The application's hub, so a test can wait for a socket's subscription to be in place.
    let hub: Hub

    /// The demo shop's people as Telegram describes them in updates.
    static let owner = TelegramUser(id: DemoShop.ownerTelegramId, firstName: "Ana Paula", lastName: "Souza", username: "ana_souza", languageCode: "pt-br")
    static let admin = TelegramUser(id: DemoShop.adminTelegramId, firstName: "Bruno", lastName: "Carvalho", username: "brunocarvalho", languageCode: "pt-br")
    static let user = TelegramUser(id: DemoShop.userTelegramId, firstName: "Diego", lastName: "Ferreira", username: "diegof", languageCode: "pt-br")

    /// Runs `body` with the bot taking updates by long polling (`webhook: false`) or by webhook
    /// (the server then has an https public address, as Telegram requires).
    static func run(webhook: Bool = false, store configure: (inout StoreConfiguration) -> Void = { _ in },
                    _ body: @escaping @Sendable (LiveBot, any TestClientProtocol, Int) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-bot-tests-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let telegram = try await StandInBotAPI.start()
        var store = StoreConfiguration.testing
        configure(&store)
        let configuration = AppConfiguration(
            dataFolder: folder, shop: ShopSettings(tokenSecret: Array(repeating: 7, count: 32)), store: store,
            demoFile: packageRoot.appendingPathComponent("fixtures/demo-shop.json").path,
            server: ServerConfiguration(host: "127.0.0.1", port: 0, botToken: StandInBotAPI.defaultToken, initDataMaxAge: 0,
                                        publicURL: webhook ? "https://shop.example" : nil),
            bot: AppConfiguration.BotConnection(apiBaseURL: telegram.baseURL, limits: .unlimited, pollTimeout: 1),
            logger: Logger(label: "bot-test"))
        do {
            let app = try await buildApplication(configuration: configuration)
            let bot = try #require(app.bot, "the bot runs: a token and the stand-in's URL are configured")
            let live = LiveBot(demo: DemoShop(folder: folder, environment: app.environment, shop: app.shop, conversation: app.conversation),
                               telegram: telegram, bot: bot, hub: app.hub)
            try await app.test(.live) { client in try await body(live, client, try #require(client.port)) }
        } catch {
            await telegram.stop()
            throw error
        }
        await telegram.stop()
    }

    /// The messages the bot sent (or edited) in a chat, decoded.
    func sent(to chat: Int64) -> [SendMessage] {
        telegram.answered("sendMessage").compactMap { try? $0.decode(SendMessage.self) }.filter { $0.chatId == chat }
    }

    /// Waits until the bot has sent `count` messages to `chat`; returns them.
    func waitForMessages(to chat: Int64, count: Int, timeout: Duration = .seconds(30),
                         sourceLocation: SourceLocation = #_sourceLocation) async throws -> [SendMessage] {
        try await waitUntil("\(count) messages to \(chat)", timeout: timeout, sourceLocation: sourceLocation,
                            seeing: { sent(to: chat).map(\.text) }) { $0.count >= count }
        return sent(to: chat)
    }

    /// Waits until the bot has sent `chat` a message containing `text`; returns it.
    func waitForMessage(to chat: Int64, containing text: String, timeout: Duration = .seconds(30),
                        sourceLocation: SourceLocation = #_sourceLocation) async throws -> SendMessage {
        let seen = try await waitUntil("a message to \(chat) containing \(text)", timeout: timeout, sourceLocation: sourceLocation,
                                       seeing: { sent(to: chat) }) { $0.contains { $0.text.contains(text) } }
        return try #require(seen.first { $0.text.contains(text) })
    }

    /// Sends `text` as `user` and returns the bot's reply (the next message to their chat).
    func say(_ text: String, as user: TelegramUser) async throws -> SendMessage {
        let before = sent(to: user.id).count
        telegram.pushMessage(text, from: user)
        return try #require(try await waitForMessages(to: user.id, count: before + 1).last)
    }
}

extension TestClientProtocol {
    /// Signs a demo user in through a one-time code (the bot's /login) and returns their access token.
    func token(for telegramId: Int64, _ demo: DemoShop) async throws -> String {
        let code = try await demo.shop.execute(IssueLoginCode(), as: try demo.principal(telegramId))
        let reply = try await json(.post, "/api/auth/code", body: ["code": code])
        return try #require(reply.json["accessToken"] as? String)
    }

    /// A JSON call; the answer's status, object and headers.
    func json(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, body: [String: Any]? = nil,
              headers extra: HTTPFields = [:]) async throws -> (status: HTTPResponse.Status, json: [String: Any]) {
        var headers = extra
        headers[.contentType] = "application/json"
        if let token { headers[.authorization] = "Bearer \(token)" }
        let buffer = try body.map { ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: $0)) }
        return try await execute(uri: uri, method: method, headers: headers, body: buffer) { response in
            (response.status, (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:])
        }
    }
}
