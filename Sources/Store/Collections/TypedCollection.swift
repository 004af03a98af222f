import CLMDB

/// A named collection of records, generic over how its keys and values are encoded.
///
/// Records are stored as an 8-byte version followed by the value codec's bytes. Every put
/// and delete updates the collection's secondary indexes and appends a ``ChangeRecord``
/// in the same transaction, unless the collection was opened with `logsChanges: false`.
///
/// ```swift
/// let sales = try await env.collection("sales", key: UInt64Key.self, value: BinaryCodec<Sale>.self,
///     indexes: [.multi("byBuyer") { [OrderedKey($0.buyerId, $0.at)] }])
/// try await env.write { txn in try sales.put(txn, 91, sale) }
/// let page = try env.read { txn in
///     try sales.scan(txn, index: "byBuyer", from: OrderedKey(buyer, monday), to: OrderedKey(buyer, sunday))
/// }
/// ```
public struct TypedCollection<K: KeyCodec, V: ValueCodec>: Sendable {
    public typealias Key = K.Value
    public typealias Value = V.Value
    public typealias Record = StoredRecord<Key, Value>

    public let name: String
    /// Whether puts and deletes append change records (see ``Environment/collection(_:key:value:indexes:logsChanges:)``).
    public let logsChanges: Bool
    @usableFromInline let dbi: MDB_dbi
    let indexes: [OpenIndex<Value>]
    /// Whether any index refuses duplicates (then every put checks before it writes).
    let hasUniqueIndex: Bool

    init(name: String, dbi: MDB_dbi, indexes: [OpenIndex<Value>], logsChanges: Bool) {
        self.name = name
        self.dbi = dbi
        self.indexes = indexes
        hasUniqueIndex = indexes.contains { $0.definition.isUnique }
        self.logsChanges = logsChanges
    }

    /// The names of the collection's indexes.
    public var indexNames: [String] { indexes.map(\.definition.name) }

    // MARK: Reading one record

    /// The value stored under `key`, or nil.
    @inlinable
    public func get(_ txn: ReadTransaction, _ key: Key) throws -> Value? {
        try K.withEncoded(key) { k in
            guard let stored = try txn.rawGet(dbi, k) else { return nil }
            return try V.decode(try Self.payload(of: stored))
        }
    }

    /// Calls `body` with the value's encoded bytes, borrowed from the map without copying
    /// (the bytes API); nil when there is no such key.
    @inlinable
    public func withEncodedValue<R>(_ txn: ReadTransaction, key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        guard let stored = try txn.rawGet(dbi, key) else { return nil }
        return try body(try Self.payload(of: stored))
    }

    /// Calls `body` with a view of the record under `key`, its bytes borrowed from the map
    /// (see ``BinaryView``): for reading a few fields without decoding the rest. Nil when
    /// there is no such key. The view is valid only during `body`.
    @inlinable
    public func withView<R>(_ txn: ReadTransaction, _ key: Key, _ body: (BinaryView<Value>) throws -> R) throws -> R? {
        try K.withEncoded(key) { k in
            guard let stored = try txn.rawGet(dbi, k) else { return nil }
            return try body(BinaryView(try Self.payload(of: stored)))
        }
    }

    /// The record under `key` with its version, or nil.
    public func record(_ txn: ReadTransaction, _ key: Key) throws -> Record? {
        try K.withEncoded(key) { k in
            guard let stored = try txn.rawGet(dbi, k) else { return nil }
            return try decodeRecord(key: k, stored: stored)
        }
    }

    /// The version of the record under `key` (nil when absent).
    public func version(_ txn: ReadTransaction, _ key: Key) throws -> UInt64? {
        try K.withEncoded(key) { k in try txn.rawGet(dbi, k).map { try Self.version(of: $0) } }
    }

    public func exists(_ txn: ReadTransaction, _ key: Key) throws -> Bool {
        try K.withEncoded(key) { k in try txn.rawGet(dbi, k) != nil }
    }

    /// How many records the collection holds (from LMDB's page statistics, not a scan).
    public func count(_ txn: ReadTransaction) throws -> Int {
        try txn.entryCount(dbi)
    }

    // MARK: Writing

