import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A WebSocket client made by hand on a NIO channel, for what a polite client never does:
/// stop reading (a stalled dashboard) or never answer a ping (a phone that went away).
///
/// It does the HTTP upgrade, can send masked text frames, and keeps every server frame it
/// reads (opcode and payload). It does not answer pings.
final class RawWebSocket: Sendable {
    struct ServerFrame: Sendable {
        let opcode: UInt8
        let payload: [UInt8]
        var text: String { String(decoding: payload, as: UTF8.self) }
        /// A close frame's status code.
        var closeCode: UInt16? { opcode == 0x8 && payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil }
    }

    private let channel: any Channel
    private let reader: FrameReader

    private init(channel: any Channel, reader: FrameReader) {
        self.channel = channel
        self.reader = reader
    }

    /// Connects to `/ws?token=` (or `/ws`, to sign in by message) and waits for the `101`. A small receive buffer makes a client
    /// that stops reading fill up quickly; `extraHeaders` (whole lines, each ending in CRLF) go into the upgrade request.
    static func connect(port: Int, token: String?, receiveBuffer: Int32 = 4096, extraHeaders: String = "") async throws -> RawWebSocket {
        let reader = FrameReader()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(reader) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let request = "GET /ws\(token.map { "?token=" + $0 } ?? "") HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        let socket = RawWebSocket(channel: channel, reader: reader)
        try await socket.wait("the upgrade") { $0.upgraded }
        return socket
    }

    /// Sends one masked text frame, as RFC 6455 requires of clients.
    func send(_ text: String) async throws {
        try await send(opcode: 0x1, fin: true, Array(text.utf8))
    }

    /// Sends one masked frame of any kind, `times` over in one write: a fragment (`fin` false,
    /// or opcode 0 for a continuation), a ping (0x9).
    func send(opcode: UInt8, fin: Bool, _ payload: [UInt8], times: Int = 1) async throws {
        var frame = ByteBuffer()
        Self.writeFrame(opcode: opcode, fin: fin, payload, into: &frame)
        var frames = ByteBuffer()
        frames.reserveCapacity(frame.readableBytes * times)
        for _ in 0..<times { frames.writeImmutableBuffer(frame) }
        try await channel.writeAndFlush(frames)
    }

    private static func writeFrame(opcode: UInt8, fin: Bool, _ payload: [UInt8], into frame: inout ByteBuffer) {
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        frame.writeInteger((fin ? 0x80 : 0) | opcode)
        if payload.count < 126 {
            frame.writeInteger(UInt8(0x80 | payload.count))
        } else if payload.count <= 0xFFFF {
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(payload.count))
        } else {
            frame.writeInteger(UInt8(0x80 | 127))
            frame.writeInteger(UInt64(payload.count))
        }
        frame.writeBytes(mask)
        frame.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset & 3] })
    }

    /// Stops or resumes reading from the socket (the kernel's buffers then fill up).
    func setReading(_ reading: Bool) async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: reading)
        if reading { channel.read() }
    }

    var frames: [ServerFrame] { reader.state.withLockedValue { $0.frames } }
    var isClosed: Bool { reader.state.withLockedValue { $0.closed } }

    /// Waits until `condition` holds of what was read, or fails after `seconds` (30 by default: the
    /// whole suite starts at once on two cores, and a wait only ends early when its condition holds).
    func wait(_ what: String, seconds: Double = 30, until condition: @escaping @Sendable (FrameReader.State) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !reader.state.withLockedValue({ condition($0) }) {
            guard ContinuousClock.now < deadline else { throw RawWebSocketTimeout(what: what) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// What was read so far.
    var state: FrameReader.State { reader.state.withLockedValue { $0 } }

    func close() async {
        try? await channel.close()
    }

    struct RawWebSocketTimeout: Error, CustomStringConvertible {
        let what: String
        var description: String { "timed out waiting for \(what)" }
    }

    /// Cuts server frames (never masked) out of the bytes read.
    final class FrameReader: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer

        struct State: Sendable {
            var upgraded = false
            var frames: [ServerFrame] = []
            var closed = false
            var pending = ByteBuffer()
        }

        let state = NIOLockedValueBox(State())

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            state.withLockedValue { s in
                s.pending.writeBuffer(&bytes)
                if !s.upgraded {
                    guard let text = s.pending.getString(at: s.pending.readerIndex, length: s.pending.readableBytes),
                          let end = text.range(of: "\r\n\r\n") else { return }
                    s.upgraded = text.hasPrefix("HTTP/1.1 101")
                    s.pending.moveReaderIndex(forwardBy: text.utf8.distance(from: text.startIndex, to: end.upperBound))
                }
                while let frame = Self.nextFrame(&s.pending) { s.frames.append(frame) }
                s.pending.discardReadBytes()
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.withLockedValue { $0.closed = true }
        }

        private static func nextFrame(_ buffer: inout ByteBuffer) -> ServerFrame? {
            let start = buffer.readerIndex
            guard let first = buffer.getInteger(at: start, as: UInt8.self), let second = buffer.getInteger(at: start + 1, as: UInt8.self) else { return nil }
            var length = Int(second & 0x7F), header = 2
            if length == 126 {
                guard let extended = buffer.getInteger(at: start + 2, as: UInt16.self) else { return nil }
                length = Int(extended); header = 4
            } else if length == 127 {
                guard let extended = buffer.getInteger(at: start + 2, as: UInt64.self) else { return nil }
                length = Int(extended); header = 10
            }
            guard buffer.readableBytes >= header + length else { return nil }
            buffer.moveReaderIndex(forwardBy: header)
            return ServerFrame(opcode: first & 0x0F, payload: buffer.readBytes(length: length)!)
        }
    }
}
