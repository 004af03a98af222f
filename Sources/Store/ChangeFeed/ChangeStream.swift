/// The change feed from a sequence on: history first, then live commits, with no gap and no duplicate.
///
/// ```swift
/// for try await change in environment.follow(after: lastSeen) {
///     apply(change); lastSeen = change.sequence
/// }
/// ```
///
/// Records arrive only after their commit, in sequence order. Memory stays bounded: a
/// follower that falls behind the live stream goes back to reading history from the
/// store and rejoins live when caught up. Iteration throws ``StoreError/Code/sinceTooOld``
/// when the records it needs were trimmed, and ends when the environment closes.
public struct ChangeStream: AsyncSequence {
    public typealias Element = ChangeRecord
    let environment: Environment
    let after: UInt64

    public func makeAsyncIterator() -> Iterator {
        Iterator(environment: environment, last: after)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let environment: Environment
        /// The sequence of the last record handed out.
        var last: UInt64
        var buffer: [ChangeRecord] = []
        var index = 0
        var live: ChangeFeedHub.Stream.AsyncIterator?
        /// The head when `live` was registered: history covers up to here.
        var historyEnd: UInt64 = 0

        init(environment: Environment, last: UInt64) {
            self.environment = environment
            self.last = last
        }

        /// Whether `next()` has a record at hand without waiting: the rest of the commit (or
        /// history page) the last record came from. A follower that batches its own work
        /// (the hub wakes each socket once per commit, not once per record) flushes when false.
        public var hasRecordsAtHand: Bool { index < buffer.count }

        public mutating func next() async throws -> ChangeRecord? {
            while true {
                if index < buffer.count {
                    let record = buffer[index]
                    index += 1
                    last = record.sequence
                    return record
                }
                buffer = []
                index = 0
                if live == nil {
                    let (stream, head) = environment.feedHub.follow()
                    live = stream.makeAsyncIterator()
                    historyEnd = head
                }
                if last < historyEnd {
                    buffer = try environment.changes(after: last, limit: 512)
                    if buffer.isEmpty { historyEnd = last }
                    continue
                }
                do {
                    guard let batch = try await live?.next() else { return nil }
                    let after = last
                    buffer = batch.filter { $0.sequence > after }
                } catch is FollowerLagged {
                    live = nil
                }
            }
        }
    }
}