    /// Stores `value` under `key` and returns its new version.
    ///
    /// Index entries move with the record. Nothing is written when `expecting` is not met
    /// (``StoreError/Code/versionConflict``, ``StoreError/Code/alreadyExists``) or a unique
    /// index already holds the new key for another record (``StoreError/Code/uniqueViolation``).
    @discardableResult
    public func put(_ txn: WriteTransaction, _ key: Key, _ value: Value, expecting: Expectation = .any) throws -> UInt64 {
        try put(txn, key, value, expecting: expecting, knownOld: nil)
    }

    /// `knownOld`: the stored value, already decoded by a caller that checks its version.
    private func put(_ txn: WriteTransaction, _ key: Key, _ value: Value, expecting: Expectation, knownOld: Value?) throws -> UInt64 {
        let keyBytes = K.encode(key)
        // The record as it was, copied out of the map before this call's writes can move it.
        let old = try keyBytes.withUnsafeBytes { k in
            try txn.rawGet(dbi, k).map { stored in (version: try Self.version(of: stored), payload: Array(try Self.payload(of: stored))) }
        }
        try check(expecting, current: old?.version, key: key)

        // Only a corrupt record holds the last version (no key is written 2⁶⁴ − 1 times).
        let (version, overflow) = (old?.version ?? 0).addingReportingOverflow(1)
        if overflow { throw StoreError(.corrupted, "\(name) \(key) is at version \(UInt64.max): the record is corrupt") }
        var writer = BinaryWriter(capacity: max(120, old?.payload.count ?? 0))
        V.encode(value, to: &writer)
        let payload = writer.bytes

        if !indexes.isEmpty {
            let oldValue = try knownOld ?? old.map { try $0.payload.withUnsafeBytes { try V.decode($0) } }
            try updateIndexes(txn, primaryKey: keyBytes, old: oldValue, new: value)
        }
        // The version and the payload go straight into the map: the payload is the change
        // record's value too, so it is encoded once and no stored form is staged beside it.
        try keyBytes.withUnsafeBytes { k in
            try payload.withUnsafeBytes { p in
                try txn.rawPut(dbi, k, reserving: 8 + p.count) { out in
                    out.storeBytes(of: version.littleEndian, as: UInt64.self)
                    if let source = p.baseAddress, let target = out.baseAddress { (target + 8).copyMemory(from: source, byteCount: p.count) }
                }
            }
        }
        if logsChanges {
            try txn.appendChange(
                collection: name, key: keyBytes, operation: .put, version: version,
                value: payload, previous: old?.payload)
        }
        return version
    }

    /// Stores `value` in place of `current`, the record as the caller read it in this
    /// transaction, and returns the new version; refuses (``StoreError/Code/versionConflict``)
    /// when the stored record is no longer at `current`'s version. The same as
    /// `put(txn, current.key, value, expecting: .version(current.version))`, without decoding
    /// the stored record again to move its index entries.
    @discardableResult
    public func put(_ txn: WriteTransaction, _ value: Value, over current: Record) throws -> UInt64 {
        try put(txn, current.key, value, expecting: .version(current.version), knownOld: current.value)
    }

    /// Deletes the record under `key` with its index entries; false when there was none.
    @discardableResult
    public func delete(_ txn: WriteTransaction, _ key: Key, expecting: Expectation = .any) throws -> Bool {
        let keyBytes = K.encode(key)
        guard let old = try txn.rawGet(dbi, keyBytes) else {
            if case .version = expecting {
                throw StoreError(.versionConflict, "\(name) \(key) no longer exists")
            }
            return false
        }
        let oldVersion = try old.withUnsafeBytes { try Self.version(of: $0) }
        try check(expecting, current: oldVersion, key: key)
        let oldPayload = Array(old.dropFirst(8))
        if !indexes.isEmpty {
            let oldValue = try oldPayload.withUnsafeBytes { try V.decode($0) }
            try updateIndexes(txn, primaryKey: keyBytes, old: oldValue, new: nil)
        }
        try txn.rawDelete(dbi, keyBytes)
        if logsChanges {
            try txn.appendChange(
                collection: name, key: keyBytes, operation: .delete, version: oldVersion,
                value: nil, previous: oldPayload)
        }
        return true
    }

