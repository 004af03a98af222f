import Foundation

/// One write call as the change feed keeps it: its change records and its counter changes.
///
/// This is the unit of replication. The primary reads its durable feed as a run of these
/// (``Environment/feedTransactions(after:maxRecords:)``) and ships them; a follower applies
/// them (``Environment/apply(_:)``) and ends with the same records, versions, index entries,
/// counters and feed sequences, written by the store's own collection code.
public struct FeedTransaction: Sendable, Equatable {
    /// The call's change records, in sequence order, all with this transaction's id.
    public let records: [ChangeRecord]
    /// What the call added to each counter (keys as ``OrderedKey`` bytes), sorted by key.
    public let counterDeltas: [CounterDelta]

    public struct CounterDelta: Sendable, Equatable {
        public let key: [UInt8]
        public let delta: Int64
    }

    public init(records: [ChangeRecord], counterDeltas: [CounterDelta]) {
        self.records = records
        self.counterDeltas = counterDeltas
    }

    /// The sequence of the first change record: the transaction's id.
    public var firstSequence: UInt64 { records.first?.sequence ?? 0 }
    public var lastSequence: UInt64 { records.last?.sequence ?? 0 }

    /// The counter changes as the store keeps them beside the feed (`_commitCounters`).
    static func encodeCounters(_ deltas: [(key: OrderedKey, delta: Int64)]) -> [UInt8] {
        // The bytes of writeCounters, in key order, written without an array of CounterDelta
        // between: every write call of the primary comes through here.
        var changed = deltas.filter { $0.delta != 0 }
        changed.sort { $0.key < $1.key }
        var w = BinaryWriter(capacity: 2 + changed.count * 32)
        w.writeVarint(UInt64(changed.count))
        for (key, delta) in changed {
            w.writeBytes(key.bytes)
            w.writeSigned(delta)
        }
        return w.bytes
    }

    static func decodeCounters(_ bytes: UnsafeRawBufferPointer) throws -> [CounterDelta] {
        var r = BinaryReader(bytes)
        return try readCounters(&r)
    }

    static func writeCounters(_ deltas: [CounterDelta], to w: inout BinaryWriter) {
        w.writeVarint(UInt64(deltas.count))
        for counter in deltas {
            w.writeBytes(counter.key)
            w.writeSigned(counter.delta)
        }
    }

    static func readCounters(_ r: inout BinaryReader) throws -> [CounterDelta] {
        let count = try r.readCount()
        var deltas: [CounterDelta] = []
        deltas.reserveCapacity(count)
        for _ in 0..<count { deltas.append(CounterDelta(key: try r.readBytes(), delta: try r.readSigned())) }
        return deltas
    }
}

/// Feed transactions of one epoch, in order, as bytes: what one replication message carries.
///
/// The format: a version byte (1), the epoch, then each transaction: its records (sequence,
/// then the feed's own stored form of the record) and its counter changes. Decoding checks
/// every length against the bytes left and that the records run on without a gap, so a
/// damaged or foreign message is refused with ``StoreError/Code/decodingFailed``, never trusted.
public struct FeedBatch: Sendable, Equatable {
    public let epoch: String
    public let transactions: [FeedTransaction]

    public init(epoch: String, transactions: [FeedTransaction]) {
        self.epoch = epoch
        self.transactions = transactions
    }

    public var firstSequence: UInt64 { transactions.first?.firstSequence ?? 0 }
    public var lastSequence: UInt64 { transactions.last?.lastSequence ?? 0 }
    public var recordCount: Int { transactions.reduce(0) { $0 + $1.records.count } }

    static let formatVersion: UInt8 = 1

    public func encoded() -> [UInt8] {
        var w = BinaryWriter(capacity: 64 + recordCount * 160)
        w.writeByte(Self.formatVersion)
        w.writeString(epoch)
        w.writeVarint(UInt64(transactions.count))
        for transaction in transactions {
            w.writeVarint(UInt64(transaction.records.count))
            for record in transaction.records {
                w.writeVarint(record.sequence)
                w.writeBytes(record.encodedBody(metadata: record.metadata.binaryEncoded()))
            }
            FeedTransaction.writeCounters(transaction.counterDeltas, to: &w)
        }
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws {
        self = try bytes.withUnsafeBytes { buffer in
            var r = BinaryReader(buffer)
            guard try r.readByte() == Self.formatVersion else {
                throw StoreError(.decodingFailed, "not a feed batch of format \(Self.formatVersion)")
            }
            let epoch = try r.readString()
            var transactions: [FeedTransaction] = []
            var expected: UInt64?
            for _ in 0..<(try r.readCount()) {
                var records: [ChangeRecord] = []
                let recordCount = try r.readCount()
                guard recordCount > 0 else { throw StoreError(.decodingFailed, "a feed transaction without change records") }
                for _ in 0..<recordCount {
                    let sequence = try r.readVarint()
                    let record = try ChangeRecord(sequence: sequence, body: try r.readByteSlice())
                    if let expected, sequence != expected {
                        throw StoreError(.decodingFailed, "feed batch jumps from \(expected - 1) to \(sequence)")
                    }
                    guard record.transactionId == (records.first?.sequence ?? sequence) else {
                        throw StoreError(.decodingFailed, "change \(sequence) names transaction \(record.transactionId)")
                    }
                    records.append(record)
                    expected = sequence &+ 1
                }
                transactions.append(FeedTransaction(records: records, counterDeltas: try FeedTransaction.readCounters(&r)))
            }
            return FeedBatch(epoch: epoch, transactions: transactions)
        }
    }
}
