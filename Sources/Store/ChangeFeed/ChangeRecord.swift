import Foundation

/// One put or delete as the change feed keeps it: enough to tell what changed, who did it and when.
public struct ChangeRecord: Sendable, Equatable {
    public enum Operation: UInt8, Sendable {
        case put = 1
        case delete = 2
    }

    /// The record's place in the feed: strictly increasing, never reused, kept across restarts.
    public let sequence: UInt64
    /// The same for every change made by one `write` call: the sequence of its first change.
    public let transactionId: UInt64
    /// The collection's name.
    public let collection: String
    /// The record's key as stored (decode it with the collection's key codec).
    public let key: [UInt8]
    public let operation: Operation
    /// The record's version after a put, or the version it had when deleted.
    public let version: UInt64
    /// The record's new encoded value (puts only).
    public let value: [UInt8]?
    /// The record's encoded value before this change (nil when the put created it).
    public let previous: [UInt8]?
    /// When the change was committed (the group commit's time), UTC.
    public let at: Date
    /// What the caller stamped on the write (for example the actor).
    public let metadata: [String: String]

    public init(
        sequence: UInt64, transactionId: UInt64, collection: String, key: [UInt8], operation: Operation,
        version: UInt64, value: [UInt8]?, previous: [UInt8]?, at: Date, metadata: [String: String]
    ) {
        self.sequence = sequence
        self.transactionId = transactionId
        self.collection = collection
        self.key = key
        self.operation = operation
        self.version = version
        self.value = value
        self.previous = previous
        self.at = at
        self.metadata = metadata
    }

    /// The stored form; the sequence is the key in the feed, so it is not repeated here.
    /// `metadata` is ``metadata`` already encoded (the writer encodes it once per call).
    func encodedBody(metadata encodedMetadata: [UInt8]) -> [UInt8] {
        var w = BinaryWriter(capacity: 32 + key.count + (value?.count ?? 0) + (previous?.count ?? 0) + encodedMetadata.count)
        encodeBody(metadata: encodedMetadata, to: &w)
        return w.bytes
    }

    /// Appends the stored form to `w`: the writer encodes into one buffer per write call.
    func encodeBody(metadata encodedMetadata: [UInt8], to w: inout BinaryWriter) {
        w.writeVarint(transactionId)
        w.writeString(collection)
        w.writeBytes(key)
        w.writeByte(operation.rawValue)
        w.writeVarint(version)
        Self.writeOptionalBytes(value, to: &w)
        Self.writeOptionalBytes(previous, to: &w)
        w.write(at)
        w.bytes.append(contentsOf: encodedMetadata)
    }

    /// The same bytes as `Optional<[UInt8]>.encode`, copied in one go rather than element by element.
    private static func writeOptionalBytes(_ bytes: [UInt8]?, to w: inout BinaryWriter) {
        guard let bytes else { return w.writeByte(0) }
        w.writeByte(1)
        w.writeBytes(bytes)
    }

    init(sequence: UInt64, body: UnsafeRawBufferPointer) throws {
        var r = BinaryReader(body)
        self.sequence = sequence
        transactionId = try r.readVarint()
        collection = try r.readString()
        key = try r.readBytes()
        guard let op = Operation(rawValue: try r.readByte()) else {
            throw StoreError(.decodingFailed, "unknown change operation")
        }
        operation = op
        version = try r.readVarint()
        value = try r.read()
        previous = try r.read()
        at = try r.read()
        metadata = try r.read()
    }
}
