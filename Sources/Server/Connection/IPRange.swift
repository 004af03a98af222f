import Foundation

/// An IPv4 or IPv6 address as its raw bytes (4 or 16, network order), parsed from text.
///
/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, how a dual-stack socket reports an IPv4
/// peer) are kept as the IPv4 address they carry, so one range matches both spellings.
struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    let bytes: [UInt8]

    /// Parses dotted IPv4 or any IPv6 text form `inet_pton` takes; nil for anything else
    /// (host names, zone ids like `fe80::1%eth0`, ports, empty text).
    init?(_ text: some StringProtocol) {
        let text = String(text)
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let raw = withUnsafeBytes(of: &v6) { Array($0) }
        bytes = Self.isIPv4Mapped(raw) ? Array(raw.suffix(4)) : raw
    }

    private static func isIPv4Mapped(_ raw: [UInt8]) -> Bool {
        raw.count == 16 && raw.prefix(10).allSatisfy { $0 == 0 } && raw[10] == 0xFF && raw[11] == 0xFF
    }

    /// The canonical text: dotted IPv4, or IPv6 as `inet_ntop` writes it (lower case, `::`).
    var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let written = bytes.withUnsafeBytes { source in
            buffer.withUnsafeMutableBufferPointer { inet_ntop(family, source.baseAddress, $0.baseAddress, socklen_t($0.count)) }
        }
        guard written != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A CIDR range, such as `10.0.0.0/8` or `::1/128`; a bare address is its own range (`/32`, `/128`).
///
/// Bits past the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`), as most tools do. An
/// IPv4-mapped IPv6 range of `/96` or more (`::ffff:10.0.0.0/104`) is kept as the IPv4 range it
/// names, matching how ``IPAddress`` keeps such addresses.
struct IPRange: Hashable, Sendable, CustomStringConvertible {
    let network: IPAddress
    /// Leading bits that must match: 0…32 for IPv4, 0…128 for IPv6.
    let prefixLength: Int

    /// Why a range was refused: the text, and a sentence saying what is wrong with it.
    struct ParseError: Error, Equatable, CustomStringConvertible {
        let text: String
        let reason: String
        var description: String { "\"\(text)\" is not an address range (like 10.0.0.0/8 or ::1/128): \(reason)" }
    }

    init(parsing text: some StringProtocol) throws(ParseError) {
        let text = String(text)
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else {
            throw ParseError(text: text, reason: "\"\(parts[0])\" is not an IPv4 or IPv6 address")
        }
        // Parsed from the text itself, so the mapped-IPv4 case can be told from plain IPv4.
        let writtenAsIPv6 = parts[0].contains(":")
        let maximum = writtenAsIPv6 ? 128 : 32
        var length = maximum
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.utf8.count <= 3, digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                  let parsed = Int(digits), parsed <= maximum else {
                throw ParseError(text: text, reason: "the prefix length of an \(writtenAsIPv6 ? "IPv6" : "IPv4") range is 0 to \(maximum)")
            }
            length = parsed
        }
        if writtenAsIPv6 && address.bytes.count == 4 {
            // ::ffff:a.b.c.d/n: the first 96 bits are the mapping prefix itself.
            guard length >= 96 else {
                throw ParseError(text: text, reason: "an IPv4-mapped range needs a prefix length of 96 to 128")
            }
            length -= 96
        }
        network = address
        prefixLength = length
    }

    /// Whether `address` lies in the range; an IPv4 address is never in an IPv6 range, nor the reverse.
    func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == network.bytes.count else { return false }
        let wholeBytes = prefixLength / 8
        let remainingBits = prefixLength % 8
        guard address.bytes.prefix(wholeBytes) == network.bytes.prefix(wholeBytes) else { return false }
        guard remainingBits > 0, wholeBytes < address.bytes.count else { return true }
        let mask = UInt8(0xFF) << (8 - remainingBits)
        return address.bytes[wholeBytes] & mask == network.bytes[wholeBytes] & mask
    }

    var description: String { "\(network)/\(prefixLength)" }
}
