import NIOCore
import NIOEmbedded
import NIOWebSocket
@testable import Server
import Testing

/// The reader that holds NIO's frame decoder only while a frame is being read.
@Suite(.timeLimit(.minutes(1))) struct WebSocketFrameReaderTests {
    /// A client's frame (RFC 6455 §5.2: clients mask), as NIO's own encoder writes it.
    private func clientFrame(_ text: String, opcode: WebSocketOpcode = .text, fin: Bool = true) -> [UInt8] {
        var payload = ByteBuffer(string: text)
        let key: WebSocketMaskingKey = [0x11, 0x22, 0x33, 0x44]
        payload.webSocketMask(key)
        let length = payload.readableBytes
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | UInt8(webSocketOpcode: opcode)]
        switch length {
        case ..<126: bytes.append(0x80 | UInt8(length))
        case ...0xFFFF: bytes += [0x80 | 126, UInt8(length >> 8), UInt8(length & 0xFF)]
        default: bytes += [0x80 | 127] + (0..<8).reversed().map { UInt8((length >> ($0 * 8)) & 0xFF) }
        }
        return bytes + Array(key) + Array(payload.readableBytesView)
    }

    private func channel(maxFrameSize: Int = 1_000) throws -> (EmbeddedChannel, WebSocketFrameReader) {
        let reader = WebSocketFrameReader(maxFrameSize: maxFrameSize)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(reader)
        return (channel, reader)
    }

    private func texts(_ channel: EmbeddedChannel) throws -> [String] {
        var texts: [String] = []
        while let frame = try channel.readInbound(as: WebSocketFrame.self) {
            var data = frame.unmaskedData
            texts.append(data.readString(length: data.readableBytes) ?? "")
        }
        return texts
    }

    @Test func aFrameFedOneByteAtATimeComesOutWholeAndTheDecoderGoesWithIt() throws {
        let (channel, reader) = try channel()
        let message = String(repeating: "coxinha ", count: 40)  // 320 bytes: a 16-bit length
        let bytes = clientFrame(message)
        for (index, byte) in bytes.enumerated() {
            #expect(reader.holdsDecoder == (index > 0))  // none before the first byte; kept mid-frame
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(try texts(channel) == [message])
        #expect(!reader.holdsDecoder)
    }

    @Test func severalFramesInOneReadAndOneSplitAcrossTwo() throws {
        let (channel, reader) = try channel()
        let first = clientFrame(#"{"type":"subscribe","topics":["sales"]}"#), second = clientFrame(#"{"type":"ping"}"#)
        let third = clientFrame(String(repeating: "x", count: 130))
        try channel.writeInbound(ByteBuffer(bytes: first + second + third.prefix(3)))
        #expect(try texts(channel) == [#"{"type":"subscribe","topics":["sales"]}"#, #"{"type":"ping"}"#])
        #expect(reader.holdsDecoder)
        try channel.writeInbound(ByteBuffer(bytes: third.dropFirst(3)))
        #expect(try texts(channel) == [String(repeating: "x", count: 130)])
        #expect(!reader.holdsDecoder)
        // A fragment and its continuation are two frames; the connection joins them.
        try channel.writeInbound(ByteBuffer(bytes: clientFrame("half ", fin: false) + clientFrame("whole", opcode: .continuation)))
        #expect(try texts(channel) == ["half ", "whole"])
        #expect(!reader.holdsDecoder)
    }

    @Test func aFrameOverTheLimitIsAnErrorAndNothingIsReadAfterIt() throws {
        let (channel, reader) = try channel(maxFrameSize: 100)
        #expect(throws: NIOWebSocketError.invalidFrameLength) {
            try channel.writeInbound(ByteBuffer(bytes: clientFrame(String(repeating: "y", count: 101))))
        }
        try channel.writeInbound(ByteBuffer(bytes: clientFrame("after")))
        #expect(try texts(channel).isEmpty)
        #expect(!reader.holdsDecoder)
    }

    @Test func aLongControlFrameIsAnError() throws {
        let (channel, _) = try channel()
        #expect(throws: NIOWebSocketError.multiByteControlFrameLength) {
            try channel.writeInbound(ByteBuffer(bytes: clientFrame(String(repeating: "p", count: 126), opcode: .ping)))
        }
    }
}
