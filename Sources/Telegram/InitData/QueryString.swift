/// The `application/x-www-form-urlencoded` text that carries `initData`.
///
/// Decoding is strict on purpose: this text is authentication input, so anything a
/// lenient parser would guess at (a stray `%`, a repeated key, a pair without `=`)
/// is refused as `malformed` rather than interpreted.
enum QueryString {
    /// Splits on `&`, each pair on its first `=`, and form-decodes keys and values.
    static func decode(_ raw: String) throws(TelegramAuthError) -> [String: String] {
        guard !raw.isEmpty else {
            throw TelegramAuthError(.malformed, "The data is empty.")
        }
        var fields: [String: String] = [:]
        // Empty segments ("a=1&&b=2", a trailing "&") carry nothing signed, and every
        // common URL library skips them too.
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            guard let equals = pair.firstIndex(of: "=") else {
                throw TelegramAuthError(.malformed, "A pair has no '=': \(pair.prefix(32)).")
            }
            let key = try formDecode(pair[..<equals])
            let value = try formDecode(pair[pair.index(after: equals)...])
            guard !key.isEmpty else {
                throw TelegramAuthError(.malformed, "A pair has an empty key.")
            }
            // Which copy a verifier would sign and which one the caller would read could
            // differ, so a repeated key is never resolved by picking one.
            guard fields.updateValue(value, forKey: key) == nil else {
                throw TelegramAuthError(.malformed, "The key '\(key.prefix(32))' appears twice.")
            }
        }
        guard !fields.isEmpty else {
            throw TelegramAuthError(.malformed, "The data holds no pairs.")
        }
        return fields
    }

    /// Joins pairs in the given order, percent-encoding everything but unreserved characters.
    static func encode(_ pairs: [(key: String, value: String)]) -> String {
        pairs.map { "\(percentEncode($0.key))=\(percentEncode($0.value))" }.joined(separator: "&")
    }

    /// Decodes `+` as a space and `%XX` as a byte; the bytes must be UTF-8.
    private static func formDecode(_ text: Substring) throws(TelegramAuthError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(Hex.nibble),
                      let low = iterator.next().flatMap(Hex.nibble)
                else {
                    throw TelegramAuthError(.malformed, "A '%' is not followed by two hex digits.")
                }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw TelegramAuthError(.malformed, "A percent-encoded value is not UTF-8.")
        }
        return decoded
    }

    private static func percentEncode(_ text: String) -> String {
        var encoded = ""
        encoded.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + Hex.encode([byte], uppercase: true)
            }
        }
        return encoded
    }

    /// RFC 3986 unreserved characters, the set `encodeURIComponent` also leaves alone
    /// (apart from `!'()*`, which are safer encoded).
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
