import Foundation

/// Appends values in the store's compact binary record format.
///
/// The format is positional, not self-describing: a type writes its fields in one order
/// and reads them back in the same order. Integers are LEB128 varints (signed ones
/// zig-zag first), strings and byte arrays are length-prefixed, doubles are 8 bytes.
/// A type that adds a field appends it at the end and reads it only when
/// ``BinaryReader/isAtEnd`` is false, so old records stay readable.
public struct BinaryWriter: Sendable {
    public var bytes: [UInt8]

    @inlinable
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inlinable
    public mutating func writeByte(_ value: UInt8) {
        bytes.append(value)
    }

    @inlinable
    public mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inlinable
    public mutating func writeSigned(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    @inlinable
    public mutating func writeFixed64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inlinable
    public mutating func writeBytes<C: Collection>(_ value: C) where C.Element == UInt8 {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    @inlinable
    public mutating func writeString(_ value: String) {
        var s = value
        s.withUTF8 { writeBytes($0) }
    }

    /// Writes any ``BinaryCodable`` value.
    @inlinable
    public mutating func write<T: BinaryCodable>(_ value: T) {
        value.encode(to: &self)
    }
}

/// Reads values written by ``BinaryWriter`` from borrowed bytes.
///
/// The reader does not own its bytes: it is valid only as long as the buffer it was
/// made from (for a stored record, the read transaction).
public struct BinaryReader {
    @usableFromInline let base: UnsafeRawBufferPointer
    @usableFromInline var offset: Int

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) {
        base = bytes
        offset = 0
    }

    /// True when every byte has been read.
    @inlinable
    public var isAtEnd: Bool { offset >= base.count }

    @inlinable
    public mutating func readByte() throws(StoreError) -> UInt8 {
        guard offset < base.count else { throw Self.truncated }
        let b = base[offset]
        offset += 1
        return b
    }

    @inlinable
    public mutating func readVarint() throws(StoreError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < base.count else { throw Self.truncated }
            let b = base[offset]
            offset += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw StoreError(.decodingFailed, "varint longer than 64 bits") }
        }
    }

    @inlinable
    public mutating func readSigned() throws(StoreError) -> Int64 {
        let raw = try readVarint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    @inlinable
    public mutating func readFixed64() throws(StoreError) -> UInt64 {
        guard offset + 8 <= base.count else { throw Self.truncated }
        let v = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        offset += 8
        return UInt64(littleEndian: v)
    }

    /// Reads a length or an element count: at most the bytes left, since every byte or element
    /// counted takes at least one byte. A larger one (up to 2⁶⁴ − 1 in a corrupt record, more
    /// than an `Int` holds) is refused before it is used.
    @inlinable
    public mutating func readCount() throws(StoreError) -> Int {
        let count = try readVarint()
        guard count <= UInt64(base.count - offset) else { throw Self.truncated }
        return Int(count)
    }

    /// Reads a length-prefixed run of bytes without copying; valid as long as the reader's buffer.
    @inlinable
    public mutating func readByteSlice() throws(StoreError) -> UnsafeRawBufferPointer {
        let count = try readCount()
        let slice = UnsafeRawBufferPointer(rebasing: base[offset..<(offset + count)])
        offset += count
        return slice
    }

    @inlinable
    public mutating func readBytes() throws(StoreError) -> [UInt8] {
        Array(try readByteSlice())
    }

    @inlinable
    public mutating func readString() throws(StoreError) -> String {
        let slice = try readByteSlice()
        // `String(decoding:)` is the fast path; it replaces invalid UTF-8 with U+FFFD, so
        // the result equals the input byte for byte exactly when the input was valid.
        var s = String(decoding: slice, as: UTF8.self)
        let same = s.withUTF8 { utf8 in
            guard utf8.count == slice.count, let a = utf8.baseAddress, let b = slice.baseAddress else {
                return utf8.count == slice.count
            }
            return memcmp(a, b, slice.count) == 0
        }
        guard same else { throw StoreError(.decodingFailed, "string is not valid UTF-8") }
        return s
    }

    /// Reads any ``BinaryCodable`` value.
    @inlinable
    public mutating func read<T: BinaryCodable>(_: T.Type = T.self) throws -> T {
        try T(from: &self)
    }

    @usableFromInline
    static var truncated: StoreError { StoreError(.decodingFailed, "record ends too early") }
}

