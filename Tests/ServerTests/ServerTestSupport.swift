import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import HummingbirdWSCompression
import Logging
import NIOCore
import Realtime
import Server
import Shop
import Store
import Telegram
import TendaApp
import Testing

/// The application `tenda serve` runs, built by its composition root over a fresh store,
/// without the bot (the token only checks sign-ins).
struct LiveServer {
    static let botToken = "42:TEST-TOKEN"
    static let ownerTelegramId: Int64 = 1_000

    let folder: String
    let app: TendaApplication

    var shop: Shop { app.shop }
    var hub: Hub { app.hub }

    /// A server over a new store; the arguments change its configuration (see ``configuration(folder:hub:accessTokenLifetime:addressRateLimit:metricsAccess:heartbeat:signInDeadline:configure:)``).
    static func make(hub: HubConfiguration = HubConfiguration(), accessTokenLifetime: TimeInterval = 15 * 60,
                     addressRateLimit: (burst: Double, perSecond: Double) = (200, 50), metricsAccess: MetricsAccess = .anyone,
                     heartbeat: Duration = .seconds(25), signInDeadline: Duration = .seconds(10),
                     configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> LiveServer {
        try await reopen(FileManager.default.temporaryDirectory.appendingPathComponent("tenda-server-tests-\(UUID().uuidString)").path,
                         hub: hub, accessTokenLifetime: accessTokenLifetime, addressRateLimit: addressRateLimit, metricsAccess: metricsAccess,
                         heartbeat: heartbeat, signInDeadline: signInDeadline, configure: configure)
    }

    /// A server over the store in `folder` (a restart, when the folder holds one already).
    static func reopen(_ folder: String, hub: HubConfiguration = HubConfiguration(), accessTokenLifetime: TimeInterval = 15 * 60,
                       addressRateLimit: (burst: Double, perSecond: Double) = (200, 50), metricsAccess: MetricsAccess = .anyone,
                       heartbeat: Duration = .seconds(25), signInDeadline: Duration = .seconds(10),
                       configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> LiveServer {
        let configuration = Self.configuration(folder: folder, hub: hub, accessTokenLifetime: accessTokenLifetime, addressRateLimit: addressRateLimit,
                                               metricsAccess: metricsAccess, heartbeat: heartbeat, signInDeadline: signInDeadline, configure: configure)
        return LiveServer(folder: folder, app: try await buildApplication(configuration: configuration))
    }

    /// The tests' configuration for a store in `folder`; `configure` changes the server's part last.
    ///
    /// The connection deadlines are long unless `configure` shortens them: HummingbirdTesting's
    /// client opens its one connection when the test starts and keeps it, and a test that first
    /// does other work (on a loaded machine) would otherwise find it closed.
    static func configuration(folder: String, hub: HubConfiguration = HubConfiguration(), accessTokenLifetime: TimeInterval = 15 * 60,
                              addressRateLimit: (burst: Double, perSecond: Double) = (200, 50), metricsAccess: MetricsAccess = .anyone,
                              heartbeat: Duration = .seconds(25), signInDeadline: Duration = .seconds(10),
                              configure: (inout ServerConfiguration) -> Void = { _ in }) -> AppConfiguration {
        var server = ServerConfiguration(
            host: "127.0.0.1", port: 0, botToken: Self.botToken, initDataMaxAge: 0, allowedOrigins: ["https://miniapp.example"],
            addressRateLimit: addressRateLimit)
        server.metricsAccess = metricsAccess
        server.heartbeatInterval = heartbeat
        server.webSocketSignInDeadline = signInDeadline
        server.requestHeadTimeout = .seconds(600)
        server.idleTimeout = .seconds(600)
        configure(&server)
        return AppConfiguration(
            dataFolder: folder,
            shop: ShopSettings(ownerTelegramIds: [ownerTelegramId], tokenSecret: Array(repeating: 5, count: 32), accessTokenLifetime: accessTokenLifetime),
            store: .testing, hub: hub, server: server, logger: Logger(label: "tenda-test"))
    }

    /// Runs `body` against the server on a free loopback port; when it returns, the server's
    /// services have stopped and the store is closed.
    func run(_ body: @escaping @Sendable (any TestClientProtocol, Int) async throws -> Void) async throws {
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body(client, port)
        }
    }

    func discard() async {
        await app.environment.close()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// initData for a Telegram user, signed with the test bot token as Telegram would sign it.
    static func initData(telegramId: Int64, firstName: String) -> String {
        TelegramSigner.signInitData([
            "user": #"{"id":\#(telegramId),"first_name":"\#(firstName)","language_code":"pt-br"}"#,
            "auth_date": String(Int(Date().timeIntervalSince1970)),
            "query_id": "AAH-test",
        ], botToken: botToken)
    }
}

/// A decoded JSON response.
struct Reply {
    let status: HTTPResponse.Status
    let json: [String: Any]
    let headers: HTTPFields

    var error: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var errorField: String? { (json["error"] as? [String: Any])?["field"] as? String }
}

extension TestClientProtocol {
    /// Sends `json` (an object) or raw `text` with an optional bearer token; decodes the answer.
    func call(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: [String: Any]? = nil, text: String? = nil,
              headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json { body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)) }
        if let text { body = ByteBuffer(string: text) }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            let data = Data(buffer: response.body)
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            return Reply(status: response.status, json: object, headers: response.headers)
        }
    }

    /// Signs a Telegram user in and returns their access and refresh tokens.
    func signIn(telegramId: Int64, firstName: String) async throws -> (access: String, refresh: String, userId: String) {
        let reply = try await call(.post, "/api/auth/telegram", json: ["initData": LiveServer.initData(telegramId: telegramId, firstName: firstName)])
        #expect(reply.status == .ok, "sign-in: \(reply.json)")
        let user = try #require(reply.json["user"] as? [String: Any])
        return (try #require(reply.json["accessToken"] as? String), try #require(reply.json["refreshToken"] as? String),
                try #require(user["id"] as? String))
    }
}

