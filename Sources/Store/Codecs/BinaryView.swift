import Foundation

/// A stored record read where it lies: the encoded bytes of a `Record`, borrowed from the
/// map, with accessors for the fields a caller needs instead of a decoded value.
///
/// The binary format is positional (see ``BinaryWriter``): a field has no fixed offset, it
/// starts where the one before it ends. A field accessor therefore walks from the first byte,
/// skipping the fields before its own by their lengths (a varint's bytes, a string's length
/// prefix) without decoding them, and decodes only its own field. Numbers are read in
/// place, strings are lent as ``BinaryStringView`` and copied only when asked for, arrays are
/// lent as ``BinaryArrayView`` and walked element by element.
///
/// Accessors are written once per record type, in an extension constrained to it, in the
/// order of the type's `encode(to:)`:
///
/// ```swift
/// extension BinaryView where Record == Item {   // Item writes name, then price
///     var price: Int64 { get throws { var r = reader; try r.skip(String.self); return try r.read() } }
/// }
/// ```
///
/// A view is only valid while its bytes are: the collection hands it to a closure inside
/// the read transaction (``TypedCollection/withView(_:_:_:)``, ``TypedCollection/forEachView(_:from:to:reverse:_:)``)
/// and it must not be kept past that closure. Every read is bounds-checked: bytes that end
/// early or hold a malformed field throw ``StoreError/Code/decodingFailed``, never trap.
/// A skipped field is checked for its length only, so a view may read a field of a record
/// whose other fields a full decode would refuse (a skipped string that is not UTF-8, say).
public struct BinaryView<Record> {
    /// The record's encoded bytes (without the store's version prefix).
    public let bytes: UnsafeRawBufferPointer

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// A reader at the record's first field, for an accessor to walk from.
    @inlinable
    public var reader: BinaryReader { BinaryReader(bytes) }
}

extension BinaryView where Record: BinaryCodable {
    /// The whole record, decoded: for when a caller needs more than a few fields after all.
    @inlinable
    public func decode() throws -> Record {
        var r = reader
        return try Record(from: &r)
    }
}

/// A string field lent from the stored bytes: compared in place, copied into a `String`
/// only by ``string()``.
public struct BinaryStringView {
    /// The string's UTF-8 bytes as stored (not yet checked to be valid UTF-8).
    public let utf8: UnsafeRawBufferPointer

    @inlinable
    public init(utf8: UnsafeRawBufferPointer) {
        self.utf8 = utf8
    }

    /// The string, copied out of the store; throws when the bytes are not valid UTF-8.
    @inlinable
    public func string() throws(StoreError) -> String {
        guard let s = String(validating: utf8.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw StoreError(.decodingFailed, "string is not valid UTF-8")
        }
        return s
    }

    /// Whether the stored bytes are exactly `other`'s UTF-8, without copying either.
    @inlinable
    public func equals(_ other: String) -> Bool {
        var other = other
        return other.withUTF8 { o in
            guard o.count == utf8.count else { return false }
            guard o.count > 0, let a = o.baseAddress, let b = utf8.baseAddress else { return true }
            return memcmp(a, b, o.count) == 0
        }
    }

    /// Compares the stored bytes with `other`'s UTF-8 bytewise (which for valid UTF-8 is the
    /// order of `String`'s `<`, by Unicode scalar): negative, zero or positive.
    @inlinable
    public func compare(_ other: String) -> Int {
        var other = other
        return other.withUTF8 { o in
            let n = min(o.count, utf8.count)
            if n > 0, let a = utf8.baseAddress, let b = o.baseAddress {
                let c = memcmp(a, b, n)
                if c != 0 { return Int(c) }
            }
            return utf8.count - o.count
        }
    }
}

/// An array field lent from the stored bytes: its count, and its elements as views one at a
/// time (``next()``), without building the array.
public struct BinaryArrayView<Element: BinarySkippable> {
    /// How many elements the array holds.
    public let count: Int
    @usableFromInline var reader: BinaryReader
    @usableFromInline var remaining: Int

    @inlinable
    init(count: Int, reader: BinaryReader) {
        self.count = count
        self.reader = reader
        remaining = count
    }

    /// The next element's view, nil after the last.
    @inlinable
    public mutating func next() throws(StoreError) -> BinaryView<Element>? {
        guard remaining > 0 else { return nil }
        let start = reader.offset
        try Element.skip(&reader)
        remaining -= 1
        return BinaryView(UnsafeRawBufferPointer(rebasing: reader.base[start..<reader.offset]))
    }
}

