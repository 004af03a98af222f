import BenchSupport
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

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
///
/// A third server (`--floor-server PORT FIRST-READ websocket`) is the floor of any server that
/// speaks WebSocket through NIO's own handlers, as tenda must (the protocol is not hand-written):
/// NIO's HTTP/1 pipeline and `NIOWebSocketServerUpgrader`, which leaves its frame encoder and its
/// frame decoder (in a `ByteToMessageHandler`) in every upgraded channel, then one handler that
/// writes `ready` and drops the frames it is given. Tenda's first read buffer; nothing else.
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
        /// NIO's WebSocket upgrade and frame handlers in the pipeline.
        let webSocket: Bool
        let rssBeforeKB: Int
        let rssAfterKB: Int
        var kbPerConnection: Double { Double(rssAfterKB - rssBeforeKB) / Double(max(connected, 1)) }
    }

    func run() async throws -> [Result] {
        var results: [Result] = []
        for (firstRead, webSocket) in [(nil, false), (Self.firstReadBufferSize, false), (Self.firstReadBufferSize, true)] {
            for count in options.subscribers {
                results.append(try await measure(count, firstRead: firstRead, webSocket: webSocket))
            }
        }
        return results
    }

    private func measure(_ count: Int, firstRead: Int?, webSocket: Bool) async throws -> Result {
        let port = try freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        server.arguments = ["--floor-server", String(port), String(firstRead ?? 0)] + (webSocket ? ["websocket"] : [])
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
        progress("floor (\(webSocket ? "NIO's WebSocket handlers, " : "")\(firstRead.map { "\($0)-byte" } ?? "NIO's default") first read): opening \(count.grouped) connections …")
        let fleet = Fleet(count: count)
        await fleet.open(port: port, token: Self.token)
        try? await Task.sleep(for: .seconds(2))
        let after = residentKilobytes(of: server.processIdentifier) ?? 0
        let connected = fleet.ready.current
        // The fleet closes its connections; the server is stopped on the way out.
        await fleet.finish(timeout: 0)
        return Result(subscribers: count, connected: connected, firstRead: firstRead, webSocket: webSocket, rssBeforeKB: before, rssAfterKB: after)
    }

    /// `--floor-server PORT FIRST-READ [websocket]` (0: NIO's default): serves until killed.
    static func serve(port: Int, firstRead: Int, webSocket: Bool) throws -> Never {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 4_096)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if firstRead > 0 {
                        try channel.syncOptions?.setOption(
                            ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: firstRead, maximum: 65_536))
                    }
                    if webSocket {
                        try Self.configureWebSocket(channel)
                    } else {
                        try channel.pipeline.syncOperations.addHandler(FloorConnection())
                    }
                }
            }
        let channel = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
        FileHandle.standardOutput.write(Data("listening on \(port)\n".utf8))
        try channel.closeFuture.wait()
        exit(0)
    }
}

extension SocketFloorBenchmark {
    /// NIO's HTTP/1 server pipeline with its WebSocket upgrader, the way tenda's server sets it up
    /// (no automatic error handler, frames up to 64 KiB); after the upgrade the channel holds NIO's
    /// frame encoder and decoder and a ``FloorWebSocket``.
    static func configureWebSocket(_ channel: any Channel) throws {
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: 64 << 10, automaticErrorHandling: false,
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(FloorWebSocket()) }
            })
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }), withErrorHandling: false)
    }
}

/// The WebSocket floor's handler after the upgrade: writes `ready` when added, drops every frame.
private final class FloorWebSocket: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    func handlerAdded(context: ChannelHandlerContext) {
        let ready = context.channel.allocator.buffer(string: #"{"type":"ready","seq":0}"#)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: ready)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
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
        var table = Table("server", "first read buffer", "connections", "ready", "server RSS before (MB)", "after (MB)", "per connection (KB)")
        for result in results {
            table.add(result.webSocket ? "NIO's WebSocket handlers" : "bare NIO", result.firstRead.map { "\($0) B" } ?? "NIO's default (2 KB)", result.subscribers.grouped, result.connected.grouped,
                      (Double(result.rssBeforeKB) / 1024).fixed(1), (Double(result.rssAfterKB) / 1024).fixed(1), result.kbPerConnection.fixed(2))
        }
        let arguments = options.arguments.joined(separator: " ")
        return (["## The floor: a SwiftNIO server's memory per idle connection, bare and with NIO's WebSocket handlers", "", table.render(), "",
                 "- command: `swift run -c release --package-path benchmarks ws-bench \(arguments)`",
                 "- the upgrade request: \(SocketFloorBenchmark.token.count)-character token, as long as tenda's owner token"]
                + runFacts(elapsed: elapsed, fileLimit: fileLimit, loadBefore: loadBefore, loadAfter: loadAfter)).joined(separator: "\n")
    }
}
