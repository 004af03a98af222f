import Hummingbird
import NIOCore
import Shop
import Store
import Synchronization

/// `GET /api/products`' answer written straight into a byte buffer.
///
/// The product list is the API's most read answer. Foundation's `JSONEncoder` took about half
/// of the server's CPU time on it (it builds a tree of dictionaries before writing a byte);
/// writing the fields in order into one buffer, sized for the list up front, does the same work
/// in a fraction of that. The output is the same document `JSONEncoder` gives for
/// ``ListBody``<``ProductView``> (same keys, same order), except that `/` is not escaped.
enum ProductListJSON {
    /// The answer's body.
    static func body(_ page: Page<Stored<Product>>) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(page.items.count * 320 + 32)
        buffer.writeStaticString(#"{"items":["#)
        for (index, record) in page.items.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            Self.write(ProductView(record.value, version: record.version), into: &buffer)
        }
        buffer.writeStaticString(#"],"next":"#)
        if let next = page.next?.token { buffer.writeJSONString(next) } else { buffer.writeStaticString("null") }
        buffer.writeInteger(UInt8(ascii: "}"))
        return buffer
    }

    static func response(_ body: ByteBuffer) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
    }

    /// One product, its keys in ``ProductView``'s declaration order (the order `JSONEncoder` uses).
    static func write(_ p: ProductView, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(#"{"id":"#)
        buffer.writeJSONString(p.id)
        buffer.writeStaticString(#","name":"#)
        buffer.writeJSONString(p.name)
        buffer.writeStaticString(#","emoji":"#)
        buffer.writeJSONString(p.emoji)
        buffer.writeStaticString(#","category":"#)
        buffer.writeJSONString(p.category)
        buffer.writeStaticString(#","description":"#)
        buffer.writeJSONString(p.description)
        buffer.writeStaticString(#","price":"#)
        buffer.writeString(String(p.price))
        buffer.writeStaticString(#","currency":"#)
        buffer.writeJSONString(p.currency)
        buffer.writeStaticString(#","stock":"#)
        buffer.writeString(String(p.stock))
        buffer.writeStaticString(#","lowStockThreshold":"#)
        buffer.writeString(String(p.lowStockThreshold))
        buffer.writeStaticString(#","mediaIds":["#)
        for (index, id) in p.mediaIds.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            buffer.writeJSONString(id)
        }
        buffer.writeStaticString(#"],"active":"#)
        buffer.writeStaticString(p.active ? "true" : "false")
        buffer.writeStaticString(#","updatedAt":"#)
        buffer.writeJSONString(p.updatedAt)
        buffer.writeStaticString(#","version":"#)
        buffer.writeString(String(p.version))
        buffer.writeInteger(UInt8(ascii: "}"))
    }
}

/// Product lists already written, by who asked, what they asked and the store's position.
///
/// The same caller asking the same question of the same committed state gets the same answer,
/// so it is kept and sent again until the next commit moves the feed head (a stock change, a
/// sale, a role change or a block all do). Keyed by user, not role, so the shop's own checks
/// (blocked users, archived products for admins only) ran for that caller when it was made.
final class ProductListCache: Sendable {
    struct Key: Hashable {
        let userId: UInt64
        let query: String
    }

    private struct Entries {
        var head: UInt64 = 0
        var bodies: [Key: ByteBuffer] = [:]
    }

    /// Distinct (caller, query) answers kept for one head; past it the cache starts over.
    static let capacity = 1_024
    private let entries = Mutex(Entries())

    /// The answer kept for `key` at feed position `head`, if any.
    func body(for key: Key, at head: UInt64) -> ByteBuffer? {
        entries.withLock { $0.head == head ? $0.bodies[key] : nil }
    }

    /// Keeps an answer read at `head` (read before the query, so it is never newer than the answer).
    func keep(_ body: ByteBuffer, for key: Key, at head: UInt64) {
        entries.withLock { entries in
            if entries.head != head || entries.bodies.count >= Self.capacity {
                guard head >= entries.head else { return }  // a slow request must not evict newer answers
                entries = Entries(head: head)
            }
            entries.bodies[key] = body
        }
    }
}

extension ByteBuffer {
    /// Appends `text` as a JSON string: quoted, with `"`, `\` and control characters escaped
    /// (RFC 8259 §7); everything else, UTF-8 included, is copied as it is.
    mutating func writeJSONString(_ text: String) {
        writeInteger(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<index]))
                switch byte {
                case UInt8(ascii: "\""): writeStaticString(#"\""#)
                case UInt8(ascii: "\\"): writeStaticString(#"\\"#)
                case 0x0A: writeStaticString(#"\n"#)
                case 0x0D: writeStaticString(#"\r"#)
                case 0x09: writeStaticString(#"\t"#)
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    writeStaticString(#"\u00"#)
                    writeInteger(hex[Int(byte >> 4)])
                    writeInteger(hex[Int(byte & 0x0F)])
                }
                start = index + 1
            }
            writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start...]))
        }
        writeInteger(UInt8(ascii: "\""))
    }
}
