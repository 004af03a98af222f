import NATSClient
import Store

/// One message of the feed stream: a ``FeedBatch`` (whole write calls of one epoch, in order)
/// with headers that tell, without decoding it, which epoch and sequences it holds.
///
/// Its JetStream message id is `<epoch>:<last sequence>`, and the primary publishes each one
/// expecting the previous one's id as the stream's last: a message sent twice (a lost
/// acknowledgement, a restart of either side) is stored once, and none is stored out of order
/// or after a gap.
enum FeedMessage {
    static let epochHeader = "Tenda-Epoch"
    static let firstHeader = "Tenda-First-Seq"
    static let lastHeader = "Tenda-Last-Seq"

    static func id(epoch: String, last: UInt64) -> String { "\(epoch):\(last)" }

    static func headers(_ batch: FeedBatch) -> [String: String] {
        [epochHeader: batch.epoch, firstHeader: String(batch.firstSequence), lastHeader: String(batch.lastSequence)]
    }

    /// What a stored message's headers say it holds; nil when they are not ours.
    struct Span: Equatable {
        let epoch: String
        let first: UInt64
        let last: UInt64
        var id: String { FeedMessage.id(epoch: epoch, last: last) }
    }

    static func span(_ headers: [String: String]) -> Span? {
        guard let epoch = headers[epochHeader], let first = headers[firstHeader].flatMap(UInt64.init),
              let last = headers[lastHeader].flatMap(UInt64.init), first <= last else { return nil }
        return Span(epoch: epoch, first: first, last: last)
    }
}

/// Where a follower whose store ends at `head` picks the stream up.
enum StreamPosition: Equatable {
    /// Subscribe from this stream sequence: the first message holding changes after `head`.
    case from(UInt64)
    /// The stream no longer holds the changes right after `head` (its retention dropped them,
    /// or it was started again from a later point): only a fresh snapshot can continue.
    case tooOld(firstKept: UInt64)

    /// Binary search over the stream's messages (their feed spans rise with their stream
    /// sequences): O(log n) reads of single messages.
    static func locate(after head: UInt64, stream: String, in client: JetStreamClient) throws -> StreamPosition {
        let state = try client.streamState(stream)
        guard state.messages > 0, state.lastSequence >= state.firstSequence else { return .from(state.lastSequence + 1) }
        func span(_ sequence: UInt64) throws -> FeedMessage.Span? {
            try client.message(stream: stream, sequence: sequence).flatMap { FeedMessage.span($0.headers) }
        }
        // The first stream sequence whose message ends after `head`.
        var low = state.firstSequence, high = state.lastSequence + 1
        while low < high {
            let middle = low + (high - low) / 2
            if let found = try span(middle), found.last <= head { low = middle + 1 } else { high = middle }
        }
        guard low <= state.lastSequence else { return .from(low) }
        guard let found = try span(low) else { return .from(low) }
        return found.first <= head + 1 ? .from(low) : .tooOld(firstKept: found.first)
    }
}

extension FeedStreamSettings {
    /// Where the stream's feed begins when it no longer holds the changes right after `head`
    /// (its retention dropped them, or it began again later); nil when it continues `head`.
    /// For a replica deciding, before it serves, whether its copy can still follow. Throws when
    /// NATS cannot be asked.
    public func firstKeptSequence(ifNotContinuing head: UInt64) async throws -> UInt64? {
        let (servers, stream) = (self.servers, self.stream)
        return try await BlockingLane("tenda.replica-check").run {
            let client = try JetStreamClient.connect(servers: servers, name: "tenda-replica-check")
            defer { client.close() }
            if case .tooOld(let firstKept) = try StreamPosition.locate(after: head, stream: stream, in: client) { return firstKept }
            return nil
        }
    }
}