// MARK: Skipping fields

/// A field type a ``BinaryView`` accessor can step over without decoding it.
///
/// `skip` moves past exactly the bytes `init(from:)` reads, checking only that they are
/// there. A record type whose fields are all skippable can be skipped too, which lets a view
/// walk past arrays of it.
public protocol BinarySkippable {
    static func skip(_ reader: inout BinaryReader) throws(StoreError)
}

extension BinaryReader {
    /// Moves past one field of type `T` without decoding it.
    @inlinable
    public mutating func skip<T: BinarySkippable>(_: T.Type) throws(StoreError) {
        try T.skip(&self)
    }

    /// Moves past one varint (signed or unsigned) without assembling its value.
    @inlinable
    public mutating func skipVarint() throws(StoreError) {
        var length = 0
        while true {
            guard offset < base.count else { throw Self.truncated }
            let b = base[offset]
            offset += 1
            length += 1
            if b < 0x80 { return }
            if length == 10 { throw StoreError(.decodingFailed, "varint longer than 64 bits") }
        }
    }

    /// Moves past `count` bytes.
    @inlinable
    public mutating func skipBytes(_ count: Int) throws(StoreError) {
        guard count <= base.count - offset else { throw Self.truncated }
        offset += count
    }

    /// Reads an array without building it: the returned view walks its elements, and this
    /// reader moves past them (checking they are all there).
    @inlinable
    public mutating func readArrayView<Element: BinarySkippable>(of _: Element.Type = Element.self) throws(StoreError) -> BinaryArrayView<Element> {
        let count = try readCount()
        let view = BinaryArrayView<Element>(count: count, reader: self)
        for _ in 0..<count { try Element.skip(&self) }
        return view
    }

    /// Reads a length-prefixed string without copying it: valid as long as the reader's buffer.
    @inlinable
    public mutating func readStringView() throws(StoreError) -> BinaryStringView {
        BinaryStringView(utf8: try readByteSlice())
    }
}

extension Bool: BinarySkippable {
    @inlinable public static func skip(_ r: inout BinaryReader) throws(StoreError) { try r.skipBytes(1) }
}

extension UInt8: BinarySkippable {
    @inlinable public static func skip(_ r: inout BinaryReader) throws(StoreError) { try r.skipBytes(1) }
}

extension Int: BinarySkippable {
    @inlinable public static func skip(_ r: inout BinaryReader) throws(StoreError) { try r.skipVarint() }
}

extension Int64: BinarySkippable {
    @inlinable public static func skip(_ r: inout BinaryReader) throws(StoreError) { try r.skipVarint() }
}

extension Int32: BinarySkippable {
    @inlinable public static func skip(_ r: inout BinaryReader) throws(StoreError) { try r.skipVarint() }
}

extension UInt64: BinarySkippable {
    @inlinable public static func skip(_ r: inout BinaryReader) throws(StoreError) { try r.skipVarint() }
}

extension UInt32: BinarySkippable {
    @inlinable public static func skip(_ r: inout BinaryReader) throws(StoreError) { try r.skipVarint() }
}

extension Double: BinarySkippable {
    @inlinable public static func skip(_ r: inout BinaryReader) throws(StoreError) { try r.skipBytes(8) }
}

extension Date: BinarySkippable {
    @inlinable public static func skip(_ r: inout BinaryReader) throws(StoreError) { try r.skipVarint() }
}

extension String: BinarySkippable {
    @inlinable public static func skip(_ r: inout BinaryReader) throws(StoreError) { _ = try r.readByteSlice() }
}

extension Optional: BinarySkippable where Wrapped: BinarySkippable {
    @inlinable public static func skip(_ r: inout BinaryReader) throws(StoreError) {
        switch try r.readByte() {
        case 0: return
        case 1: try Wrapped.skip(&r)
        case let b: throw StoreError(.decodingFailed, "invalid Optional tag \(b)")
        }
    }
}

extension Array: BinarySkippable where Element: BinarySkippable {
    @inlinable public static func skip(_ r: inout BinaryReader) throws(StoreError) {
        let n = try r.readCount()
        for _ in 0..<n { try Element.skip(&r) }
    }
}

/// Enums with raw values are skipped as their raw value (without checking it names a case).
extension BinarySkippable where Self: RawRepresentable, RawValue: BinarySkippable {
    @inlinable public static func skip(_ r: inout BinaryReader) throws(StoreError) { try RawValue.skip(&r) }
}