/// A type stored in the compact binary format: it writes its fields in a fixed order and reads them back in that order.
///
/// ```swift
/// struct Item: BinaryCodable {
///     var name: String; var price: Int64
///     func encode(to w: inout BinaryWriter) { w.write(name); w.write(price) }
///     init(from r: inout BinaryReader) throws { name = try r.read(); price = try r.read() }
/// }
/// ```
public protocol BinaryCodable {
    func encode(to writer: inout BinaryWriter)
    init(from reader: inout BinaryReader) throws
}

extension BinaryCodable {
    /// The value's bytes in the binary format.
    @inlinable
    public func binaryEncoded() -> [UInt8] {
        var w = BinaryWriter()
        encode(to: &w)
        return w.bytes
    }

    /// Decodes a value from bytes in the binary format.
    @inlinable
    public init(binary bytes: UnsafeRawBufferPointer) throws {
        var r = BinaryReader(bytes)
        self = try Self(from: &r)
    }

    @inlinable
    public init(binary bytes: [UInt8]) throws {
        self = try bytes.withUnsafeBytes { try Self(binary: $0) }
    }
}

extension Bool: BinaryCodable {
    @inlinable public func encode(to w: inout BinaryWriter) { w.writeByte(self ? 1 : 0) }
    @inlinable public init(from r: inout BinaryReader) throws {
        switch try r.readByte() {
        case 0: self = false
        case 1: self = true
        case let b: throw StoreError(.decodingFailed, "invalid Bool byte \(b)")
        }
    }
}

extension Int: BinaryCodable {
    @inlinable public func encode(to w: inout BinaryWriter) { w.writeSigned(Int64(self)) }
    @inlinable public init(from r: inout BinaryReader) throws { self = Int(try r.readSigned()) }
}

extension Int64: BinaryCodable {
    @inlinable public func encode(to w: inout BinaryWriter) { w.writeSigned(self) }
    @inlinable public init(from r: inout BinaryReader) throws { self = try r.readSigned() }
}

extension Int32: BinaryCodable {
    @inlinable public func encode(to w: inout BinaryWriter) { w.writeSigned(Int64(self)) }
    @inlinable public init(from r: inout BinaryReader) throws {
        guard let v = Int32(exactly: try r.readSigned()) else { throw StoreError(.decodingFailed, "Int32 out of range") }
        self = v
    }
}

extension UInt64: BinaryCodable {
    @inlinable public func encode(to w: inout BinaryWriter) { w.writeVarint(self) }
    @inlinable public init(from r: inout BinaryReader) throws { self = try r.readVarint() }
}

extension UInt32: BinaryCodable {
    @inlinable public func encode(to w: inout BinaryWriter) { w.writeVarint(UInt64(self)) }
    @inlinable public init(from r: inout BinaryReader) throws {
        guard let v = UInt32(exactly: try r.readVarint()) else { throw StoreError(.decodingFailed, "UInt32 out of range") }
        self = v
    }
}

extension UInt8: BinaryCodable {
    @inlinable public func encode(to w: inout BinaryWriter) { w.writeByte(self) }
    @inlinable public init(from r: inout BinaryReader) throws { self = try r.readByte() }
}

extension Double: BinaryCodable {
    @inlinable public func encode(to w: inout BinaryWriter) { w.writeFixed64(bitPattern) }
    @inlinable public init(from r: inout BinaryReader) throws { self = Double(bitPattern: try r.readFixed64()) }
}

