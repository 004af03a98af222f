import CLMDB
import Foundation

/// What a group commit's calls share while the writer thread runs them.
final class BatchState {
    /// The sequence the next change record gets.
    var nextSequence: UInt64
    /// Set when any LMDB call in the batch hit `MDB_MAP_FULL`: the batch is retried after the map grows.
    var sawMapFull = false
    /// The time stamped on this batch's change records.
    let now: Date
    /// The counters the batch has touched: the value each had when the batch began (read
    /// once, on first use; nothing writes the counters until the batch's flush) and the sum of
    /// the changes made to it in this batch, written once before the batch commits.
    var counters: [OrderedKey: BatchCounter] = [:]
    /// The store follows a primary: change records come only through ``WriteTransaction/applyReplicated(_:appliers:)``.
    let follower: Bool
    /// Numbers the batch's calls, so that a counter knows which call changed it last.
    var callsStarted = 0

    init(nextSequence: UInt64, now: Date, follower: Bool) {
        self.nextSequence = nextSequence
        self.now = now
        self.follower = follower
    }
}

/// A counter as a batch sees it: its stored value (nil until read) and the changes of the
/// batch's calls, the running call's included (a call that rolls back takes its own back out).
struct BatchCounter {
    var stored: Int64?
    var delta: Int64 = 0
    /// The call that changed it last, and where that call keeps its own change (``WriteTransaction/counterChanges``).
    var lastCall = -1
    var slot = 0
}

/// A write call's view of the store, valid only inside the `write` closure that gave it.
///
/// Each call of ``Environment/write(metadata:_:)`` gets its own nested LMDB transaction
/// inside the group commit: when the closure throws, only that call's changes roll back.
/// Every put and delete through a collection appends a ``ChangeRecord`` here, in the same
/// transaction as the data.
public final class WriteTransaction: ReadTransaction {
    let batch: BatchState
    /// Caller-supplied facts (for example the actor) stamped on the change records this call appends.
    public var metadata: [String: String] {
        didSet { encodedMetadata = nil }
    }
    /// `metadata` in the feed's format, encoded once for all the call's change records.
    private var encodedMetadata: [UInt8]?
    /// The buffer each change record of this call is encoded into before LMDB copies it.
    private var feedBody = BinaryWriter(capacity: 512)
    /// The change records this call appended, published after the commit.
    private(set) var changes: [ChangeRecord] = []
    /// Set while a follower runs a ``ReplicaHook``: the one time a follower may rewrite its feed.
    var applyingReplicated = false
    /// What to run once this call's changes are durable (see ``afterCommit(_:)``).
    private(set) var commitActions: [@Sendable () -> Void] = []

    /// `encodedMetadata`: `metadata` in the feed's format when the caller has it already.
    init(txn: OpaquePointer, internals: InternalDatabases, batch: BatchState, metadata: [String: String], encodedMetadata: [UInt8]? = nil) {
        self.batch = batch
        self.metadata = metadata
        self.encodedMetadata = encodedMetadata
        callNumber = batch.callsStarted
        batch.callsStarted += 1
        super.init(txn: txn, internals: internals)
    }

    override func noteFailure(_ rc: Int32) {
        if rc == MDB_MAP_FULL { batch.sawMapFull = true }
    }

    // MARK: Raw writes

    func rawPut(_ dbi: MDB_dbi, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, flags: Int32 = 0) throws(StoreError) {
        try checkOpen()
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        let rc = mdb_put(txn, dbi, &k, &v, UInt32(flags))
        if rc != MDB_SUCCESS {
            noteFailure(rc)
            throw StoreError.lmdb(rc, context: "put")
        }
    }

