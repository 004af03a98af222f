import NIOCore
import NIOWebSocket

/// Cuts an upgraded connection's bytes into frames with NIO's own `WebSocketFrameDecoder`, which
/// exists only while a frame is being read: an idle WebSocket holds none.
///
/// NIO's upgrader leaves the decoder in every channel inside a `ByteToMessageHandler`, and that
/// handler, the decoder and the handler's buffer ring stay with a socket for its whole life:
/// about 450 bytes of an idle socket's ~5 KB, for a client that sends a message a minute. Here
/// the decoder is made when bytes come, used exactly as the `ByteToMessageHandler` uses it
/// (`decode(context:buffer:)` until it needs more data; the frames go to the next handler,
/// the ``WebSocketConnection``), and dropped again once its parser is back between frames
/// with nothing left over. Part of a frame keeps the decoder (its parser holds the header
/// read so far) and the unread bytes until the rest comes.
///
/// A decoder error (a frame over the size limit, a fragmented or long control frame) goes on
/// as `errorCaught`, as the `ByteToMessageHandler` sends it, and nothing is read after it.
final class WebSocketFrameReader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = WebSocketFrame

    let maxFrameSize: Int
    private var decoder: WebSocketFrameDecoder?
    /// Bytes read past the last whole frame, with the decoder whose parser has taken the rest.
    private var unread: ByteBuffer?
    private var failed = false

    /// Whether a decoder is held now (part of a frame has come), for the tests.
    var holdsDecoder: Bool { decoder != nil }

    init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var buffer = unwrapInboundIn(data)
        if var unread {
            self.unread = nil
            unread.writeBuffer(&buffer)
            buffer = unread
        }
        let decoder = decoder ?? WebSocketFrameDecoder(maxFrameSize: maxFrameSize)
        // Whether the parser is between frames: true for a new decoder and after each frame; the
        // parser takes bytes into its own state as it goes, so after any bytes taken without a
        // frame it is not.
        var betweenFrames = self.decoder == nil
        do {
            decoding: while true {
                let before = buffer.readableBytes
                switch try decoder.decode(context: context, buffer: &buffer) {
                case .continue:
                    // A frame went on to the connection; the parser is back at the start of one.
                    betweenFrames = true
                case .needMoreData:
                    // The parser took what it could of the rest; what it left is less than its next step.
                    if buffer.readableBytes != before { betweenFrames = false }
                    break decoding
                }
            }
        } catch {
            failed = true
            self.decoder = nil
            context.fireErrorCaught(error)
            return
        }
        if betweenFrames && buffer.readableBytes == 0 {
            self.decoder = nil
        } else {
            self.decoder = decoder
            if buffer.readableBytes > 0 { unread = buffer }
        }
    }
}