extension String: BinaryCodable {
    @inlinable public func encode(to w: inout BinaryWriter) { w.writeString(self) }
    @inlinable public init(from r: inout BinaryReader) throws { self = try r.readString() }
}

/// Dates are stored as whole microseconds since 1970 UTC (a signed varint).
extension Date: BinaryCodable {
    @inlinable public func encode(to w: inout BinaryWriter) { w.writeSigned(microsecondsSince1970) }
    @inlinable public init(from r: inout BinaryReader) throws {
        self = Date(microsecondsSince1970: try r.readSigned())
    }
}

extension Date {
    /// Whole microseconds since 1970-01-01T00:00:00Z, the store's unit of time.
    ///
    /// A date past what 64-bit microseconds hold (±292,000 years; only damaged bytes or a hostile
    /// input carry one, and `Int64.max` microseconds read back rounds up past it) is kept at the
    /// nearest end, and NaN is 0: the conversion never stops the process (found by libFuzzer).
    @inlinable public var microsecondsSince1970: Int64 {
        let micros = (timeIntervalSince1970 * 1_000_000).rounded(.down)
        if micros.isNaN { return 0 }
        if micros >= 9_223_372_036_854_775_808.0 { return .max }
        if micros < -9_223_372_036_854_775_808.0 { return .min }
        return Int64(micros)
    }

    @inlinable public init(microsecondsSince1970 micros: Int64) {
        self.init(timeIntervalSince1970: Double(micros) / 1_000_000)
    }
}

extension Optional: BinaryCodable where Wrapped: BinaryCodable {
    @inlinable public func encode(to w: inout BinaryWriter) {
        switch self {
        case .none: w.writeByte(0)
        case .some(let v): w.writeByte(1); v.encode(to: &w)
        }
    }
    @inlinable public init(from r: inout BinaryReader) throws {
        switch try r.readByte() {
        case 0: self = .none
        case 1: self = .some(try Wrapped(from: &r))
        case let b: throw StoreError(.decodingFailed, "invalid Optional tag \(b)")
        }
    }
}

extension Array: BinaryCodable where Element: BinaryCodable {
    @inlinable public func encode(to w: inout BinaryWriter) {
        w.writeVarint(UInt64(count))
        for e in self { e.encode(to: &w) }
    }
    @inlinable public init(from r: inout BinaryReader) throws {
        // Each element takes at least one byte, so a count beyond what is left is corrupt.
        let n = try r.readCount()
        var a: [Element] = []
        a.reserveCapacity(n)
        for _ in 0..<n { a.append(try Element(from: &r)) }
        self = a
    }
}

/// Dictionaries are written in key order so the same value always gives the same bytes.
extension Dictionary: BinaryCodable where Key: BinaryCodable & Comparable, Value: BinaryCodable {
    public func encode(to w: inout BinaryWriter) {
        w.writeVarint(UInt64(count))
        for (k, v) in sorted(by: { $0.key < $1.key }) {
            k.encode(to: &w)
            v.encode(to: &w)
        }
    }
    public init(from r: inout BinaryReader) throws {
        let n = try r.readCount()
        var d: [Key: Value] = [:]
        d.reserveCapacity(n)
        for _ in 0..<n {
            let k = try Key(from: &r)
            d[k] = try Value(from: &r)
        }
        self = d
    }
}

/// Enums with raw values are stored as their raw value.
extension BinaryCodable where Self: RawRepresentable, RawValue: BinaryCodable {
    @inlinable public func encode(to w: inout BinaryWriter) { rawValue.encode(to: &w) }
    @inlinable public init(from r: inout BinaryReader) throws {
        let raw = try RawValue(from: &r)
        guard let value = Self(rawValue: raw) else {
            throw StoreError(.decodingFailed, "unknown \(Self.self) value \(raw)")
        }
        self = value
    }
}