    /// Puts a value of `count` bytes that `fill` writes straight into the map (`MDB_RESERVE`),
    /// with no staging copy of the whole value.
    func rawPut(_ dbi: MDB_dbi, _ key: UnsafeRawBufferPointer, reserving count: Int, flags: Int32 = 0,
                _ fill: (UnsafeMutableRawBufferPointer) -> Void) throws(StoreError) {
        try checkOpen()
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: count, mv_data: nil)
        let rc = mdb_put(txn, dbi, &k, &v, UInt32(flags | MDB_RESERVE))
        if rc != MDB_SUCCESS {
            noteFailure(rc)
            throw StoreError.lmdb(rc, context: "put")
        }
        fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: count))
    }

    func rawPut(_ dbi: MDB_dbi, _ key: [UInt8], _ value: [UInt8], flags: Int32 = 0) throws {
        try key.withUnsafeBytes { k in
            try value.withUnsafeBytes { v in try rawPut(dbi, k, v, flags: flags) }
        }
    }

    /// Deletes `key`; false when it was not there.
    @discardableResult
    func rawDelete(_ dbi: MDB_dbi, _ key: [UInt8]) throws(StoreError) -> Bool {
        try checkOpen()
        let rc = key.withUnsafeBytes { b in
            var k = MDB_val(mv_size: b.count, mv_data: UnsafeMutableRawPointer(mutating: b.baseAddress))
            return mdb_del(txn, dbi, &k, nil)
        }
        if rc == MDB_NOTFOUND { return false }
        if rc != MDB_SUCCESS {
            noteFailure(rc)
            throw StoreError.lmdb(rc, context: "delete")
        }
        return true
    }

    // MARK: After the commit

    /// Runs `action` once this call's changes are durable, on the writer thread, after the
    /// commit's change records are published and before the callers resume; never when the
    /// call rolls back (it threw, or its batch was refused).
    ///
    /// For telling a part of the program that its records were committed (a queue's
    /// deliverer) without making the change feed its bell. `action` must be quick and must
    /// not wait for anything or write to the store.
    public func afterCommit(_ action: @escaping @Sendable () -> Void) {
        commitActions.append(action)
    }

    // MARK: The change feed

    /// The sequence of the last change record this call has appended, nil while it has appended
    /// none. Once the call commits, a follower of the feed that has reached it has seen the
    /// whole call: what a command hands back so a client can tell when its write is live.
    public var lastSequence: UInt64? { changes.last?.sequence }

    /// Appends a change record in this transaction; it becomes visible to followers after the commit.
    func appendChange(
        collection: String, key: [UInt8], operation: ChangeRecord.Operation,
        version: UInt64, value: [UInt8]?, previous: [UInt8]?
    ) throws {
        if batch.follower {
            throw StoreError(.follower, "this store follows a primary: \(collection) changes come from the primary's feed only")
        }
        let sequence = batch.nextSequence
        let record = ChangeRecord(
            sequence: sequence,
            transactionId: changes.first?.sequence ?? sequence,
            collection: collection, key: key, operation: operation, version: version,
            value: value, previous: previous, at: batch.now, metadata: metadata)
        let metadataBytes = encodedMetadata ?? metadata.binaryEncoded()
        encodedMetadata = metadataBytes
        // Encoded into the call's one buffer: LMDB copies it, so it is reused for the next record.
        feedBody.bytes.removeAll(keepingCapacity: true)
        record.encodeBody(metadata: metadataBytes, to: &feedBody)
        try UInt64Key.encode(sequence).withUnsafeBytes { k in
            try feedBody.bytes.withUnsafeBytes { v in try rawPut(internals.feed, k, v, flags: MDB_APPEND) }
        }
        batch.nextSequence = sequence + 1
        changes.append(record)
    }

    /// Appends a change record a primary made, exactly as it was (sequence, transaction, time,
    /// metadata): a follower's feed holds the same records under the same sequences.
    func appendReplicated(_ record: ChangeRecord) throws {
        guard record.sequence == batch.nextSequence else {
            throw StoreError(.replicationMismatch, "change \(record.sequence) received where the feed expects \(batch.nextSequence)")
        }
        try rawPut(internals.feed, UInt64Key.encode(record.sequence), record.encodedBody(metadata: record.metadata.binaryEncoded()), flags: MDB_APPEND)
        batch.nextSequence = record.sequence + 1
        changes.append(record)
    }

    /// Rewrites retained change records in place: `transform` answers a record's new `value` and
    /// `previous`, or nil to leave it as it is. Each rewritten record keeps its sequence,
    /// transaction, time and metadata, so every client's resume position stays valid; what a
    /// replay hands out from then on is the rewritten form. Records this call appended are
    /// rewritten too (so its followers are handed the rewritten form once it commits). Returns
    /// how many records changed.
    ///
    /// This is how an erasure removes a person's fields from history clients can replay; it is a
    /// primary's act, which a follower redoes only inside a ``ReplicaHook`` (as the primary's
    /// erasure reaches it).
    public func rewriteRetainedChanges(_ transform: (ChangeRecord) throws -> (value: [UInt8]?, previous: [UInt8]?)?) throws -> Int {
        if batch.follower && !applyingReplicated {
            throw StoreError(.follower, "this store follows a primary: its feed is rewritten by the primary's changes only")
        }
        var rewritten: [ChangeRecord] = []
        try scanRaw(internals.feed) { k, v in
            let record = try ChangeRecord(sequence: try UInt64Key.decode(k), body: v)
            if let replacement = try transform(record) {
                rewritten.append(ChangeRecord(
                    sequence: record.sequence, transactionId: record.transactionId, collection: record.collection, key: record.key,
                    operation: record.operation, version: record.version, value: replacement.value, previous: replacement.previous,
                    at: record.at, metadata: record.metadata))
            }
            return true
        }
        // Written after the scan: a cursor must not see the database change under it.
        for record in rewritten {
            try rawPut(internals.feed, UInt64Key.encode(record.sequence), record.encodedBody(metadata: record.metadata.binaryEncoded()))
        }
        if let first = changes.first?.sequence {
            for record in rewritten where record.sequence >= first {
                if let i = changes.firstIndex(where: { $0.sequence == record.sequence }) { changes[i] = record }
            }
        }
        return rewritten.count
    }

    /// Trims the feed to what `retention` keeps; returns how many records were removed.
    func trimFeed(_ retention: FeedRetention) throws -> Int {
        let head = batch.nextSequence - 1
        var cutoff: UInt64 = 0
        if let maxCount = retention.maxCount, head > maxCount { cutoff = head - maxCount }
        if let maxAge = retention.maxAge {
            let oldest = batch.now.addingTimeInterval(-maxAge)
            try scanRaw(internals.feed) { k, v in
                let sequence = try UInt64Key.decode(k)
                guard try ChangeRecord(sequence: sequence, body: v).at < oldest else { return false }
                cutoff = max(cutoff, sequence)
                return true
            }
        }
        return cutoff > 0 ? try trimFeed(through: cutoff) : 0
    }

    /// Deletes feed records up to and including `sequence` and records the new trim point.
    /// Returns how many were deleted.
    func trimFeed(through sequence: UInt64) throws -> Int {
        var doomed: [[UInt8]] = []
        try scanRaw(internals.feed, upper: UInt64Key.encode(sequence &+ 1)) { k, _ in
            doomed.append(Array(k))
            return true
        }
        for key in doomed { try rawDelete(internals.feed, key) }
        var doomedCounters: [[UInt8]] = []
        try scanRaw(internals.commitCounters, upper: UInt64Key.encode(sequence &+ 1)) { k, _ in
            doomedCounters.append(Array(k))
            return true
        }
        for key in doomedCounters { try rawDelete(internals.commitCounters, key) }
        let current = try rawGet(internals.meta, InternalDatabases.MetaKey.trimPoint.bytes).map { try UInt64(binary: $0) } ?? 0
        if sequence > current {
            try rawPut(internals.meta, InternalDatabases.MetaKey.trimPoint.bytes, sequence.binaryEncoded())
        }
        return doomed.count
    }

    // MARK: Counters

    /// Counter changes of this call, in the order it first touched each counter. Kept in
    /// memory: many calls of a batch add to the same counters (today's revenue, the next id),
    /// so the writer sums them in the batch and writes each counter once per group commit
    /// instead of once per call. The batch's sums include them as they are made (one lookup per
    /// change); a call that rolls back takes them out again (``rollBackCounters()``).
    private(set) var counterChanges: [(key: OrderedKey, delta: Int64)] = []
    /// This call's place among the batch's calls (see ``BatchCounter/lastCall``).
    private let callNumber: Int

    /// Adds `delta` to an aggregate counter in this transaction and returns its new value;
    /// throws `outOfRange` (and changes nothing) when the value would not fit in 64 bits.
    ///
    /// Pending changes are summed with wrapping arithmetic (`&+`): each call checks that the
    /// counter's value as it sees it stays in range, and a sum modulo 2⁶⁴ whose true result is
    /// in range is exact, so the stored value is right even when a partial sum of deltas is not.
    @discardableResult
    public func add(toCounter key: OrderedKey, _ delta: Int64) throws -> Int64 {
        try change(key, by: delta, checked: true)
    }

    /// A change the primary made and checked: a follower applies it as it came.
    func addReplicated(toCounter key: OrderedKey, _ delta: Int64) throws {
        try change(key, by: delta, checked: false)
    }

    private func change(_ key: OrderedKey, by delta: Int64, checked: Bool) throws -> Int64 {
        let index: Dictionary<OrderedKey, BatchCounter>.Index
        if let found = batch.counters.index(forKey: key) {
            index = found
        } else {
            batch.counters[key] = BatchCounter(stored: try super.counter(key))
            index = batch.counters.index(forKey: key)!
        }
        var counter = batch.counters.values[index]
        let stored = try counter.stored ?? super.counter(key)
        let (sum, overflow) = (stored &+ counter.delta).addingReportingOverflow(delta)
        if overflow, checked { throw StoreError(.outOfRange, "counter \(key) would pass the range of a 64-bit integer") }
        counter.stored = stored
        counter.delta &+= delta
        if counter.lastCall == callNumber {
            counterChanges[counter.slot].delta &+= delta
        } else {
            counter.lastCall = callNumber
            counter.slot = counterChanges.count
            counterChanges.append((key, delta))
        }
        batch.counters.values[index] = counter
        return sum
    }

    /// The counter as this call sees it: stored, plus the batch's changes and this call's.
    /// The stored value is read from the map once per batch: a batch's calls add to the same
    /// few counters (ids, today's figures), and nothing writes them before the batch's flush.
    public override func counter(_ key: OrderedKey) throws -> Int64 {
        if let known = batch.counters[key], let stored = known.stored { return stored &+ known.delta }
        let stored = try super.counter(key)
        batch.counters[key, default: BatchCounter()].stored = stored
        return stored &+ (batch.counters[key]?.delta ?? 0)
    }

    /// Takes this call's counter changes back out of the batch: the writer calls it when the
    /// call rolls back alone (its nested transaction aborted) while the batch goes on.
    func rollBackCounters() {
        for (key, delta) in counterChanges { batch.counters[key]?.delta &-= delta }
        counterChanges = []
    }

    /// Counters in range as this call sees them, the pending changes included.
    public override func forEachCounter(from lower: OrderedKey?, to upper: OrderedKey?, _ visit: (UnsafeRawBufferPointer, Int64) throws -> Bool) throws {
        var merged: [OrderedKey: Int64] = [:]
        try super.forEachCounter(from: lower, to: upper) { key, value in
            merged[OrderedKey(bytes: Array(key))] = value
            return true
        }
        for (key, counter) in batch.counters {
            if let lower, key < lower { continue }
            if let upper, key >= upper { continue }
            merged[key, default: 0] &+= counter.delta
        }
        for key in merged.keys.sorted() {
            guard let value = merged[key], value != 0 else { continue }
            let goOn = try key.bytes.withUnsafeBytes { try visit($0, value) }
            if !goOn { return }
        }
    }

    /// Ends a call that ran to its end (the writer calls it before the call commits): a call
    /// that logged changes and moved counters keeps its counter changes beside its change
    /// records, so the feed alone carries the whole call to a replica.
    func finishCall() throws {
        // A follower's calls log nothing of their own; applying keeps each replicated call's counters.
        guard !batch.follower, let transactionId = changes.first?.transactionId, !counterChanges.isEmpty else { return }
        try rawPut(internals.commitCounters, UInt64Key.encode(transactionId), FeedTransaction.encodeCounters(counterChanges))
    }

    /// Writes the batch's summed counter changes; the writer calls it once, before the commit.
    /// A counter that comes to zero is removed.
    func flushCounterDeltas() throws {
        for (key, counter) in batch.counters where counter.delta != 0 {
            let stored = try counter.stored ?? super.counter(key)
            let sum = stored &+ counter.delta
            if sum == 0 {
                try rawDelete(internals.counters, key.bytes)
            } else {
                try rawPut(internals.counters, key.bytes, sum.binaryEncoded())
            }
        }
        batch.counters = [:]
    }
}
