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

    /// A loopback port nobody listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
