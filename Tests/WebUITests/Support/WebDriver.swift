import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOFoundationCompat
import Testing

/// Debian's chromedriver on a free port, and headless Chromium sessions driven through it
/// with the W3C WebDriver protocol (JSON over HTTP).
final class ChromeDriver: Sendable {
    let port: Int
    private let process: SpawnedProcess

    /// The Chromium binary: Debian's /usr/bin/chromium is a shell wrapper around this.
    static let chromium = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Starts chromedriver; the test fails (it does not skip) when Chromium or chromedriver are
    /// missing: `.ci/install-deps` installs them.
    static func start() async throws -> ChromeDriver {
        guard chromium != nil, let chromedriver else {
            Issue.record("chromium and chromedriver are needed for the MiniApp's browser tests: run `bash .ci/install-deps` (Debian: apt-get install chromium chromium-driver)")
            throw WebDriverError("chromium or chromedriver missing")
        }
        let port = try freeLoopbackPort()
        // Not Foundation's Process: its run() crashes the test process now and then (SpawnedProcess).
        let process = try SpawnedProcess(chromedriver, ["--port=\(port)", "--allowed-ips=127.0.0.1"], output: "/dev/null", errors: "/dev/null")
        let driver = ChromeDriver(port: port, process: process)
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if let status = try? await driver.call(.GET, "/status"), (status["value"] as? [String: Any])?["ready"] as? Bool == true { return driver }
            try await Task.sleep(for: .milliseconds(100))
        }
        await driver.stop()
        throw WebDriverError("chromedriver did not start on port \(port)")
    }

    private init(port: Int, process: SpawnedProcess) {
        self.port = port
        self.process = process
    }

    /// Asks chromedriver to quit (it closes its browsers); kills it if it is still there after 5 s.
    /// Not `terminate()` + `waitUntilExit()`: chromedriver may ignore SIGTERM, and the wait spins.
    func stop() async {
        _ = try? await call(.GET, "/shutdown")
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// A new headless browser with its own profile; `script` runs in every page before the page's own scripts.
    /// `arguments` go to Chromium after the usual ones.
    func browser(width: Int, height: Int, beforePageScripts script: String? = nil, arguments: [String] = []) async throws -> Browser {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-chromium-\(UUID().uuidString)").path
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": [
            "browserName": "chrome",
            "goog:chromeOptions": [
                "binary": Self.chromium!,
                // Root in CI needs --no-sandbox; containers have a small /dev/shm. The rest keeps
                // Chromium from background work that would take CPU from the suites running beside it.
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--user-data-dir=\(profile)",
                         "--window-size=\(width),\(height)", "--no-first-run", "--disable-extensions", "--lang=pt-BR",
                         "--force-device-scale-factor=1", "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--disable-default-apps", "--renderer-process-limit=2", "--mute-audio"] + arguments,
            ] as [String: Any],
        ]]]
        let answer = try await call(.POST, "/session", capabilities)
        guard let value = answer["value"] as? [String: Any], let id = value["sessionId"] as? String else {
            throw WebDriverError("no session: \(answer)")
        }
        let browser = Browser(driver: self, id: id, profile: profile)
        if let script, !script.isEmpty {
            _ = try await browser.command(.POST, "/goog/cdp/execute", ["cmd": "Page.addScriptToEvaluateOnNewDocument", "params": ["source": script]])
        }
        return browser
    }

    /// One WebDriver call; answers the decoded JSON body, throwing on a WebDriver error.
    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        if let body { request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body))) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:]
        if response.status.code >= 400 {
            let value = json["value"] as? [String: Any]
            throw WebDriverError("\(method) \(path): \(value?["error"] ?? response.status) \(String(describing: value?["message"] ?? "").prefix(400))")
        }
        return json
    }
}

/// One browser session.
struct Browser: Sendable {
    let driver: ChromeDriver
    let id: String
    let profile: String

    func command(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        try await driver.call(method, "/session/\(id)\(path)", body)["value"]
    }

    func open(_ url: String) async throws {
        try await command(.POST, "/url", ["url": url])
    }

    /// Runs JavaScript in the page (`return …` answers a value); `args` are JSON values.
    @discardableResult
    func run(_ script: String, _ args: [Any] = []) async throws -> Any? {
        try await command(.POST, "/execute/sync", ["script": script, "args": args])
    }

    /// Waits until `condition` (a JavaScript expression) is truthy; fails the test with `what` after `seconds`.
    @discardableResult
    func wait(for what: String, _ condition: String, seconds: Double = 10) async throws -> Any? {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        var last: Any?
        while ContinuousClock.now < deadline {
            // Objects (elements, charts) answer true: only strings, numbers and booleans travel back.
            last = try await run("try { const v = (\(condition)); return !v ? null : typeof v === 'object' ? true : v } catch (e) { return null }")
            if let last, !(last is NSNull) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        let page = (try? await run("return document.querySelector('main')?.innerText.slice(0, 600)")) as? String ?? ""
        Issue.record("timed out waiting for \(what) (\(condition)); the page shows: \(page)")
        throw WebDriverError("timed out waiting for \(what)")
    }

    /// The page's visible text under `selector`.
    func text(_ selector: String = "main") async throws -> String {
        try await run("return document.querySelector(arguments[0])?.innerText ?? ''", [selector]) as? String ?? ""
    }

    /// Saves a PNG of the window.
    func screenshot(to url: URL) async throws {
        guard let base64 = try await command(.GET, "/screenshot") as? String, let png = Data(base64Encoded: base64) else {
            throw WebDriverError("no screenshot")
        }
        try png.write(to: url)
    }

    func close() async {
        _ = try? await command(.DELETE, "")
        try? FileManager.default.removeItem(atPath: profile)
    }
}

struct WebDriverError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A loopback port nobody listens on right now (the OS picks it; there is a small window before it is used).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw WebDriverError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw WebDriverError("bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
