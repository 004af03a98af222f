import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HummingbirdWSClient
import Logging
import Testing

/// `tenda serve` as an operator stops it: SIGTERM.
@Suite(.timeLimit(.minutes(2))) struct ShutdownTests {
    @Test func sigtermClosesWebSocketsWith1001AndExitsCleanly() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-cli-shutdown-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let port = try Self.freePort()
        let served = try await ServerProcess.start(["serve", "--demo", "--data-dir", folder, "--port", String(port), "--demo-file", ShopCommandLineTests.demoShop])
        let server = served.process
        defer { if server.isRunning { server.terminate() } }
        let text = served.output
        let code = try #require(text.firstMatch(of: /code=([A-Za-z0-9_-]+)/)?.1)

        // The demo's owner signs in with the printed code, then opens a socket.
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/auth/code")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"code":"\#(code)"}"#.utf8)
        let (body, _) = try await URLSession.shared.data(for: request)
        let token = try #require((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["accessToken"] as? String,
                                 "\(String(decoding: body, as: UTF8.self))")

        let pid = server.processIdentifier
        let close = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws?token=\(token)", logger: Logger(label: "shutdown-test")) { inbound, outbound, _ in
            try await outbound.write(.text(#"{"type":"subscribe","topics":["inventory"]}"#))
            var messages = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
            _ = try await messages.next()  // `ready`: the socket is served; now the operator stops the server.
            kill(pid, SIGTERM)
            while try await messages.next() != nil {}
        }
        #expect(close?.closeCode == .goingAway)
        let exitDeadline = Date().addingTimeInterval(30)
        while server.isRunning, Date() < exitDeadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!server.isRunning)
        #expect(server.terminationStatus == 0)
    }

    /// A loopback port nobody listens on right now, below the kernel's ephemeral range.
    ///
    /// A port the kernel handed out for `bind(0)` is back in its pool once the probe closes, and the
    /// next connection or `bind(0)` of any test may get it before `tenda serve` (which loads the demo
    /// shop for seconds first) binds it: CI saw "Address already in use". Ports below the ephemeral
    /// range are never handed out that way, so a free one stays free for the server that asks for it.
    static func freePort() throws -> Int {
        let ephemeralStart = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))?
            .split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32_768
        let range = 10_000..<max(10_001, min(ephemeralStart, 65_536))
        for _ in 0..<200 {
            let port = Int.random(in: range)
            if canBind(port) { return port }
        }
        throw POSIXError(.EADDRINUSE)
    }

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
