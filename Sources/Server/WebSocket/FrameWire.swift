import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import Realtime

/// The request context of `/ws`: Hummingbird's WebSocket context, plus the connection's NIO
/// channel, which ``FrameWire`` writes the hub's frames to.
struct SocketRequestContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let channel: any Channel

    init(source: Source) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}

/// Writes the hub's event frames to one WebSocket connection, many frames to one flush.
///
/// hummingbird-websocket's outbound writer sends one frame per call and flushes each: with
/// thousands of subscribers and several frames per purchase, the server spent most of its time
/// in one `writev` per frame per connection. Here a batch of frames becomes one buffer of
/// consecutive, complete WebSocket text frames (one frame per message, as the contract says),
/// written below the pipeline's frame encoder and flushed once. Server frames are never
/// masked, so the bytes are the same for every subscriber but the header is cheap to repeat.
///
/// The frames are sent uncompressed even when permessage-deflate was negotiated (RFC 7692
/// lets a sender leave any message uncompressed: its RSV1 bit is clear); replies and control
/// frames still go through hummingbird-websocket's writer and are compressed as before. Both
/// writers run on the channel's event loop, so frames never interleave.
struct FrameWire: Sendable {
    let channel: any Channel

    /// Writes `frames` as text frames and flushes once.
    ///
    /// While the socket takes what it is given (the channel is writable) this only hands the
    /// bytes to the event loop and returns, so the writer is back at the hub's queue without
    /// waiting for a second thread hop. Once the peer stops reading, or with `waitForSocket`,
    /// it returns only when the kernel has taken the bytes: the writer is held back, the
    /// hub's queue fills, and a reader that never catches up is cut off there.
    func write(_ frames: [Frame], waitForSocket: Bool = false) async throws {
        var encoded = channel.allocator.buffer(capacity: frames.reduce(0) { $0 + $1.bytes.count + 10 })
        for frame in frames { encoded.writeTextFrame(frame.bytes) }
        let buffer = encoded, channel = self.channel
        if channel.isWritable, !waitForSocket {
            channel.eventLoop.execute {
                // A channel closed meanwhile has no encoder left; the reading side ends the session.
                guard let encoder = try? channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self) else { return }
                encoder.writeAndFlush(NIOAny(buffer), promise: nil)
            }
            return
        }
        try await channel.eventLoop.flatSubmit {
            do {
                // Below the encoder: what is written from its context goes straight to the socket.
                let encoder = try channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
                let written = channel.eventLoop.makePromise(of: Void.self)
                encoder.writeAndFlush(NIOAny(buffer), promise: written)
                return written.futureResult
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }.get()
    }
}

extension ByteBuffer {
    /// Appends one final, unmasked text frame (RFC 6455 §5.2) carrying `payload`.
    mutating func writeTextFrame(_ payload: [UInt8]) {
        writeInteger(UInt8(0x81))  // FIN + opcode 1 (text)
        switch payload.count {
        case ..<126:
            writeInteger(UInt8(payload.count))
        case ...0xFFFF:
            writeInteger(UInt8(126))
            writeInteger(UInt16(payload.count))
        default:
            writeInteger(UInt8(127))
            writeInteger(UInt64(payload.count))
        }
        writeBytes(payload)
    }
}
