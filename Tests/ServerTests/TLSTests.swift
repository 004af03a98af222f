import Foundation
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import NIOCore
import NIOSSL
import Server
import Testing

/// HTTPS on the server's own port: REST, `/ws` and `/api/events` over TLS with a chain made by a
/// test CA, checked by real clients (curl, a WebSocket client) that trust only that CA; a renewed
/// certificate taken without a restart while open sockets stay; bad pairs refused.
@Suite(.timeLimit(.minutes(3))) struct TLSTests {
    /// The test configuration with HTTPS on, from `issued`'s files.
    static func tlsServer(_ issued: TestCertificateAuthority.Issued, configure: @escaping (inout TLSSettings) -> Void = { _ in }) async throws -> LiveServer {
        try await LiveServer.make { server in
            var tls = TLSSettings(certificateFile: issued.chainFile, keyFile: issued.keyFile)
            configure(&tls)
            server.tls = tls
        }
    }

    @Test func restTheSocketAndServerSentEventsAllRunOverTLSOnOnePort() async throws {
        let authority = try await TestCertificateAuthority.make()
        defer { authority.remove() }
        let issued = try await authority.issue("server", serial: "0A01")
        let server = try await Self.tlsServer(issued)
        let tls = try authority.clientTLS()
        try await server.app.test(.ahc(.https)) { client in
            let port = try #require(client.port)
            // REST, checked by curl against the test CA (a chain: leaf, then the intermediate).
            let health = try await authority.curl(["https://localhost:\(port)/health", "--resolve", "localhost:\(port):127.0.0.1"])
            #expect(health.status == 200)
            #expect(health.headers.lowercased().contains("strict-transport-security: max-age=31536000"), "headers: \(health.headers)")
            #expect(health.body.contains("\"feedHead\""))

            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let created = try await authority.curl(["https://127.0.0.1:\(port)/api/products", "-H", "Authorization: Bearer \(owner.access)",
                                                          "-H", "Content-Type: application/json", "-d", #"{"name":"Suco","price":500,"stock":100}"#])
            #expect(created.status == 201, "create: \(created.body)")
            let product = try #require((try JSONSerialization.jsonObject(with: Data(created.body.utf8)) as? [String: Any])?["id"] as? String)
            // An error answer over TLS carries the header too.
            let missing = try await authority.curl(["https://127.0.0.1:\(port)/api/products/nope", "-H", "Authorization: Bearer \(owner.access)"])
            #expect(missing.status == 404)
            #expect(missing.headers.lowercased().contains("strict-transport-security"))

            // Server-Sent Events over TLS: curl follows the stream into a file.
            let since = server.shop.feedHead
            let stream = authority.folder.appendingPathComponent("events.txt").path
            let events = try SpawnedProcess("/usr/bin/curl", ["-sS", "-N", "--cacert", authority.rootFile, "-H", "Authorization: Bearer \(owner.access)",
                                                              "-H", "Accept: text/event-stream", "https://127.0.0.1:\(port)/api/events?since=\(since)&topics=inventory"],
                                            output: stream, errors: stream)
            defer { events.terminate() }

            // The socket over TLS (wss), trusting only the test CA.
            let collector = FrameCollector()
            let subscribe = #"{"type":"subscribe","topics":["inventory"],"since":\#(since)}"#
            try await WebSocketClient.connect(url: "wss://localhost:\(port)/ws?token=\(owner.access)", tlsConfiguration: tls,
                                              logger: Logger(label: "wss-test")) { inbound, outbound, _ in
                try await outbound.write(.text(subscribe))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            if case .text(let text) = message { await collector.add(text) }
                        }
                    }
                    try await server.waitForSubscribers(1)
                    let restocked = try await authority.curl(["https://127.0.0.1:\(port)/api/products/\(product)/stock", "-H", "Authorization: Bearer \(owner.access)",
                                                                    "-H", "Content-Type: application/json", "-d", #"{"delta":1,"reason":"restock"}"#])
                    #expect(restocked.status == 200 || restocked.status == 201, "restock: \(restocked.body)")
                    try await poll("the restock on the wss socket") {
                        await Frames(collector.received()).events.contains { ($0["data"] as? [String: Any])?["stock"] as? Int == 101 }
                    }
                    try await poll("the restock in the event stream over TLS") {
                        ((try? String(contentsOfFile: stream, encoding: .utf8)) ?? "").contains("\"stock\":101")
                    }
                    group.cancelAll()
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
        await server.discard()
    }

    @Test func aRenewedCertificateReachesNewConnectionsWhileAnOpenSocketKeepsItsEvents() async throws {
        let authority = try await TestCertificateAuthority.make()
        defer { authority.remove() }
        // The server reads these two files, which the "renewal" replaces.
        let live = try await authority.issue("live", serial: "0B01")
        let renewed = try await authority.issue("renewed", serial: "0B02")
        let server = try await Self.tlsServer(live) { $0.fileCheckInterval = .milliseconds(100) }
        let tls = try authority.clientTLS()
        try await server.app.test(.ahc(.https)) { client in
            let port = try #require(client.port)
            #expect(try await authority.servedSerial(port: port) == "0B01")
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Suco", "price": 500, "stock": 100])
            let product = try #require(created.json["id"] as? String)
            let collector = FrameCollector()
            // From the feed's head: whatever follows reaches the socket however soon it comes.
            let subscribe = #"{"type":"subscribe","topics":["inventory"],"since":\#(server.shop.feedHead)}"#
            try await WebSocketClient.connect(url: "wss://localhost:\(port)/ws?token=\(owner.access)", tlsConfiguration: tls,
                                              logger: Logger(label: "wss-test")) { inbound, outbound, _ in
                try await outbound.write(.text(subscribe))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            if case .text(let text) = message { await collector.add(text) }
                        }
                    }
                    try await server.waitForSubscribers(1)
                    func restock(to stock: Int) async throws {
                        let reply = try await client.call(.post, "/api/products/\(product)/stock", token: owner.access, json: ["delta": 1, "reason": "restock"])
                        #expect(reply.status.code < 300)
                        try await poll("stock \(stock) on the open socket") {
                            await Frames(collector.received()).events.contains { ($0["data"] as? [String: Any])?["stock"] as? Int == stock }
                        }
                    }
                    try await restock(to: 101)

                    // Renewal: the files are replaced; the server notices and new connections get the new certificate.
                    try authority.install(renewed, chainFile: live.chainFile, keyFile: live.keyFile)
                    try await poll("the renewed certificate on a new connection") { (try? await authority.servedSerial(port: port)) == "0B02" }
                    let health = try await authority.curl(["https://127.0.0.1:\(port)/health"])
                    #expect(health.status == 200)

                    // The socket opened under the first certificate is still there, and still live.
                    try await restock(to: 102)
                    #expect(server.hub.subscriberCount == 1)
                    group.cancelAll()
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
        await server.discard()
    }

    @Test func aBadRenewalIsRefusedAndTheServedCertificateKept() async throws {
        let authority = try await TestCertificateAuthority.make()
        defer { authority.remove() }
        let live = try await authority.issue("live", serial: "0C01")
        let other = try await authority.issue("other", serial: "0C02")
        let serving = try ServingCertificate(settings: TLSSettings(certificateFile: live.chainFile, keyFile: live.keyFile), logger: Logger(label: "tls-test"))
        #expect(serving.pair.serialNumber == "0c:01")

        // A key of another certificate: refused, the first one kept.
        try FileManager.default.removeItem(atPath: live.keyFile)
        try FileManager.default.copyItem(atPath: other.keyFile, toPath: live.keyFile)
        #expect(serving.filesChanged)
        #expect(serving.reload(reason: "test") == false)
        #expect(serving.pair.serialNumber == "0c:01")
        #expect(!serving.filesChanged, "a refused pair is not tried again until the files change again")

        // A missing file: refused the same way.
        try FileManager.default.removeItem(atPath: live.keyFile)
        #expect(serving.reload(reason: "test") == false)
        #expect(serving.pair.serialNumber == "0c:01")

        // An expired certificate (with its own key): refused.
        let expired = try await authority.issueExpired("expired")
        try authority.install(expired, chainFile: live.chainFile, keyFile: live.keyFile)
        #expect(serving.reload(reason: "test") == false)
        #expect(serving.pair.serialNumber == "0c:01")

        // The matching pair: taken.
        try authority.install(other, chainFile: live.chainFile, keyFile: live.keyFile)
        #expect(serving.reload(reason: "test"))
        #expect(serving.pair.serialNumber == "0c:02")
    }

    @Test func anExpiredCertificateIsNotServedFromTheStart() async throws {
        let authority = try await TestCertificateAuthority.make()
        defer { authority.remove() }
        let expired = try await authority.issueExpired("expired")
        // Loading reads it (tenda doctor shows its dates); serving refuses it.
        let pair = try CertificatePair.load(certificate: expired.chainFile, key: expired.keyFile)
        #expect(!pair.isValid())
        do {
            _ = try ServingCertificate(settings: TLSSettings(certificateFile: expired.chainFile, keyFile: expired.keyFile), logger: Logger(label: "tls-test"))
            Issue.record("an expired certificate was accepted")
        } catch {
            #expect(error.kind == .notValidNow)
            #expect(error.description.contains("the certificate expired on 2020-02-01"), "\(error)")
        }
    }

    @Test func certificateFilesAreCheckedAndExplainedInWords() async throws {
        let authority = try await TestCertificateAuthority.make()
        defer { authority.remove() }
        let issued = try await authority.issue("server", serial: "0D01")
        let other = try await authority.issue("other", serial: "0D02")

        let pair = try CertificatePair.load(certificate: issued.chainFile, key: issued.keyFile)
        #expect(pair.chain.count == 2)
        #expect(pair.subject.contains("CN=localhost"))
        #expect(pair.serialNumber == "0d:01")
        #expect(pair.notValidBefore < Date() && Date() < pair.notValidAfter)
        #expect(pair.notValidAfter.timeIntervalSince(pair.notValidBefore) > 29 * 86_400)

        func failure(_ certificate: String, _ key: String) -> CertificateFileError? {
            do {
                _ = try CertificatePair.load(certificate: certificate, key: key)
                return nil
            } catch {
                return error
            }
        }
        let mismatch = try #require(failure(issued.chainFile, other.keyFile))
        #expect(mismatch.kind == .keyMismatch)
        #expect(mismatch.description.contains("does not match the certificate"), "\(mismatch)")
        let missing = try #require(failure(issued.chainFile, authority.folder.appendingPathComponent("absent.key").path))
        #expect(missing.kind == .unreadable)
        #expect(missing.description.contains("absent.key") && missing.description.contains("cannot read the key file"), "\(missing)")
        let keyAsCertificate = try #require(failure(issued.keyFile, issued.keyFile))
        #expect(keyAsCertificate.kind == .noCertificate)
        #expect(keyAsCertificate.description.contains("no PEM certificate"), "\(keyAsCertificate)")
        let certificateAsKey = try #require(failure(issued.chainFile, issued.chainFile))
        #expect(certificateAsKey.kind == .noKey)
        #expect(certificateAsKey.description.contains("no PEM private key"), "\(certificateAsKey)")
    }

    @Test func plainHTTPToTheTLSPortIsClosedAndASilentClientDoesNotHoldAConnection() async throws {
        let authority = try await TestCertificateAuthority.make()
        defer { authority.remove() }
        let issued = try await authority.issue("server", serial: "0E01")
        let server = try await Self.tlsServer(issued) { $0.handshakeTimeout = .seconds(5) }
        try await server.app.test(.ahc(.https)) { client in
            let port = try #require(client.port)
            // A plain request: the handshake fails on its first bytes and the connection closes
            // without an HTTP answer (a TLS alert at most), long before the handshake deadline
            // (which is long enough here for a loaded machine to send its request first).
            let answer = try await RawConnection.exchange(port: port, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(!answer.contains("HTTP/1.1"), "plain HTTP got an HTTP answer: \(answer)")
            // A client that connects and says nothing is closed at the handshake deadline.
            let silent = try await RawConnection.connect(port: port)
            try await silent.wait("the server to close a connection that never shook hands") { $0.closed }
            #expect(silent.state.received.isEmpty)
            // The port still serves TLS.
            #expect(try await authority.curl(["https://127.0.0.1:\(port)/health"]).status == 200)
        }
        await server.discard()
    }
}
