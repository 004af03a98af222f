import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOFoundationCompat
import NIOSSL
import Server
import ServiceLifecycle
import Shop
import Store
import Telegram
import TendaApp
import Testing

/// `tenda serve --demo` in-process, built by the composition root: the demo shop
/// (`fixtures/demo-shop.json`) in a fresh store, served with the MiniApp built into the server
/// (the repository's `web/` as the build found it) on a free loopback port.
struct DemoServer {
    static let botToken = "4242:WEBUI-TEST-TOKEN"
    static let owner = Person(telegramId: 6_299_497_812, firstName: "Ana Paula", lastName: "Souza")
    static let admin = Person(telegramId: 2_329_673_195, firstName: "Bruno", lastName: "Carvalho")
    static let user = Person(telegramId: 5_309_476_566, firstName: "Diego", lastName: "Ferreira")

    /// A demo person as Telegram names them (sign-in keeps the shop's name in step with Telegram's).
    struct Person {
        let telegramId: Int64
        let firstName: String
        let lastName: String
    }

    let folder: String
    let app: TendaApplication
    let port: Int
    let group: ServiceGroup
    let task: Task<Void, any Error>
    /// With HTTPS: a client that trusts the test CA, shut down with the server; nil uses the shared one.
    var tlsClient: HTTPClient? = nil

    /// `https://localhost:port` when the server serves TLS (the test certificate names localhost).
    var base: String { tlsClient == nil ? "http://127.0.0.1:\(port)" : "https://localhost:\(port)" }
    var shop: Shop { app.shop }

    /// Starts the server and waits until it answers /health. `accessTokenLifetime` (seconds)
    /// shortens the access tokens' life, for tests that cross their expiry.
    static func start(webRoot: String? = nil,
                      accessTokenLifetime: TimeInterval? = nil, tls: (settings: TLSSettings, trust: TLSConfiguration)? = nil) async throws -> DemoServer {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-webui-\(UUID().uuidString)").path
        var shop = ShopSettings(tokenSecret: Array(repeating: 9, count: 32))
        if let accessTokenLifetime { shop.accessTokenLifetime = accessTokenLifetime }
        let port = try freeLoopbackPort()
        var server = ServerConfiguration(host: "127.0.0.1", port: port, botToken: botToken, initDataMaxAge: 0,
                                         userRateLimit: (10_000, 10_000), addressRateLimit: (10_000, 10_000))
        server.webRoot = webRoot
        server.tls = tls?.settings
        var logger = Logger(label: "tenda-webui")
        logger.logLevel = .warning
        // The bot itself does not run (no connection to Telegram); its conversation answers the
        // command bridge (the Console), as in `tenda serve`.
        let app = try await buildApplication(configuration: AppConfiguration(
            dataFolder: folder, shop: shop, store: .testing, demoFile: packageRoot.appendingPathComponent("fixtures/demo-shop.json").path,
            server: server, logger: logger))
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        let tlsClient = tls.map { HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(tlsConfiguration: $0.trust)) }
        let running = DemoServer(folder: folder, app: app, port: port, group: group, task: task, tlsClient: tlsClient)
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if (try? await running.get("/health").status) == 200 { return running }
            try await Task.sleep(for: .milliseconds(50))
        }
        await running.stop()
        throw WebDriverError("the server did not start on port \(port)")
    }

    /// Runs `body` against a fresh server and stops it afterwards, whether `body` throws or not.
    static func with(accessTokenLifetime: TimeInterval? = nil, tls: (settings: TLSSettings, trust: TLSConfiguration)? = nil,
                     _ body: (DemoServer) async throws -> Void) async throws {
        let server = try await start(accessTokenLifetime: accessTokenLifetime, tls: tls)
        do {
            try await body(server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        await app.environment.close()  // closed already when the group ran; not when it failed to start
        try? await tlsClient?.shutdown()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// initData for a demo person, signed with the test bot token as Telegram signs it.
    static func initData(_ person: Person, language: String = "pt-br") -> String {
        TelegramSigner.signInitData([
            "user": #"{"id":\#(person.telegramId),"first_name":"\#(person.firstName)","last_name":"\#(person.lastName)","language_code":"\#(language)"}"#,
            "auth_date": String(Int(Date().timeIntervalSince1970)),
            "query_id": "AAH-webui",
        ], botToken: botToken)
    }

    struct Answer {
        let status: Int
        let headers: [String: String]
        let body: Data

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// One HTTP request to the server (header names lowercased in the answer).
    func request(_ method: HTTPMethod, _ path: String, headers: [String: String] = [:], json: [String: Any]? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        }
        let response = try await (tlsClient ?? HTTPClient.shared).execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 8 << 20)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        return Answer(status: Int(response.status.code), headers: fields, body: Data(buffer: body))
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> Answer {
        try await request(.GET, path, headers: headers)
    }

    /// An access token for a demo person (signed in as the MiniApp does).
    func accessToken(_ person: Person) async throws -> String {
        let answer = try await request(.POST, "/api/auth/telegram", json: ["initData": Self.initData(person)])
        return try #require(answer.json["accessToken"] as? String, "sign-in: \(answer.text)")
    }
}
