import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
@testable import Server
import Testing

/// Who is asking: the client address behind trusted proxies, and what the audit trail records.
@Suite(.timeLimit(.minutes(2))) struct ClientAddressTests {
    static let agent = "TendaTest/1.0 (audit)"

    /// Creates a product named `name` with `headers`, then reads its audit entry back as the owner.
    static func auditedCreation(_ client: any TestClientProtocol, owner: String, name: String, headers: HTTPFields) async throws -> [String: Any] {
        let created = try await client.call(.post, "/api/products", token: owner, json: ["name": name, "price": 100], headers: headers)
        #expect(created.status == .created, "\(created.json)")
        return try await auditEntry(client, owner: owner) { $0["command"] as? String == "createProduct" && ($0["summary"] as? String)?.hasPrefix(name) == true }
    }

    /// The audit entry `matching` says, read through `GET /api/audit`.
    static func auditEntry(_ client: any TestClientProtocol, owner: String, matching: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let trail = try await client.call(.get, "/api/audit?limit=200", token: owner)
        #expect(trail.status == .ok)
        let found = (trail.json["items"] as? [[String: Any]])?.first(where: matching)
        return try #require(found, "no such audit entry in \(trail.json)")
    }

    @Test func anAuditEntryRecordsTheDirectCallersAddressAndUserAgentAndIgnoresAnUntrustedForwardedFor() async throws {
        let server = try await LiveServer.make(configure: { $0.trustedProxies = try! TrustedProxies(parsing: "10.0.0.0/8") })
        // A proxy is trusted, but not the test's own loopback peer.
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let direct = try await Self.auditedCreation(client, owner: owner.access, name: "Direto", headers: [.userAgent: Self.agent])
            #expect(direct["clientAddress"] as? String == "127.0.0.1")
            #expect(direct["userAgent"] as? String == Self.agent)
            #expect(direct["channel"] as? String == "rest")

            let forged = try await Self.auditedCreation(client, owner: owner.access, name: "Forjado", headers: [
                .userAgent: Self.agent, .xForwardedFor: "203.0.113.9", .xForwardedProto: "https",
            ])
            #expect(forged["clientAddress"] as? String == "127.0.0.1")
        }
        await server.discard()
    }

    @Test func behindATrustedProxyTheAuditTrailRecordsTheRightMostUntrustedForwardedAddress() async throws {
        let server = try await LiveServer.make(configure: { $0.trustedProxies = try! TrustedProxies(parsing: "127.0.0.1/32,10.0.0.0/8,::1/128") })
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            // The client wrote 198.51.100.1 itself; our proxies 10.1.2.3 and 127.0.0.1 appended what they saw.
            let proxied = try await Self.auditedCreation(client, owner: owner.access, name: "Proxy", headers: [
                .userAgent: Self.agent, .xForwardedFor: "198.51.100.1, 203.0.113.7", HTTPField.Name.xForwardedFor: "10.1.2.3",
            ])
            #expect(proxied["clientAddress"] as? String == "203.0.113.7")
            #expect(proxied["userAgent"] as? String == Self.agent)

            // Sign-in is audited with the forwarded address too.
            let signIn = try await client.call(.post, "/api/auth/telegram", json: ["initData": LiveServer.initData(telegramId: 4_000, firstName: "Rui")],
                                               headers: [.userAgent: "RuiPhone", .xForwardedFor: "2001:DB8:0:0::5"])
            #expect(signIn.status == .ok)
            let entry = try await Self.auditEntry(client, owner: owner.access) { $0["userAgent"] as? String == "RuiPhone" }
            #expect(entry["clientAddress"] as? String == "2001:db8::5")
        }
        await server.discard()
    }

    @Test func aWebSocketCommandIsAuditedWithTheUpgradeRequestsAddressAndUserAgent() async throws {
        let server = try await LiveServer.make(configure: { $0.trustedProxies = try! TrustedProxies(parsing: "127.0.0.0/8") })
        try await server.run { client, port in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let collector = FrameCollector()
            let configuration = WebSocketClientConfiguration(additionalHeaders: [.userAgent: "SocketAgent", .xForwardedFor: "192.0.2.44"])
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws?token=\(owner.access)", configuration: configuration,
                                              logger: Logger(label: "ws-test")) { inbound, outbound, _ in
                try await outbound.write(.text(#"{"type":"command","id":"c1","command":"createProduct","params":{"name":"PeloSocket","price":300}}"#))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { await collector.add(text) }
                    if Frames(await collector.received()).all.contains(where: { $0["id"] as? String == "c1" }) { break }
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
            let result = try #require(Frames(await collector.received()).all.first { $0["id"] as? String == "c1" })
            #expect(result["ok"] as? Bool == true, "\(result)")
            let entry = try await Self.auditEntry(client, owner: owner.access) { ($0["summary"] as? String)?.hasPrefix("PeloSocket") == true }
            #expect(entry["channel"] as? String == "ws")
            #expect(entry["clientAddress"] as? String == "192.0.2.44")
            #expect(entry["userAgent"] as? String == "SocketAgent")
        }
        await server.discard()
    }

    @Test func thePerAddressLimitCountsForwardedClientsApartOnlyBehindATrustedProxy() async throws {
        // A token every 20 s: however slow the machine, none refills a bucket during the test.
        for trusted in [true, false] {
            let server = try await LiveServer.make(addressRateLimit: (burst: 3, perSecond: 0.05),
                                                   configure: { $0.trustedProxies = try! TrustedProxies(parsing: trusted ? "127.0.0.1/32" : "") })
            try await server.run { client, _ in
                var first: [Int] = []
                for _ in 0..<4 { first.append(Int(try await client.call(.get, "/health", headers: [.xForwardedFor: "198.51.100.1"]).status.code)) }
                #expect(first == [200, 200, 200, 429])
                let other = try await client.call(.get, "/health", headers: [.xForwardedFor: "198.51.100.2"])
                // Behind a trusted proxy another client has its own bucket; otherwise the header is ignored and the peer's bucket is empty.
                #expect(other.status == (trusted ? .ok : .tooManyRequests), "trusted: \(trusted)")
            }
            await server.discard()
        }
    }
}

/// The parsing of `--trusted-proxy` and the right-most-untrusted walk over `X-Forwarded-For`.
@Suite(.timeLimit(.minutes(3))) struct TrustedProxiesTests {
    @Test(arguments: ["10.0.0.0/8", "127.0.0.1/32", "::1/128", "0.0.0.0/0", "::/0", "2001:db8::/32", "192.168.1.7", "fe80::1",
                      "::ffff:10.0.0.0/104", "10.1.2.3/8"])
    func validRangesParse(text: String) throws {
        _ = try TrustedProxies(parsing: text)
    }

    @Test(arguments: ["10.0.0.0/33", "::1/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0/+8", "10.0.0.0/ 8",
                      "10.0.0.0/99999999999999999999", "10.0.0/8", "256.0.0.0/8", "example.com/8", "/8", "::ffff:10.0.0.0/95",
                      "fe80::1%eth0/64", "10.0.0.0/0x8", "1.2.3.4:80"])
    func malformedRangesAreAClearError(text: String) {
        #expect(throws: TrustedProxies.InvalidProxyRange.self) { try TrustedProxies(parsing: "127.0.0.1/32, \(text)") }
        do {
            _ = try TrustedProxies(parsing: text)
        } catch {
            #expect("\(error)".contains(text), "\(error)")
        }
    }

    @Test func anEmptyListTrustsNobody() throws {
        #expect(try TrustedProxies(parsing: "").isEmpty)
        #expect(try TrustedProxies(parsing: " , ").isEmpty)
        let client = TrustedProxies.none.client(peer: "127.0.0.1", forwardedFor: ["1.2.3.4"], forwardedProto: "https")
        #expect(client == TrustedProxies.Client(address: "127.0.0.1", scheme: "http"))
    }

    @Test func rangesMatchTheirPrefixAndNothingElse() throws {
        let proxies = try TrustedProxies(parsing: "10.0.0.0/8,192.168.4.0/22,2001:db8::/33,::1")
        for inside in ["10.0.0.1", "10.255.255.255", "192.168.7.255", "192.168.4.0", "2001:db8:7fff::1", "::1", "::ffff:10.9.9.9"] {
            #expect(proxies.trusts(try #require(IPAddress(inside))), "\(inside)")
        }
        for outside in ["11.0.0.0", "9.255.255.255", "192.168.8.0", "192.168.3.255", "2001:db8:8000::", "::2", "127.0.0.1", "::ffff:11.0.0.1"] {
            #expect(!proxies.trusts(try #require(IPAddress(outside))), "\(outside)")
        }
        #expect(try TrustedProxies(parsing: "0.0.0.0/0").trusts(try #require(IPAddress("203.0.113.1"))))
        #expect(try !TrustedProxies(parsing: "0.0.0.0/0").trusts(try #require(IPAddress("2001:db8::1"))))
    }

    @Test func theClientIsTheRightMostAddressThatIsNotATrustedProxy() throws {
        let proxies = try TrustedProxies(parsing: "10.0.0.0/8,127.0.0.1/32")
        func client(_ forwardedFor: [String], peer: String = "127.0.0.1") -> String? {
            proxies.client(peer: peer, forwardedFor: forwardedFor, forwardedProto: nil).address
        }
        #expect(client(["1.1.1.1, 2.2.2.2, 10.0.0.5"]) == "2.2.2.2")
        #expect(client(["1.1.1.1", "2.2.2.2,10.0.0.5"]) == "2.2.2.2")
        #expect(client([]) == "127.0.0.1")
        #expect(client(["10.0.0.9, 10.0.0.5"]) == "10.0.0.9")
        #expect(client(["1.1.1.1, not-an-address, 10.0.0.5"]) == "10.0.0.5")
        #expect(client(["2.2.2.2:5678"]) == "2.2.2.2")
        #expect(client(["[2001:DB8::7]:443"]) == "2001:db8::7")
        #expect(client(["2001:db8::7"]) == "2001:db8::7")
        #expect(client(["2.2.2.2"], peer: "203.0.113.1") == "203.0.113.1")
        #expect(client(["2.2.2.2"], peer: "::ffff:127.0.0.1") == "2.2.2.2")
    }

    @Test func theSchemeIsHTTPSOnlyWhenATrustedProxySaysSo() throws {
        let proxies = try TrustedProxies(parsing: "127.0.0.1/32")
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: [], forwardedProto: "https").scheme == "https")
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: [], forwardedProto: "HTTPS, http").scheme == "https")
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: [], forwardedProto: "http").scheme == "http")
        #expect(proxies.client(peer: "127.0.0.2", forwardedFor: [], forwardedProto: "https").scheme == "http")
    }
}
