import Foundation
import Store

/// An uploaded image (a product photo, a payment receipt), kept in the store with its bytes.
public struct MediaFile: Sendable, Equatable, BinaryCodable {
    /// Random and unguessable ("m" and 32 hex digits): receipts are private to who has the link.
    public var id: String
    public var contentType: String
    public var bytes: [UInt8]
    public var uploadedBy: UInt64?
    public var at: Date

    public init(id: String, contentType: String, bytes: [UInt8], uploadedBy: UInt64?, at: Date) {
        self.id = id; self.contentType = contentType; self.bytes = bytes; self.uploadedBy = uploadedBy; self.at = at
    }

    public func encode(to w: inout BinaryWriter) {
        w.write(id); w.write(contentType); w.writeBytes(bytes); w.write(uploadedBy); w.write(at)
    }

    public init(from r: inout BinaryReader) throws {
        id = try r.read(); contentType = try r.read(); bytes = try r.readBytes(); uploadedBy = try r.read(); at = try r.read()
    }

    /// The image type the bytes really are (by their magic numbers), or nil.
    public static func sniff(_ bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if bytes.starts(with: Array("GIF87a".utf8)) || bytes.starts(with: Array("GIF89a".utf8)) { return "image/gif" }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) { return "image/webp" }
        return nil
    }
}

/// What an upload answers: the id to put in `mediaIds` or a receipt, and what was stored.
public struct MediaInfo: Sendable, Equatable, BinaryCodable {
    public var id: String
    public var contentType: String
    public var size: Int

    public init(id: String, contentType: String, size: Int) { self.id = id; self.contentType = contentType; self.size = size }
    public func encode(to w: inout BinaryWriter) { w.write(id); w.write(contentType); w.write(size) }
    public init(from r: inout BinaryReader) throws { id = try r.read(); contentType = try r.read(); size = try r.read() }
}
