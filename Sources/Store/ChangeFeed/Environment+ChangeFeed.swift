import CLMDB

extension Environment {
    /// The sequence of the last committed change (0 before the first).
    public var head: UInt64 { feedHub.head }

    /// The highest sequence trimmed away; `changes(after:)` needs `after >= trimPoint`.
    public func trimPoint() throws -> UInt64 {
        try read { txn in try Self.trimPoint(txn) }
    }

    static func trimPoint(_ txn: ReadTransaction) throws -> UInt64 {
        try txn.rawGet(txn.internals.meta, InternalDatabases.MetaKey.trimPoint.bytes).map { try UInt64(binary: $0) } ?? 0
    }

    /// Up to `limit` committed changes with sequence greater than `after`, in order.
    ///
    /// Throws ``StoreError/Code/sinceTooOld`` when records after `after` were trimmed: the
    /// caller must start again from a fresh snapshot.
    public func changes(after: UInt64, limit: Int = 256) throws -> [ChangeRecord] {
        try read { txn in
            let trim = try Self.trimPoint(txn)
            guard after >= trim else {
                throw StoreError(.sinceTooOld, "changes up to \(trim) were trimmed; asked for after \(after)")
            }
            var records: [ChangeRecord] = []
            try txn.scanRaw(txn.internals.feed, after: UInt64Key.encode(after)) { k, v in
                records.append(try ChangeRecord(sequence: try UInt64Key.decode(k), body: v))
                return records.count < limit
            }
            return records
        }
    }

    /// Every committed change after `after`: history first, then live as commits happen.
    public func follow(after: UInt64) -> ChangeStream {
        ChangeStream(environment: self, after: after)
    }

    /// Trims the feed: keeps at most `keepingLast` records and drops those older than `olderThan`.
    /// Returns how many records were removed.
    @discardableResult
    public func trimFeed(keepingLast: UInt64? = nil, olderThan: Double? = nil) async throws -> Int {
        try await write { txn in try txn.trimFeed(FeedRetention(maxCount: keepingLast, maxAge: olderThan)) }
    }
}