    private func check(_ expecting: Expectation, current: UInt64?, key: Key) throws {
        switch expecting {
        case .any:
            return
        case .absent:
            if current != nil { throw StoreError(.alreadyExists, "\(name) \(key) already exists") }
        case .version(let expected):
            guard let current else { throw StoreError(.versionConflict, "\(name) \(key) does not exist") }
            if current != expected {
                throw StoreError(.versionConflict, "\(name) \(key) is at version \(current), not \(expected)")
            }
        }
    }

    /// Moves the record's index entries from what `old` implies to what `new` implies.
    /// Every unique index is checked before anything is written.
    func updateIndexes(_ txn: WriteTransaction, primaryKey: [UInt8], old: Value?, new: Value?) throws {
        if old == nil, let new, !hasUniqueIndex {
            // A new record (most writes: sales, movements, ledger, audit): entries to add, none to move.
            for index in indexes {
                for key in index.definition.distinctKeys(of: new) {
                    try txn.rawPut(index.dbi, index.entryKey(key, primaryKey: primaryKey), primaryKey)
                }
            }
            return
        }
        var plan: [(index: OpenIndex<Value>, removed: [[UInt8]], added: [[UInt8]])] = []
        for index in indexes {
            if let old, let new, let sameKeys = index.definition.sameKeys, sameKeys(old, new) { continue }
            let oldKeys = old.map { index.definition.distinctKeys(of: $0) } ?? []
            let newKeys = new.map { index.definition.distinctKeys(of: $0) } ?? []
            let removed = oldKeys.filter { !newKeys.contains($0) }
            let added = newKeys.filter { !oldKeys.contains($0) }
            if index.definition.isUnique {
                for key in added {
                    if key.isEmpty { throw StoreError(.invalidArgument, "empty key for unique index \(index.definition.name)") }
                    if let holder = try txn.rawGet(index.dbi, key), holder != primaryKey {
                        throw StoreError(.uniqueViolation, "\(name).\(index.definition.name) already has \(OrderedKey(bytes: key))")
                    }
                }
            }
            plan.append((index, removed, added))
        }
        for (index, removed, added) in plan {
            for key in removed { try txn.rawDelete(index.dbi, index.entryKey(key, primaryKey: primaryKey)) }
            for key in added { try txn.rawPut(index.dbi, index.entryKey(key, primaryKey: primaryKey), primaryKey) }
        }
    }

    // MARK: Scanning

    /// Records with keys in `from..<to` (either bound optional), in key order or reverse, one page at a time.
    public func scan(_ txn: ReadTransaction, from lower: Key? = nil, to upper: Key? = nil, options: ScanOptions = ScanOptions()) throws -> Page<Record> {
        var items: [Record] = []
        var lastKey: [UInt8]?
        let limit = options.limit ?? .max
        var more = false
        try txn.scanRaw(
            dbi, lower: lower.map(K.encode), upper: upper.map(K.encode),
            after: options.after?.key, reverse: options.reverse
        ) { k, v in
            if items.count == limit { more = true; return false }
            items.append(try decodeRecord(key: k, stored: v))
            lastKey = Array(k)
            return true
        }
        return Page(items: items, next: more ? lastKey.map(PageCursor.init(key:)) : nil)
    }

    /// Visits records in key order (or reverse) until `visit` returns false.
    public func forEach(_ txn: ReadTransaction, from lower: Key? = nil, to upper: Key? = nil, reverse: Bool = false, _ visit: (Record) throws -> Bool) throws {
        try txn.scanRaw(dbi, lower: lower.map(K.encode), upper: upper.map(K.encode), reverse: reverse) { k, v in
            try visit(try decodeRecord(key: k, stored: v))
        }
    }

    /// Visits records' key and value bytes in key order (or reverse), borrowed from the map
    /// without decoding or copying (the bytes API's scan), until `visit` returns false.
    public func forEachEncoded(
        _ txn: ReadTransaction, from lower: Key? = nil, to upper: Key? = nil, reverse: Bool = false,
        _ visit: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try txn.scanRaw(dbi, lower: lower.map(K.encode), upper: upper.map(K.encode), reverse: reverse) { k, v in
            try visit(k, try Self.payload(of: v))
        }
    }

