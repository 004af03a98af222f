import CLMDB
import Foundation

/// Replication: a primary reads its feed as whole write calls, a follower applies them.
///
/// ```
/// primary: feedTransactions(after: shipped) ─► FeedBatch ─► (NATS JetStream) ─► follower: apply(batch)
/// ```
///
/// A follower is a store like any other (it serves reads, its feed has followers, it trims
/// its feed by its own retention) whose writer refuses every call that would log a change:
/// its changes come only from the primary, applied through the same collections, so that
/// records, versions, index entries, counters and feed sequences come out the same.
extension Environment {
    /// Makes this store a follower of a primary: from now on a write that would log a change
    /// throws ``StoreError/Code/follower``; only ``apply(_:)`` adds to the feed. Call it after
    /// opening the collections (opening them may build indexes) and before serving.
    public func becomeFollower() {
        writer.isFollower = true
    }

    public var isFollower: Bool { writer.isFollower }

    /// Whole write calls from the feed, the first starting right after `after`, until at least
    /// `maxRecords` records are taken (a call is never split) or the feed ends.
    ///
    /// `after` must end a write call (0, or a sequence some call ended with): the shipper's
    /// position always does. Throws ``StoreError/Code/sinceTooOld`` when records after `after`
    /// were trimmed.
    public func feedTransactions(after: UInt64, maxRecords: Int) throws -> [FeedTransaction] {
        try read { txn in
            let trim = try Self.trimPoint(txn)
            guard after >= trim else {
                throw StoreError(.sinceTooOld, "changes up to \(trim) were trimmed; asked for after \(after)")
            }
            var transactions: [FeedTransaction] = []
            var current: [ChangeRecord] = []
            var taken = 0
            func close() throws {
                guard let id = current.first?.transactionId else { return }
                let counters = try UInt64Key.encode(id).withUnsafeBytes { key in
                    try txn.rawGet(txn.internals.commitCounters, key).map { try FeedTransaction.decodeCounters($0) }
                } ?? []
                transactions.append(FeedTransaction(records: current, counterDeltas: counters))
                current = []
            }
            try txn.scanRaw(txn.internals.feed, after: UInt64Key.encode(after)) { k, v in
                let record = try ChangeRecord(sequence: try UInt64Key.decode(k), body: v)
                if record.transactionId == record.sequence {
                    try close()
                    if taken >= maxRecords { return false }
                } else if current.isEmpty {
                    throw StoreError(.invalidArgument, "sequence \(after) is inside write call \(record.transactionId), not at its end")
                }
                current.append(record)
                taken += 1
                return true
            }
            try close()
            return transactions
        }
    }

    /// Where the feed's oldest whole write call begins, less one: the position to read the feed
    /// from its beginning with ``feedTransactions(after:maxRecords:)`` (a trim may have cut
    /// the oldest call kept in two; its rest is skipped). The head when the feed holds nothing.
    public func feedStart() throws -> UInt64 {
        let head = self.head
        return try read { txn in
            var start: UInt64?
            try txn.scanRaw(txn.internals.feed, after: UInt64Key.encode(try Self.trimPoint(txn))) { k, v in
                let record = try ChangeRecord(sequence: try UInt64Key.decode(k), body: v)
                guard record.transactionId == record.sequence else { return true }
                start = record.sequence - 1
                return false
            }
            return start ?? head
        }
    }

    /// Applies a batch of the primary's write calls in one write, and returns the new head.
    ///
    /// Calls this store already holds (at or below its head) are skipped, so a batch seen
    /// twice changes nothing. Throws ``StoreError/Code/replicationMismatch``, writing nothing,
    /// when the batch is of another epoch, does not continue the feed where it ends, or finds a
    /// record at another version than the primary had it (the copies have parted ways).
    @discardableResult
    public func apply(_ batch: FeedBatch) async throws -> UInt64 {
        guard batch.epoch == epoch else {
            throw StoreError(.replicationMismatch, "the changes are of epoch \(batch.epoch); this store is of epoch \(epoch)")
        }
        let appliers = replicaAppliers.withLock { $0 }
        let hooks = replicaHooks.withLock { $0 }
        let transactions = batch.transactions
        return try await write { txn in
            for transaction in transactions { try txn.applyReplicated(transaction, appliers: appliers, hooks: hooks) }
            return txn.batch.nextSequence - 1
        }
    }
}

/// Runs on a follower in the write that applies a replicated change of one collection, after the
/// record and its feed record are written: `replaced` is the record's encoded value as this copy
/// held it before (nil when there was none). What the primary did beside its records (such as
/// rewriting its retained feed) is redone here from what the change says.
public typealias ReplicaHook = @Sendable (_ txn: WriteTransaction, _ change: ChangeRecord, _ replaced: [UInt8]?) throws -> Void

