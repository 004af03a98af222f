import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Telegram
import Testing

/// `tenda serve`'s settings as an operator gives them, each seen to take effect on the running
/// server: once as environment variables, once as options.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ServeOptionsTests {
    static let botToken = "42:SERVE-OPTIONS-TOKEN"

    @Test func theEnvironmentVariablesConfigureTheServer() async throws {
        let pages = try Self.pagesFolder("from TENDA_WEB_ROOT")
        defer { try? FileManager.default.removeItem(atPath: pages) }
        let serve = try await ServedShop(arguments: ["--allowed-origins", "https://shop.example"], environment: [
            "TELEGRAM_BOT_TOKEN": Self.botToken, "TENDA_OWNERS": "4242, 4343", "TENDA_METRICS": "owner",
            "TENDA_JWT_SECRET": String(repeating: "s", count: 40), "TENDA_WEB_ROOT": pages,
        ])
        defer { if serve.server.process.isRunning { serve.server.process.terminate() } }
        // TENDA_WEB_ROOT: that folder's page instead of the MiniApp built in.
        #expect(try await serve.page("/") == (200, "<p>from TENDA_WEB_ROOT</p>"))
        // TELEGRAM_BOT_TOKEN checks initData; TENDA_OWNERS makes its people owners on first sight.
        let owner = try await serve.signIn(telegramId: 4343)
        #expect(owner.role == "owner" && owner.expiresIn == 900)
        #expect(try await serve.signIn(telegramId: 5555).role == "user")
        // TENDA_METRICS=owner: an owner's token, nobody else.
        #expect(try await serve.status("GET", "/metrics") == 401)
        #expect(try await serve.status("GET", "/metrics", token: owner.token) == 200)
        // TENDA_JWT_SECRET: no secret file is made in the data folder.
        #expect(!FileManager.default.fileExists(atPath: serve.folder + "/token-secret"))
        // --allowed-origins: that origin is answered for, another is not.
        #expect(try await serve.allowedOrigin(for: "https://shop.example") == "https://shop.example")
        #expect(try await serve.allowedOrigin(for: "https://elsewhere.example") == nil)
        await serve.stop()
    }

    @Test func theOptionsConfigureTheServer() async throws {
        let pages = try Self.pagesFolder("from --web-root")
        defer { try? FileManager.default.removeItem(atPath: pages) }
        let serve = try await ServedShop(arguments: [
            "--bot-token", Self.botToken, "--owner", "4242", "--metrics", "off", "--access-token-lifetime", "60",
            "--jwt-secret", String(repeating: "t", count: 40), "--web-root", pages,
        ], environment: [:])
        defer { if serve.server.process.isRunning { serve.server.process.terminate() } }
        // --web-root: the folder replaces the built-in MiniApp whole (none of its modules shows through);
        // Chart.js is still the built-in copy.
        #expect(try await serve.page("/") == (200, "<p>from --web-root</p>"))
        #expect(try await serve.page("/js/app.js").status == 404)
        #expect(try await serve.page("/vendor/chart.js").text.contains("Chart.js v"))
        let owner = try await serve.signIn(telegramId: 4242)
        #expect(owner.role == "owner" && owner.expiresIn == 60)
        #expect(try await serve.signIn(telegramId: 4343).role == "user")
        #expect(try await serve.status("GET", "/metrics", token: owner.token) == 404)
        #expect(!FileManager.default.fileExists(atPath: serve.folder + "/token-secret"))
        #expect(try await serve.allowedOrigin(for: "https://shop.example") == nil, "no origin is allowed unless named")
        await serve.stop()
    }

    /// A temporary folder holding only an `index.html` that says `text`, for `--web-root`.
    static func pagesFolder(_ text: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-web-root-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data("<p>\(text)</p>".utf8).write(to: URL(fileURLWithPath: folder + "/index.html"))
        return folder
    }
}

/// `tenda serve --demo` on a fresh folder and a free port, with the bot pointed at a Bot API
/// address nobody answers (the bot retries; the shop serves on).
struct ServedShop {
    let folder: String
    let port: Int
    let server: ServerProcess

    init(arguments: [String], environment: [String: String]) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-cli-options-\(UUID().uuidString)").path
        port = try ShutdownTests.freePort()
        var inherited = ProcessInfo.processInfo.environment
        for name in ["TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_ID", "TENDA_OWNERS", "TENDA_METRICS", "TENDA_JWT_SECRET", "TELEGRAM_API", "TENDA_WEB_ROOT"] {
            inherited[name] = nil
        }
        server = try await ServerProcess.start(["serve", "--demo", "--demo-file", ShopCommandLineTests.demoShop, "--data-dir", folder,
                                                "--port", String(port), "--initdata-max-age", "0", "--telegram-api", "http://127.0.0.1:9"] + arguments,
                                               environment: inherited.merging(environment) { $1 })
    }

    func stop() async {
        await server.stop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Signs a Telegram user in with initData signed by the test bot token.
    func signIn(telegramId: Int64) async throws -> (token: String, role: String, expiresIn: Int) {
        let initData = TelegramSigner.signInitData([
            "user": #"{"id":\#(telegramId),"first_name":"Pessoa"}"#, "auth_date": String(Int(Date().timeIntervalSince1970)),
        ], botToken: ServeOptionsTests.botToken)
        let (status, json) = try await call("POST", "/api/auth/telegram", body: ["initData": initData])
        #expect(status == 200, "sign-in: \(json)")
        let user = json["user"] as? [String: Any] ?? [:]
        return (json["accessToken"] as? String ?? "", user["role"] as? String ?? "", json["expiresIn"] as? Int ?? -1)
    }

    /// A page as a browser gets it: its status and its text.
    func page(_ path: String) async throws -> (status: Int, text: String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    func status(_ method: String, _ path: String, token: String? = nil) async throws -> Int {
        try await call(method, path, token: token).status
    }

    /// The `Access-Control-Allow-Origin` a preflight from `origin` is answered with.
    func allowedOrigin(for origin: String) async throws -> String? {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/products")!)
        request.httpMethod = "OPTIONS"
        request.setValue(origin, forHTTPHeaderField: "Origin")
        request.setValue("GET", forHTTPHeaderField: "Access-Control-Request-Method")
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Access-Control-Allow-Origin")
    }

    private func call(_ method: String, _ path: String, token: String? = nil, body: [String: Any]? = nil) async throws -> (status: Int, json: [String: Any]) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, json)
    }
}