    /// Visits views of the records (see ``BinaryView``) in key order (or reverse), their
    /// bytes borrowed from the map, until `visit` returns false: a scan that reads a few
    /// fields of each record without decoding the rest. A view is valid only during its call.
    public func forEachView(
        _ txn: ReadTransaction, from lower: Key? = nil, to upper: Key? = nil, reverse: Bool = false,
        _ visit: (_ key: UnsafeRawBufferPointer, _ view: BinaryView<Value>) throws -> Bool
    ) throws {
        try txn.scanRaw(dbi, lower: lower.map(K.encode), upper: upper.map(K.encode), reverse: reverse) { k, v in
            try visit(k, BinaryView(try Self.payload(of: v)))
        }
    }

    /// Visits views of the records whose index keys fall in `from..<to`, in index order (or
    /// reverse), until `visit` returns false: ``scan(_:index:from:to:options:)`` without
    /// decoding or collecting the records. `visit` gets the record's primary key bytes and its
    /// view, both valid only during the call.
    public func forEachView(
        _ txn: ReadTransaction, index name: String, from lower: OrderedKey?, to upper: OrderedKey?, reverse: Bool = false,
        _ visit: (_ key: UnsafeRawBufferPointer, _ view: BinaryView<Value>) throws -> Bool
    ) throws {
        let index = try openIndex(name)
        try txn.scanRaw(index.dbi, lower: lower?.bytes, upper: upper?.bytes, reverse: reverse) { _, primaryKey in
            guard let stored = try txn.rawGet(dbi, primaryKey) else {
                throw StoreError(.corrupted, "\(self.name).\(name) points at a missing record")
            }
            return try visit(primaryKey, BinaryView(try Self.payload(of: stored)))
        }
    }

    /// The records whose index key equals `key` (for a unique index: at most one), in primary-key order.
    public func lookup(_ txn: ReadTransaction, index name: String, equals key: OrderedKey, options: ScanOptions = ScanOptions()) throws -> Page<Record> {
        try scan(txn, index: name, from: key, to: key.prefixEnd, options: options)
    }

    /// The one record a unique index holds for `key`, or nil.
    public func first(_ txn: ReadTransaction, index name: String, equals key: OrderedKey) throws -> Record? {
        try lookup(txn, index: name, equals: key, options: ScanOptions(limit: 1)).items.first
    }

    /// Records whose index keys fall in `from..<to`, in index order (or reverse), one page at a time.
    ///
    /// With a composite index `(buyer, time)`, `from: OrderedKey(b, t0), to: OrderedKey(b, t1)`
    /// gives buyer `b`'s records from `t0` up to `t1`.
    public func scan(_ txn: ReadTransaction, index name: String, from lower: OrderedKey?, to upper: OrderedKey?, options: ScanOptions = ScanOptions()) throws -> Page<Record> {
        let index = try openIndex(name)
        var items: [Record] = []
        var lastKey: [UInt8]?
        let limit = options.limit ?? .max
        var more = false
        try txn.scanRaw(
            index.dbi, lower: lower?.bytes, upper: upper?.bytes,
            after: options.after?.key, reverse: options.reverse
        ) { entry, primaryKey in
            if items.count == limit { more = true; return false }
            guard let stored = try txn.rawGet(dbi, primaryKey) else {
                throw StoreError(.corrupted, "\(self.name).\(name) points at a missing record")
            }
            items.append(try decodeRecord(key: primaryKey, stored: stored))
            lastKey = Array(entry)
            return true
        }
        return Page(items: items, next: more ? lastKey.map(PageCursor.init(key:)) : nil)
    }

    /// How many entries an index holds.
    public func indexEntryCount(_ txn: ReadTransaction, index name: String) throws -> Int {
        try txn.entryCount(try openIndex(name).dbi)
    }

    // MARK: The change feed

    /// Decodes a change record of this collection: its key, new value (puts) and previous value.
    public func decode(_ change: ChangeRecord) throws -> (key: Key, value: Value?, previous: Value?) {
        guard change.collection == name else {
            throw StoreError(.invalidArgument, "change of \(change.collection) decoded as \(name)")
        }
        let key = try change.key.withUnsafeBytes { try K.decode($0) }
        let value = try change.value.map { try $0.withUnsafeBytes { try V.decode($0) } }
        let previous = try change.previous.map { try $0.withUnsafeBytes { try V.decode($0) } }
        return (key, value, previous)
    }

