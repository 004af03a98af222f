/// Turns a typed key into the bytes LMDB orders, and back.
///
/// The byte order of encoded keys is the order of iteration and range scans, so codecs
/// for numbers encode big-endian. It is a programmer error for `encode` to give two
/// different keys the same bytes.
public protocol KeyCodec: SendableMetatype {
    associatedtype Value
    static func encode(_ value: Value) -> [UInt8]
    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Value
    /// Calls `body` with the encoded key, without allocating where the codec can avoid it.
    static func withEncoded<R>(_ value: Value, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension KeyCodec {
    @inlinable
    public static func withEncoded<R>(_ value: Value, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try encode(value).withUnsafeBytes(body)
    }
}

/// Turns a typed record into stored bytes, and back.
///
/// Encoding and decoding errors are separate: encoding cannot fail for the store's codecs,
/// decoding throws ``StoreError/Code/decodingFailed`` for bytes it does not recognise.
public protocol ValueCodec: SendableMetatype {
    associatedtype Value
    static func encode(_ value: Value, to writer: inout BinaryWriter)
    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Value
}

/// Unsigned 64-bit keys, big-endian: the natural primary key for ids from a counter.
public enum UInt64Key: KeyCodec {
    @inlinable public static func encode(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
    @inlinable public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> UInt64 {
        guard bytes.count == 8 else { throw StoreError(.decodingFailed, "UInt64 key of \(bytes.count) bytes") }
        return UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
    }
    @inlinable public static func withEncoded<R>(_ value: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: value.bigEndian, body)
    }
}

/// Signed 64-bit keys that sort negative before positive.
public enum Int64Key: KeyCodec {
    @inlinable public static func encode(_ value: Int64) -> [UInt8] {
        UInt64Key.encode(UInt64(bitPattern: value) ^ (1 << 63))
    }
    @inlinable public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Int64 {
        Int64(bitPattern: try UInt64Key.decode(bytes) ^ (1 << 63))
    }
    @inlinable public static func withEncoded<R>(_ value: Int64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try UInt64Key.withEncoded(UInt64(bitPattern: value) ^ (1 << 63), body)
    }
}

/// UTF-8 string keys, sorted bytewise (a plain key: not for composites, see ``OrderedKey``).
public enum StringKey: KeyCodec {
    public static func encode(_ value: String) -> [UInt8] { Array(value.utf8) }
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> String {
        guard let s = String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw StoreError(.decodingFailed, "string key is not valid UTF-8")
        }
        return s
    }
}

/// Composite keys built with ``OrderedKey``.
public enum OrderedKeyCodec: KeyCodec {
    public static func encode(_ value: OrderedKey) -> [UInt8] { value.bytes }
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> OrderedKey { OrderedKey(bytes: Array(bytes)) }
}

/// Raw bytes, as keys or values: the bytes API.
public enum BytesCodec: KeyCodec, ValueCodec {
    @inlinable public static func encode(_ value: [UInt8]) -> [UInt8] { value }
    @inlinable public static func encode(_ value: [UInt8], to writer: inout BinaryWriter) {
        writer.bytes.append(contentsOf: value)
    }
    @inlinable public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> [UInt8] { Array(bytes) }
}

/// Records of a ``BinaryCodable`` type in the compact binary format.
public enum BinaryCodec<T: BinaryCodable>: ValueCodec {
    @inlinable public static func encode(_ value: T, to writer: inout BinaryWriter) {
        value.encode(to: &writer)
    }
    @inlinable public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> T {
        var r = BinaryReader(bytes)
        return try T(from: &r)
    }
}
