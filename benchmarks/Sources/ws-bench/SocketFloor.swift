import BenchSupport
import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// `ws-bench --socket-floor`: the floor under the live runs' memory per idle connection, what
/// SwiftNIO's accepted channel and its socket cost with nothing of Tenda's.
///
/// The server is this executable again, in its own process (`--floor-server PORT FIRST-READ`):
/// a NIO `ServerBootstrap` whose one handler answers the upgrade request with a `101` and a
/// `ready` text frame, then drops whatever it reads. No HTTP codec, no WebSocket handlers, no
/// hub, no timers. The same ``Fleet`` as the live runs connects to it (the same upgrade request
/// and `subscribe` message), and its RSS is read as the live runs read tenda's: before, then
/// 2 s after every connection has its `ready`. Each count is run with NIO's default first read
/// buffer (2 KB) and with tenda's (``firstReadBufferSize``).
struct SocketFloorBenchmark {
    let options: WSBenchOptions

    /// What tenda's server sets (Sources/Server/WebSocket/WebSocketServerChannel.swift).
    static let firstReadBufferSize = 512
    /// As long as tenda's owner token in the live runs' `?token=`, so the upgrade request is as long.
    static let token = String(repeating: "t", count: 199)

    struct Result {
        let subscribers: Int
        let connected: Int
        /// nil: NIO's default receive allocator.
        let firstRead: Int?
        let rssBeforeKB: Int
        let rssAfterKB: Int
        var kbPerConnection: Double { Double(rssAfterKB - rssBeforeKB) / Double(max(connected, 1)) }
    }

    func run() async throws -> [Result] {
        var results: [Result] = []
        for firstRead in [nil, Self.firstReadBufferSize] {
            for count in options.subscribers {
                results.append(try await measure(count, firstRead: firstRead))
            }
        }
        return results
    }

    private func measure(_ count: Int, firstRead: Int?) async throws -> Result {
        let port = try freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        server.arguments = ["--floor-server", String(port), String(firstRead ?? 0)]
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer {
            // It may have been started with SIGTERM blocked; nothing of it needs a clean exit.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        // Up once it accepts a connection (this one is closed at once).
        let deadline = monotonicNanos() + 10_000_000_000
        while (try? HTTPConnection(port: port)) == nil {
            guard monotonicNanos() < deadline else { throw BenchError("the floor server did not start on port \(port)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(500))
        let before = residentKilobytes(of: server.processIdentifier) ?? 0
        progress("floor (\(firstRead.map { "\($0)-byte" } ?? "NIO's default") first read): opening \(count.grouped) connections …")
        let fleet = Fleet(count: count)
        await fleet.open(port: port, token: Self.token)
        try? await Task.sleep(for: .seconds(2))
        let after = residentKilobytes(of: server.processIdentifier) ?? 0
        let connected = fleet.ready.current
        // The fleet closes its connections; the server is stopped on the way out.
        await fleet.finish(timeout: 0)
        return Result(subscribers: count, connected: connected, firstRead: firstRead, rssBeforeKB: before, rssAfterKB: after)
    }

    /// `--floor-server PORT FIRST-READ` (0: NIO's default): serves until killed.
    static func serve(port: Int, firstRead: Int) throws -> Never {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 4_096)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if firstRead > 0 {
                        try channel.syncOptions?.setOption(
                            ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: firstRead, maximum: 65_536))
                    }
                    try channel.pipeline.syncOperations.addHandler(FloorConnection())
                }
            }
        let channel = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
        FileHandle.standardOutput.write(Data("listening on \(port)\n".utf8))
        try channel.closeFuture.wait()
        exit(0)
    }
}

/// The floor server's only handler: a `101` and a `ready` frame once the request's head has
/// come, then nothing.
private final class FloorConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let headEnd: [UInt8] = Array("\r\n\r\n".utf8)
    /// How many bytes of `\r\n\r\n` the bytes read so far end with; nil once answered.
    private var matched: Int? = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard var matched else { return }
        for byte in unwrapInboundIn(data).readableBytesView {
            matched = byte == Self.headEnd[matched] ? matched + 1 : (byte == Self.headEnd[0] ? 1 : 0)
            if matched == Self.headEnd.count {
                self.matched = nil
                context.writeAndFlush(wrapOutboundOut(Self.answer(allocator: context.channel.allocator)), promise: nil)
                return
            }
        }
        self.matched = matched
    }

    private static func answer(allocator: ByteBufferAllocator) -> ByteBuffer {
        // The accept value of the fleet's fixed key (RFC 6455's example).
        var buffer = allocator.buffer(string: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
        let ready = Array(#"{"type":"ready","seq":0}"#.utf8)
        buffer.writeInteger(UInt8(0x81))
        buffer.writeInteger(UInt8(ready.count))
        buffer.writeBytes(ready)
        return buffer
    }
}

struct SocketFloorReport {
    let options: WSBenchOptions
    let results: [SocketFloorBenchmark.Result]
    let fileLimit: UInt64
    let loadBefore: String
    let loadAfter: String
    let elapsed: Duration

    func render() -> String {
        var table = Table("first read buffer", "connections", "ready", "server RSS before (MB)", "after (MB)", "per connection (KB)")
        for result in results {
            table.add(result.firstRead.map { "\($0) B" } ?? "NIO's default (2 KB)", result.subscribers.grouped, result.connected.grouped,
                      (Double(result.rssBeforeKB) / 1024).fixed(1), (Double(result.rssAfterKB) / 1024).fixed(1), result.kbPerConnection.fixed(2))
        }
        let arguments = options.arguments.joined(separator: " ")
        return (["## The floor: a bare SwiftNIO server's memory per idle connection", "", table.render(), "",
                 "- command: `swift run -c release --package-path benchmarks ws-bench \(arguments)`",
                 "- the upgrade request: \(SocketFloorBenchmark.token.count)-character token, as long as tenda's owner token"]
                + runFacts(elapsed: elapsed, fileLimit: fileLimit, loadBefore: loadBefore, loadAfter: loadAfter)).joined(separator: "\n")
    }
}
