import Foundation
import HummingbirdWSClient
import Logging
import NIOSSL
import Testing

/// `tenda serve` with HTTPS, as an operator runs it: the certificate from the environment, plain
/// HTTP redirected, a renewal taken on `kill -HUP` while a socket stays open, and a pair that
/// cannot be served refused at start.
@Suite(.timeLimit(.minutes(4))) struct TLSServeTests {
    @Test func serveTakesItsCertificateFromTheEnvironmentRedirectsPlainHTTPAndReloadsOnHangup() async throws {
        let authority = try await TestCertificateAuthority.make()
        defer { authority.remove() }
        // The files the server is given; a renewal replaces them.
        let live = try await authority.issue("live", serial: "1A01")
        let renewed = try await authority.issue("renewed", serial: "1A02")
        let other = try await authority.issue("other", serial: "1A03")
        let folder = authority.folder.appendingPathComponent("data").path
        let port = try ShutdownTests.freePort()
        let redirectPort = try ShutdownTests.freePort()
        var environment = ProcessInfo.processInfo.environment
        environment["TENDA_TLS_CERT"] = live.chainFile
        environment["TENDA_TLS_KEY"] = live.keyFile
        let served = try await ServerProcess.start(["serve", "--demo", "--data-dir", folder, "--port", String(port),
                                                    "--http-redirect-port", String(redirectPort), "--demo-file", ShopCommandLineTests.demoShop],
                                                   environment: environment)
        defer { if served.process.isRunning { served.process.terminate() } }
        let base = "https://127.0.0.1:\(port)"
        // Both ports say "listening"; the TLS one is the one asked for here.
        try await poll("the TLS port to answer") { (try? await authority.curl([base + "/health"]).status) == 200 }

        // The login link the demo prints is an https one, and its code signs in over TLS.
        let output = served.output
        #expect(output.contains("\(base)/?code="), "output: \(output)")
        #expect(output.contains("serial 1a:01"), "output: \(output)")
        let code = try #require(output.firstMatch(of: /code=([A-Za-z0-9_-]+)/)?.1)
        let signIn = try await authority.curl([base + "/api/auth/code", "-H", "Content-Type: application/json", "-d", #"{"code":"\#(code)"}"#])
        let token = try #require((try JSONSerialization.jsonObject(with: Data(signIn.body.utf8)) as? [String: Any])?["accessToken"] as? String,
                                 "\(signIn.body)")
        #expect(signIn.headers.lowercased().contains("strict-transport-security: max-age=31536000"))

        // Plain HTTP on the redirect port: 308 to the same path and query on HTTPS.
        let redirected = try await authority.curl(["http://127.0.0.1:\(redirectPort)/api/products?limit=1"])
        #expect(redirected.status == 308)
        #expect(redirected.headers.contains("\(base)/api/products?limit=1"), "headers: \(redirected.headers)")
        #expect(!redirected.headers.lowercased().contains("strict-transport-security"))
        let named = try await authority.curl(["http://127.0.0.1:\(redirectPort)/#/products", "-H", "Host: shop.example:80"])
        #expect(named.headers.contains("https://shop.example:\(port)/"), "headers: \(named.headers)")

        let products = try await authority.curl([base + "/api/products?limit=1", "-H", "Authorization: Bearer \(token)"])
        let items = (try JSONSerialization.jsonObject(with: Data(products.body.utf8)) as? [String: Any])?["items"] as? [[String: Any]]
        let product = try #require(items?.first?["id"] as? String, "\(products.body)")
        #expect(try await authority.servedSerial(port: port) == "1A01")

        // Subscribed from the feed's head: whatever follows reaches the socket however soon it comes.
        let health = try await authority.curl([base + "/health"])
        let head = try #require((try JSONSerialization.jsonObject(with: Data(health.body.utf8)) as? [String: Any])?["feedHead"] as? Int)
        let pid = served.process.processIdentifier
        let tls = try authority.clientTLS()
        let stocks = Stocks()
        try await WebSocketClient.connect(url: "wss://localhost:\(port)/ws?token=\(token)", tlsConfiguration: tls,
                                          logger: Logger(label: "tls-serve-test")) { inbound, outbound, _ in
            try await outbound.write(.text(#"{"type":"subscribe","topics":["inventory"],"since":\#(head)}"#))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        if case .text(let text) = message { await stocks.add(text) }
                    }
                }
                try await poll("the socket to be subscribed") { await stocks.ready }
                func restock(_ delta: Int) async throws {
                    let before = await stocks.count
                    let reply = try await authority.curl([base + "/api/products/\(product)/stock", "-H", "Authorization: Bearer \(token)",
                                                          "-H", "Content-Type: application/json", "-d", #"{"delta":\#(delta),"reason":"restock"}"#])
                    #expect(reply.status < 300, "\(reply.body)")
                    try await poll("the restock on the open socket") { await stocks.count > before }
                }
                try await restock(1)

                // Renewal: new files, then `kill -HUP` (what `systemctl reload tenda` sends).
                try authority.install(renewed, chainFile: live.chainFile, keyFile: live.keyFile)
                kill(pid, SIGHUP)
                try await poll("the renewed certificate on a new connection") { (try? await authority.servedSerial(port: port)) == "1A02" }
                #expect(served.output.contains("certificate reloaded (SIGHUP)"))
                #expect(served.process.isRunning)

                // A broken renewal (another certificate's key) is refused and the renewed one kept.
                try authority.install(TestCertificateAuthority.Issued(chainFile: other.chainFile, keyFile: renewed.keyFile, serial: "", spkiHash: ""),
                                      chainFile: live.chainFile, keyFile: live.keyFile)
                kill(pid, SIGHUP)
                try await poll("the refusal in the log") { served.output.contains("new certificate refused") }
                #expect(served.output.contains("does not match the certificate"))
                #expect(try await authority.servedSerial(port: port) == "1A02")

                // The socket opened before both reloads is still live.
                try await restock(2)
                group.cancelAll()
            }
            try await outbound.close(.normalClosure, reason: nil)
        }
        await served.stop()
    }

    @Test func aKeyOfAnotherCertificateOrAnExpiredOneStopsServeAtOnceWithAClearError() async throws {
        let authority = try await TestCertificateAuthority.make()
        defer { authority.remove() }
        let first = try await authority.issue("first", serial: "1B01")
        let other = try await authority.issue("other", serial: "1B02")
        let folder = authority.folder.appendingPathComponent("data").path
        let result = try await TestCommand.run(DatabaseCommandTests.tendaBinary.path, [
            "serve", "--data-dir", folder, "--port", String(try ShutdownTests.freePort()), "--tls-cert", first.chainFile, "--tls-key", other.keyFile,
        ], in: authority.folder, seconds: 120)
        #expect(result.status != 0)
        #expect(result.text.contains("\(other.keyFile): the private key does not match the certificate in \(first.chainFile)"), "output: \(result.text)")
        // Refused before the store was opened.
        #expect(!FileManager.default.fileExists(atPath: folder + "/data.mdb"))

        let expired = try await authority.issueExpired("expired")
        let late = try await TestCommand.run(DatabaseCommandTests.tendaBinary.path, [
            "serve", "--data-dir", folder, "--port", String(try ShutdownTests.freePort()), "--tls-cert", expired.chainFile, "--tls-key", expired.keyFile,
        ], in: authority.folder, seconds: 120)
        #expect(late.status != 0)
        #expect(late.text.contains("\(expired.chainFile): the certificate expired on 2020-02-01"), "output: \(late.text)")

        let half = try await TestCommand.run(DatabaseCommandTests.tendaBinary.path, ["serve", "--data-dir", folder, "--tls-cert", first.chainFile],
                                             in: authority.folder, seconds: 120)
        #expect(half.status != 0)
        #expect(half.text.contains("--tls-cert needs --tls-key"), "output: \(half.text)")
    }
}

extension TLSServeTests {
    @Test func aPlainHTTPServerOnlyLogsAHangup() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-cli-hangup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let port = try ShutdownTests.freePort()
        let served = try await ServerProcess.start(["serve", "--demo", "--data-dir", folder, "--port", String(port), "--demo-file", ShopCommandLineTests.demoShop])
        defer { if served.process.isRunning { served.process.terminate() } }
        // `systemctl reload tenda` on a server without TLS: logged, and the server serves on.
        kill(served.process.processIdentifier, SIGHUP)
        try await poll("the hangup in the log") { served.output.contains("SIGHUP: no TLS certificate to reload") }
        #expect(served.process.isRunning)
        let health = try await TestCommand.run("/usr/bin/curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/health"],
                                               in: FileManager.default.temporaryDirectory)
        #expect(health.text == "200")
        await served.stop()
    }
}

/// The inventory events a socket received, counted.
private actor Stocks {
    private(set) var ready = false
    private(set) var count = 0

    func add(_ text: String) {
        guard let frame = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return }
        if frame["type"] as? String == "ready" { ready = true }
        if frame["type"] as? String == "event", frame["event"] as? String == "inventory_update" { count += 1 }
    }
}