extension LiveServer {
    /// Waits until the hub has `count` live subscriptions (each registered once its subscribe
    /// message was handled), or fails after `seconds`. The hub signals nothing, so it is asked
    /// every 10 ms.
    func waitForSubscribers(_ count: Int, seconds: Double = 30) async throws {
        try await waitForHub("\(count) subscribers", seconds: seconds) { $0.subscriberCount >= count }
    }

    /// Waits until `count` subscriptions watch a live query.
    func waitForWatchers(_ count: Int, seconds: Double = 30) async throws {
        try await waitForHub("\(count) live-query watchers", seconds: seconds) { $0.watcherCount >= count }
    }

    /// Asks `condition` of the hub every 10 ms until it holds, or fails after `seconds`.
    private func waitForHub(_ what: String, seconds: Double, _ condition: (Hub) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition(hub) {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out after \(seconds) s waiting for \(what)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// Collects the frames a WebSocket client receives, as text (parsed by the test afterwards).
actor FrameCollector {
    private var texts: [String] = []

    func add(_ text: String) { texts.append(text) }

    func received() -> [String] { texts }

    /// How many `{"type":"event"}` frames arrived.
    func eventCount() -> Int { Frames(texts).events.count }
}

/// Frames parsed from their JSON text.
struct Frames {
    let all: [[String: Any]]

    init(_ texts: [String]) {
        all = texts.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
    }

    var events: [[String: Any]] { all.filter { $0["type"] as? String == "event" } }
}

/// Connects to `/ws` with `token`, sends `messages`, and collects frames until `until` says stop
/// (or `seconds` pass, which fails the test).
func webSocket(port: Int, token: String, send messages: [String], into collector: FrameCollector, compressed: Bool = false,
               seconds: Int = 30, until done: @escaping @Sendable () async -> Bool) async throws {
    let configuration = WebSocketClientConfiguration(extensions: compressed ? [.perMessageDeflate()] : [])
    try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws?token=\(token)", configuration: configuration,
                                      logger: Logger(label: "ws-test")) { inbound, outbound, _ in
        for message in messages { try await outbound.write(.text(message)) }
        let deadline = ContinuousClock.now + .seconds(seconds)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { await collector.add(text) }
                }
            }
            while !(await done()), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            // A wait that ends at its deadline fails the test: it never passes by giving up quietly.
            if !(await done()) { Issue.record("the socket's condition was not met within \(seconds) s") }
            group.cancelAll()
        }
        try await outbound.close(.normalClosure, reason: nil)
    }
}

extension Reply {
    /// The `items` of a list answer (empty when there are none, or no list).
    var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }

    /// The `id` of each item of a list answer, in the order given.
    var ids: [String] { items.compactMap { $0["id"] as? String } }

    /// The record's `version` (0 when absent).
    var version: Int { json["version"] as? Int ?? 0 }
}

extension TestClientProtocol {
    /// The owner, an admin (Adão, granted by the owner) and two users (Ana, Bruno), signed in.
    func signInCast() async throws -> (owner: (access: String, refresh: String, userId: String), admin: (access: String, refresh: String, userId: String),
                                       ana: (access: String, refresh: String, userId: String), bruno: (access: String, refresh: String, userId: String)) {
        let owner = try await signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
        let admin = try await signIn(telegramId: 2_000, firstName: "Adão")
        let ana = try await signIn(telegramId: 3_000, firstName: "Ana")
        let bruno = try await signIn(telegramId: 4_000, firstName: "Bruno")
        let grant = try await call(.patch, "/api/users/\(admin.userId)", token: owner.access, json: ["role": "admin"])
        #expect(grant.status == .ok && grant.json["role"] as? String == "admin", "grant: \(grant.json)")
        return (owner, admin, ana, bruno)
    }
}
