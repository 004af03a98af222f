import CLMDB

/// The named databases the store keeps for itself, beside the callers' collections.
struct InternalDatabases: Sendable {
    /// The change feed: 8-byte big-endian sequence → encoded ``ChangeRecord``.
    var feed: MDB_dbi
    /// Store facts: feed head, trim point, format version, epoch.
    var meta: MDB_dbi
    /// Aggregate counters: ``OrderedKey`` → `Int64`.
    var counters: MDB_dbi
    /// The counter changes of each feed transaction that made any: its id (the sequence of its
    /// first change record) → the changes, trimmed with the feed. Counters are summed per group
    /// commit and are not change records, so this is what lets a replica (see
    /// ``FeedTransaction``) arrive at the primary's counters from the feed alone.
    var commitCounters: MDB_dbi

    static let feedName = "_feed"
    static let metaName = "_meta"
    static let countersName = "_counters"
    static let commitCountersName = "_commitCounters"

    /// Prefix of a collection's database name; an index is `i:<collection>:<index>`.
    static func collectionName(_ name: String) -> String { "c:" + name }
    static func indexName(_ collection: String, _ index: String) -> String { "i:\(collection):\(index)" }

    enum MetaKey: String {
        case head, trimPoint, format
        /// The store's epoch: 32 lowercase hex digits (see ``Environment/epoch``).
        case epoch
        var bytes: [UInt8] { Array(rawValue.utf8) }
    }
}
