/// A secondary index declared with a collection, kept in the same transaction as the records.
///
/// ```swift
/// .unique("telegramId") { user in OrderedKey(user.telegramId) }
/// .multi("byBuyerAndTime") { sale in [OrderedKey(sale.buyerId, sale.at)] }
/// .multi("byProduct") { sale in sale.lines.map { OrderedKey($0.productId) } }
/// ```
public struct IndexDefinition<Record>: Sendable {
    public let name: String
    /// A unique index refuses a second record with the same index key (``StoreError/Code/uniqueViolation``).
    public let isUnique: Bool
    /// The index keys of a record: none (not indexed), one, or many (multi-valued).
    let keys: @Sendable (Record) -> [OrderedKey]
    /// True when two versions of a record have the same keys without computing them: set for an
    /// index over one field (``multi(_:on:_:)``), so that an update leaving the field alone
    /// (a product's stock moving, not its name) skips the index.
    let sameKeys: (@Sendable (Record, Record) -> Bool)?

    /// A unique index: at most one record per key. Return nil to leave a record out of it.
    public static func unique(_ name: String, _ key: @escaping @Sendable (Record) -> OrderedKey?) -> Self {
        Self(name: name, isUnique: true, keys: { record in key(record).map { [$0] } ?? [] }, sameKeys: nil)
    }

    /// A non-unique index; a record may have any number of keys in it.
    public static func multi(_ name: String, _ keys: @escaping @Sendable (Record) -> [OrderedKey]) -> Self {
        Self(name: name, isUnique: false, keys: keys, sameKeys: nil)
    }

    /// A non-unique index whose keys depend on one field alone: `keys` gets the field's value.
    public static func multi<Field: Equatable>(
        _ name: String, on field: KeyPath<Record, Field> & Sendable, _ keys: @escaping @Sendable (Field) -> [OrderedKey]
    ) -> Self {
        Self(name: name, isUnique: false, keys: { keys($0[keyPath: field]) },
             sameKeys: { $0[keyPath: field] == $1[keyPath: field] })
    }

    /// The record's distinct keys, in order.
    func distinctKeys(of record: Record) -> [[UInt8]] {
        let all = keys(record)
        if all.count < 2 { return all.map(\.bytes) }
        return Array(Set(all.map(\.bytes))).sorted { compareBytes($0, $1) < 0 }
    }
}

/// An index as opened: its definition and its named database.
struct OpenIndex<Record>: Sendable {
    let definition: IndexDefinition<Record>
    let dbi: UInt32

    /// The stored entry key: the index key itself when unique, else index key + primary key
    /// (index keys are self-delimiting, so a prefix scan on an index key finds exactly its records).
    func entryKey(_ indexKey: [UInt8], primaryKey: [UInt8]) -> [UInt8] {
        definition.isUnique ? indexKey : indexKey + primaryKey
    }
}