    // MARK: Stored layout

    @inlinable
    static func payload(of stored: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer {
        guard stored.count >= 8 else { throw StoreError(.corrupted, "record shorter than its version") }
        return UnsafeRawBufferPointer(rebasing: stored[8...])
    }

    static func version(of stored: UnsafeRawBufferPointer) throws -> UInt64 {
        guard stored.count >= 8 else { throw StoreError(.corrupted, "record shorter than its version") }
        return UInt64(littleEndian: stored.loadUnaligned(as: UInt64.self))
    }

    private func decodeRecord(key: UnsafeRawBufferPointer, stored: UnsafeRawBufferPointer) throws -> Record {
        Record(key: try K.decode(key), value: try V.decode(try Self.payload(of: stored)), version: try Self.version(of: stored))
    }

    private func openIndex(_ name: String) throws -> OpenIndex<Value> {
        guard let index = indexes.first(where: { $0.definition.name == name }) else {
            throw StoreError(.notFound, "\(self.name) has no index \(name)")
        }
        return index
    }
}

extension Environment {
    /// Opens (creating when missing) a collection and its indexes.
    ///
    /// An index declared for a collection that already holds records is built in one write
    /// before this returns. Names may not contain `:`.
    ///
    /// With `logsChanges: false` the collection's puts and deletes append no ``ChangeRecord``:
    /// they are stored, indexed, versioned and committed with the rest of the write as usual,
    /// but followers of the feed never see them and the feed's head does not move for them.
    /// That is for a program's own bookkeeping (a queue, a cursor), which must share the
    /// store's transactions but is nobody's event. The choice belongs to the handle, not the
    /// file: records a collection logged before stay in the feed until they are trimmed. It
    /// is a programmer error to open one collection both ways.
    public func collection<K: KeyCodec, V: ValueCodec>(
        _ name: String, key: K.Type, value: V.Type, indexes: [IndexDefinition<V.Value>] = [], logsChanges: Bool = true
    ) async throws -> TypedCollection<K, V> {
        guard !name.isEmpty, !name.contains(":"), !name.hasPrefix("_") else {
            throw StoreError(.invalidArgument, "collection name \(name) must be non-empty, without ':' and not start with '_'")
        }
        guard Set(indexes.map(\.name)).count == indexes.count, indexes.allSatisfy({ !$0.name.isEmpty && !$0.name.contains(":") }) else {
            throw StoreError(.invalidArgument, "index names of \(name) must be distinct, non-empty and without ':'")
        }
        let dbi = try await database(InternalDatabases.collectionName(name), create: true)
        var opened: [OpenIndex<V.Value>] = []
        for definition in indexes {
            let indexDBI = try await database(InternalDatabases.indexName(name, definition.name), create: true)
            opened.append(OpenIndex(definition: definition, dbi: indexDBI))
        }
        let collection = TypedCollection<K, V>(name: name, dbi: dbi, indexes: opened, logsChanges: logsChanges)
        try await buildMissingIndexes(collection, opened)
        if logsChanges { replicaAppliers.withLock { $0[name] = collection } }
        return collection
    }

    /// Fills indexes that are empty while their collection is not (an index added later).
    private func buildMissingIndexes<K, V>(_ collection: TypedCollection<K, V>, _ indexes: [OpenIndex<V.Value>]) async throws {
        let empty = try read { txn -> [OpenIndex<V.Value>] in
            guard try collection.count(txn) > 0 else { return [] }
            return try indexes.filter { try txn.entryCount($0.dbi) == 0 }
        }
        guard !empty.isEmpty else { return }
        try await write { txn in
            try txn.scanRaw(collection.dbi) { k, v in
                let value = try V.decode(try TypedCollection<K, V>.payload(of: v))
                let primaryKey = Array(k)
                for index in empty {
                    for key in index.definition.distinctKeys(of: value) {
                        try txn.rawPut(index.dbi, index.entryKey(key, primaryKey: primaryKey), primaryKey,
                                       flags: index.definition.isUnique ? MDB_NOOVERWRITE : 0)
                    }
                }
                return true
            }
        }
    }
}
