import Foundation

/// A key whose bytes sort the way its components do, for primary keys, composite keys and index keys.
///
/// Components are self-delimiting, so a key made of the first components of another
/// is a prefix of it, and a prefix scan matches whole components only:
/// - unsigned integers: 8 bytes big-endian;
/// - signed integers and dates: 8 bytes big-endian with the sign bit flipped
///   (dates as microseconds since 1970 UTC);
/// - strings: UTF-8 with `00` escaped as `00 FF`, ended by `00 01`, so "a" < "a\0" < "ab";
/// - booleans: one byte.
///
/// ```swift
/// let key = OrderedKey(buyerId, sale.at)   // sales of one buyer, by time
/// ```
public struct OrderedKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var bytes: [UInt8]

    @inlinable
    public init() { bytes = [] }

    @inlinable
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// A key of one component. (The fixed-arity initialisers are generic, so building index
    /// keys on every write costs no existential boxing; the variadic one takes any number.)
    @inlinable
    public init<A: OrderedKeyComponent>(_ a: A) {
        bytes = []
        a.append(to: &self)
    }

    @inlinable
    public init<A: OrderedKeyComponent, B: OrderedKeyComponent>(_ a: A, _ b: B) {
        bytes = []
        bytes.reserveCapacity(24)
        a.append(to: &self)
        b.append(to: &self)
    }

    @inlinable
    public init<A: OrderedKeyComponent, B: OrderedKeyComponent, C: OrderedKeyComponent>(_ a: A, _ b: B, _ c: C) {
        bytes = []
        bytes.reserveCapacity(32)
        a.append(to: &self)
        b.append(to: &self)
        c.append(to: &self)
    }

    /// A key of the given components, in order.
    public init(_ components: any OrderedKeyComponent...) {
        bytes = []
        for c in components { c.append(to: &self) }
    }

    @inlinable
    public mutating func append(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    @inlinable
    public mutating func append(_ value: Int64) {
        append(UInt64(bitPattern: value) ^ (1 << 63))
    }

    public mutating func append(_ value: String) {
        for b in value.utf8 {
            bytes.append(b)
            if b == 0 { bytes.append(0xFF) }
        }
        bytes.append(0)
        bytes.append(1)
    }

    /// Appends a string without its terminator: a key to scan for strings starting with `value`.
    public mutating func appendPrefix(_ value: String) {
        for b in value.utf8 {
            bytes.append(b)
            if b == 0 { bytes.append(0xFF) }
        }
    }

    public mutating func append(_ value: Date) {
        append(value.microsecondsSince1970)
    }

    public mutating func append(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    /// Appends a component of any supported type.
    public mutating func append(_ component: any OrderedKeyComponent) {
        component.append(to: &self)
    }

    /// The smallest key greater than every key that starts with this one, or nil when none is
    /// (all bytes `FF`). Used as the exclusive upper bound of a prefix scan.
    public var prefixEnd: OrderedKey? {
        var b = bytes
        while let last = b.last {
            if last < 0xFF {
                b[b.count - 1] = last + 1
                return OrderedKey(bytes: b)
            }
            b.removeLast()
        }
        return nil
    }

    /// Hashes the bytes in one go (an array of bytes would be hashed byte by byte): counters
    /// are summed per group commit in dictionaries keyed by these.
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public static func == (lhs: OrderedKey, rhs: OrderedKey) -> Bool { lhs.bytes == rhs.bytes }

    /// Bytewise, shorter first on a tie: LMDB's order, compared with memcmp.
    public static func < (lhs: OrderedKey, rhs: OrderedKey) -> Bool {
        lhs.bytes.withUnsafeBytes { compareBytes($0, rhs.bytes) } < 0
    }

    public var description: String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

/// A value that can be one component of an ``OrderedKey``.
public protocol OrderedKeyComponent: Sendable {
    func append(to key: inout OrderedKey)
}

extension UInt64: OrderedKeyComponent { public func append(to key: inout OrderedKey) { key.append(self) } }
extension UInt32: OrderedKeyComponent { public func append(to key: inout OrderedKey) { key.append(UInt64(self)) } }
extension Int64: OrderedKeyComponent { public func append(to key: inout OrderedKey) { key.append(self) } }
extension Int: OrderedKeyComponent { public func append(to key: inout OrderedKey) { key.append(Int64(self)) } }
extension String: OrderedKeyComponent { public func append(to key: inout OrderedKey) { key.append(self) } }
extension Date: OrderedKeyComponent { public func append(to key: inout OrderedKey) { key.append(self) } }
extension Bool: OrderedKeyComponent { public func append(to key: inout OrderedKey) { key.append(self) } }
extension OrderedKey: OrderedKeyComponent { public func append(to key: inout OrderedKey) { key.bytes += bytes } }

/// Reads the components of an ``OrderedKey`` back, in the order they were appended.
public struct OrderedKeyReader {
    public let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ key: OrderedKey) { bytes = key.bytes }
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var isAtEnd: Bool { offset >= bytes.count }

    public mutating func readUInt64() throws(StoreError) -> UInt64 {
        guard offset + 8 <= bytes.count else { throw StoreError(.decodingFailed, "key ends inside an integer") }
        var v: UInt64 = 0
        for i in offset..<(offset + 8) { v = (v << 8) | UInt64(bytes[i]) }
        offset += 8
        return v
    }

    public mutating func readInt64() throws(StoreError) -> Int64 {
        Int64(bitPattern: try readUInt64() ^ (1 << 63))
    }

    public mutating func readDate() throws(StoreError) -> Date {
        Date(microsecondsSince1970: try readInt64())
    }

    public mutating func readBool() throws(StoreError) -> Bool {
        guard offset < bytes.count else { throw StoreError(.decodingFailed, "key ends before a boolean") }
        defer { offset += 1 }
        return bytes[offset] != 0
    }

    public mutating func readString() throws(StoreError) -> String {
        var out: [UInt8] = []
        while offset + 1 < bytes.count {
            let b = bytes[offset]
            let next = bytes[offset + 1]
            if b == 0 && next == 1 {
                offset += 2
                return String(decoding: out, as: UTF8.self)
            }
            if b == 0 && next == 0xFF {
                out.append(0)
                offset += 2
            } else {
                out.append(b)
                offset += 1
            }
        }
        throw StoreError(.decodingFailed, "key ends inside a string")
    }
}
