/// The kinds of records with ids, and the letter their ids start with ("u1", "p3", "s91").
///
/// Ids are counters kept in the store, one per kind, advanced inside the write that
/// creates the record, so an id is never given twice, even after a delete or a crash.
public enum EntityKind: String, Sendable, CaseIterable {
    case user = "u"
    case product = "p"
    case stockMovement = "m"
    case sale = "s"
    case payment = "y"
    case ledgerEntry = "l"
    case order = "o"
    case contract = "c"
    case notification = "n"
    case audit = "a"
    case session = "t"

    /// The id as clients see it: the kind's letter and the number.
    public func format(_ number: UInt64) -> String { rawValue + String(number) }

    /// The number of an id of this kind, or nil when `id` is not one.
    public func parse(_ id: String) -> UInt64? {
        guard id.hasPrefix(rawValue) else { return nil }
        let digits = id.dropFirst(rawValue.count)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.first != "0", let n = UInt64(digits) else { return nil }
        return n
    }
}
