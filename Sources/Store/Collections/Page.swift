import Foundation

/// Where a scan stopped: pass it back as ``ScanOptions/after`` for the next page.
///
/// Its ``token`` is opaque to clients (base64url of the last key seen).
public struct PageCursor: Sendable, Hashable, Codable {
    /// The last key a page held (for layers that page through their own orderings).
    public let key: [UInt8]

    public init(key: [UInt8]) { self.key = key }

    /// The cursor as a string for an API.
    public var token: String {
        Data(key).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The longest token read: a key is at most 511 bytes (LMDB's limit), 684 characters of
    /// base64url, so a longer token was never handed out. APIs document this bound.
    public static let maxTokenLength = 1_024

    /// Reads a cursor from its token; nil when it is not one.
    public init?(token: String) {
        guard !token.isEmpty, token.utf8.count <= Self.maxTokenLength else { return nil }
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { return nil }
        key = Array(data)
    }
}

/// How a scan walks: how many items, which way, and from where.
public struct ScanOptions: Sendable {
    /// At most this many items; nil for all.
    public var limit: Int?
    /// Highest key first.
    public var reverse: Bool
    /// Continue after the item where a previous page stopped.
    public var after: PageCursor?

    public init(limit: Int? = nil, reverse: Bool = false, after: PageCursor? = nil) {
        self.limit = limit
        self.reverse = reverse
        self.after = after
    }
}

/// One page of a scan, and the cursor to the next one (nil at the end).
public struct Page<Item> {
    public var items: [Item]
    public var next: PageCursor?

    public init(items: [Item], next: PageCursor?) {
        self.items = items
        self.next = next
    }
}

extension Page: Sendable where Item: Sendable {}

/// A record as stored: its key, value and version.
public struct StoredRecord<Key, Value> {
    public let key: Key
    public let value: Value
    /// Starts at 1 when the record is created and goes up by one on every put.
    public let version: UInt64
}

extension StoredRecord: Sendable where Key: Sendable, Value: Sendable {}
extension StoredRecord: Equatable where Key: Equatable, Value: Equatable {}

/// What a put expects of the record it replaces.
public enum Expectation: Sendable, Equatable {
    /// Write whatever is there.
    case any
    /// The record must not exist (``StoreError/Code/alreadyExists`` otherwise).
    case absent
    /// The record must be at this version (``StoreError/Code/versionConflict`` otherwise).
    case version(UInt64)
}
