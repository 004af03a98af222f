import CompressNIO
import NIOCore
import NIOHTTP1

/// The permessage-deflate extension (RFC 7692), as far as Tenda uses it: clients may compress
/// what they send; the server never compresses (its event frames go to thousands of sockets
/// as the same bytes, and are small).
///
/// The server answers an offer with `client_no_context_takeover`, so each client message is
/// compressed on its own and is inflated here with a fresh state: no zlib state (tens of KB)
/// is kept per connection between messages. Inflating stops at a cap, so a small compressed
/// message cannot expand into a huge one.
enum PerMessageDeflate {
    /// The answer to a client's offer.
    static let response = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

    /// Whether the upgrade request offers permessage-deflate.
    static func offered(in headers: HTTPHeaders) -> Bool {
        headers[canonicalForm: "sec-websocket-extensions"].contains { offer in
            offer.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "permessage-deflate"
        }
    }

    /// One compressed message's payload, inflated; throws past `maxSize` bytes or on bad data.
    static func inflate(_ payload: ByteBuffer, maxSize: Int) throws -> ByteBuffer {
        var data = payload
        // The sender removed the empty block's tail that ends every message (RFC 7692 §7.2.2).
        data.writeBytes([0x00, 0x00, 0xFF, 0xFF])
        let decompressor = CompressionAlgorithm.deflate().decompressor
        try decompressor.startStream()
        defer { try? decompressor.finishStream() }
        return try data.decompressStream(with: decompressor, maxSize: maxSize, allocator: ByteBufferAllocator())
    }
}
