import Foundation
import Store

/// Stores an uploaded image (any signed-in user: customers send receipts, admins photos).
///
/// The type is read from the bytes, whatever the client said: JPEG, PNG, GIF or WebP only.
public struct UploadMedia: ShopCommand {
    public static let name = "uploadMedia"
    public static let access = Access.role(.user)
    /// Images above this are refused.
    public static let maxSize = 5 << 20

    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public func validate() throws(ShopError) {
        if bytes.isEmpty { throw ShopError.invalid("file", "the image is empty") }
        if bytes.count > Self.maxSize { throw ShopError.invalid("file", "the image is larger than \(Self.maxSize >> 20) MiB") }
        if MediaFile.sniff(bytes) == nil { throw ShopError.invalid("file", "not an image: send JPEG, PNG, GIF or WebP") }
    }

    public var summary: String { "\(bytes.count) bytes" }

    public func execute(_ context: CommandContext) throws -> MediaInfo {
        guard let type = MediaFile.sniff(bytes) else { throw ShopError.invalid("file", "not an image") }
        let file = MediaFile(id: "m" + Secrets.hex(Secrets.randomBytes(16)), contentType: type, bytes: bytes,
                             uploadedBy: context.actorId, at: context.now)
        try context.shop.media.put(context.txn, file.id, file, expecting: .absent)
        return MediaInfo(id: file.id, contentType: type, size: bytes.count)
    }
}

extension Shop {
    /// An uploaded image, for any signed-in user who has its id.
    public func media(_ id: String, as principal: Principal) throws -> MediaFile {
        try query(as: principal) { q in
            try q.require(.user)
            guard let file = try q.shop.media.get(q.txn, id) else { throw ShopError.notFound("image") }
            return file
        }
    }
}