extension Environment {
    /// Has a follower run `hook` for each replicated change of `collection` (one hook per
    /// collection; a later one replaces it). A primary never runs it.
    public func onReplicatedChange(of collection: String, _ hook: @escaping ReplicaHook) {
        replicaHooks.withLock { $0[collection] = hook }
    }
}

/// What a follower needs of a collection: applying a replicated put or delete with its indexes.
protocol ReplicaApplier: Sendable {
    func applyReplicated(_ txn: WriteTransaction, _ change: ChangeRecord) throws
    /// The record's encoded value as stored here now (without its version), nil when absent.
    func storedPayload(_ txn: ReadTransaction, key: [UInt8]) throws -> [UInt8]?
}

extension TypedCollection: ReplicaApplier {
    func storedPayload(_ txn: ReadTransaction, key: [UInt8]) throws -> [UInt8]? {
        try txn.rawGet(dbi, key).map { stored in try stored.withUnsafeBytes { Array(try Self.payload(of: $0)) } }
    }

    /// Writes a change the primary made: the record at exactly the primary's version, its index
    /// entries moved by this collection's index definitions. The record's version here must be
    /// the one the primary changed, or the copies have parted ways.
    func applyReplicated(_ txn: WriteTransaction, _ change: ChangeRecord) throws {
        let old = try txn.rawGet(dbi, change.key)
        let oldVersion = try old.map { try $0.withUnsafeBytes { try Self.version(of: $0) } }
        let oldValue = try old.map { stored in try stored.withUnsafeBytes { try V.decode(try Self.payload(of: $0)) } }
        switch change.operation {
        case .put:
            guard let payload = change.value, oldVersion.map({ $0 &+ 1 }) ?? 1 == change.version else {
                throw StoreError(.replicationMismatch, "\(name): change \(change.sequence) makes version \(change.version) of a record at version \(oldVersion.map(String.init) ?? "none") here")
            }
            let value = try payload.withUnsafeBytes { try V.decode($0) }
            if !indexes.isEmpty { try updateIndexes(txn, primaryKey: change.key, old: oldValue, new: value) }
            var writer = BinaryWriter(capacity: 8 + payload.count)
            writer.writeFixed64(change.version)
            writer.bytes.append(contentsOf: payload)
            try txn.rawPut(dbi, change.key, writer.bytes)
        case .delete:
            guard oldVersion == change.version else {
                throw StoreError(.replicationMismatch, "\(name): change \(change.sequence) deletes version \(change.version) of a record at version \(oldVersion.map(String.init) ?? "none") here")
            }
            if !indexes.isEmpty { try updateIndexes(txn, primaryKey: change.key, old: oldValue, new: nil) }
            try txn.rawDelete(dbi, change.key)
        }
    }
}

extension WriteTransaction {
    /// Applies one of the primary's write calls: its records through their collections, its
    /// feed records as they were, its counter changes. Skipped when this store already holds it.
    func applyReplicated(_ transaction: FeedTransaction, appliers: [String: any ReplicaApplier], hooks: [String: ReplicaHook] = [:]) throws {
        let next = batch.nextSequence
        if transaction.lastSequence < next { return }
        guard transaction.firstSequence == next else {
            throw StoreError(.replicationMismatch, "the store's feed ends at \(next - 1); the next changes received begin at \(transaction.firstSequence)")
        }
        for change in transaction.records {
            guard let applier = appliers[change.collection] else {
                throw StoreError(.replicationMismatch, "change \(change.sequence) is of collection \(change.collection), which this store has not opened")
            }
            let hook = hooks[change.collection]
            let replaced = hook == nil ? nil : try applier.storedPayload(self, key: change.key)
            try applier.applyReplicated(self, change)
            try appendReplicated(change)
            if let hook {
                applyingReplicated = true
                defer { applyingReplicated = false }
                try hook(self, change, replaced)
            }
        }
        guard !transaction.counterDeltas.isEmpty else { return }
        for counter in transaction.counterDeltas {
            try addReplicated(toCounter: OrderedKey(bytes: counter.key), counter.delta)
        }
        // Kept beside the feed as the primary keeps it (see ``finishCall()``), per write call.
        var w = BinaryWriter()
        FeedTransaction.writeCounters(transaction.counterDeltas, to: &w)
        try rawPut(internals.commitCounters, UInt64Key.encode(transaction.firstSequence), w.bytes)
    }
}
