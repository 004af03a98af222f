import Foundation
import Logging
import NATSClient
import ServiceLifecycle
import Store

/// The primary's side of replication: follows the durable change feed and stores it in the
/// JetStream stream, in commit order, one message per run of whole write calls.
///
/// It reads the feed from the store, never from memory: when NATS is down or slow, shipping
/// waits and catches up from where the stream ends, and the primary keeps selling. Where the
/// stream ends is read from the stream itself on every (re)start (its last message's
/// headers), and each message is published expecting the previous one's id, so nothing is
/// stored twice, out of order or after a gap, whichever side restarts.
///
/// A new or empty stream begins with the oldest whole write call the feed keeps. A stream
/// holding another epoch (the primary was restored from a backup) is purged and begun again
/// the same way: replicas of the old history then take a fresh snapshot. So is one whose end
/// this store has trimmed away (NATS was away longer than the feed's retention).
public struct FeedShipper: Service {
    let environment: Environment
    let settings: FeedStreamSettings
    let status: ReplicationStatus
    let logger: Logger

    public init(environment: Environment, settings: FeedStreamSettings, status: ReplicationStatus, logger: Logger) {
        self.environment = environment
        self.settings = settings
        self.status = status
        self.logger = logger
    }

    public func run() async {
        await cancelWhenGracefulShutdown { await ship() }
        // Stopped (the reason is in the status): the primary goes on selling until it is shut
        // down. A service that returned would take the whole server down with it.
        try? await gracefulShutdown()
    }

    /// Where the stream ends: the last feed sequence it holds and its message id.
    private struct Position {
        var sequence: UInt64
        var lastId: String?
    }

    private func ship() async {
        let lane = BlockingLane("tenda.feed-shipper")
        var client: JetStreamClient?
        var position: Position?
        defer { client?.close() }
        while !Task.isCancelled {
            do {
                if client == nil {
                    let servers = settings.servers
                    client = try await lane.run { try JetStreamClient.connect(servers: servers, name: "tenda-primary") }
                }
                guard let nats = client else { continue }
                if position == nil { position = try await lane.run { [self] in try prepareStream(nats) } }
                guard let current = position else { continue }

                let transactions: [FeedTransaction]
                do {
                    transactions = try environment.feedTransactions(after: current.sequence, maxRecords: settings.maxRecordsPerMessage)
                } catch let error as StoreError where error.code == .sinceTooOld {
                    let reason = "this store trimmed its feed past the stream's end (\(current.sequence))"
                    position = try await lane.run { [self] in try startOver(nats, because: reason) }
                    continue
                }
                guard let first = transactions.first?.records.first else {
                    status.update { $0.nats = nats.state; $0.position = current.sequence; $0.lagMilliseconds = 0 }
                    // Shipped all: wait for the next commit (the feed followed from here yields it
                    // as it lands, or at once when one landed since the read).
                    var bell = environment.follow(after: current.sequence).makeAsyncIterator()
                    _ = try await bell.next()
                    continue
                }
                let batch = FeedBatch(epoch: environment.epoch, transactions: transactions)
                status.update { $0.lagMilliseconds = Self.milliseconds(since: first.at) }
                let id = FeedMessage.id(epoch: batch.epoch, last: batch.lastSequence)
                let (subject, stream, expected) = (settings.subject, settings.stream, current.lastId)
                _ = try await lane.run {
                    try nats.publish(subject: subject, payload: batch.encoded(), headers: FeedMessage.headers(batch), messageId: id,
                                     expectLastMessageId: expected, expectStream: stream, timeout: .seconds(5))
                }
                position = Position(sequence: batch.lastSequence, lastId: id)
                status.update { $0.nats = nats.state; $0.position = batch.lastSequence; $0.lastError = nil }
            } catch is CancellationError {
                return
            } catch let stop as ReplicationStopped {
                logger.error("replication stopped: \(stop.reason)")
                status.update { $0.stopped = stop.reason }
                return
            } catch {
                // NATS away or slow, or a wrong expectation after a lost acknowledgement: find
                // where the stream ends again and go on from there.
                logger.warning("shipping the feed to NATS: \(error); trying again")
                status.update { $0.lastError = "\(error)"; $0.nats = client?.state ?? "not connected" }
                // A new connection each time: the client does not mend a lost one.
                client?.close()
                client = nil
                position = nil
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Makes sure the stream exists with the configured retention and finds where it ends.
    private func prepareStream(_ nats: JetStreamClient) throws -> Position {
        try nats.ensureStream(StreamSettings(
            name: settings.stream, subjects: [settings.subject], maxAge: settings.maxAge?.components.seconds ?? 0,
            maxBytes: settings.maxBytes ?? -1, replicas: settings.replicas, duplicateWindow: 120))
        let epoch = environment.epoch
        let head = environment.head
        guard let last = try nats.lastMessage(stream: settings.stream, subject: settings.subject) else {
            // A new stream (or one its retention emptied) begins with the oldest whole call the
            // feed keeps, so that a replica whose snapshot is older than this start can follow.
            let start = try environment.feedStart()
            logger.info("feed stream \(settings.stream) is empty: shipping the feed from sequence \(start + 1) on (head \(head))")
            return Position(sequence: start, lastId: nil)
        }
        guard let span = FeedMessage.span(last.headers) else {
            throw ReplicationStopped(reason: "stream \(settings.stream) holds messages that are not a Tenda feed (message \(last.sequence)); give the primary a stream of its own")
        }
        guard span.epoch == epoch else {
            return try startOver(nats, because: "the stream holds epoch \(span.epoch), this store is of epoch \(epoch) (restored from a backup?)")
        }
        guard span.last <= head else {
            throw ReplicationStopped(reason: "stream \(settings.stream) holds feed sequences up to \(span.last) of this epoch, but this store ends at \(head): it is not this primary's stream")
        }
        logger.info("feed stream \(settings.stream) holds up to feed sequence \(span.last); shipping from there (head \(head))")
        return Position(sequence: span.last, lastId: span.id)
    }

    /// Empties the stream and ships the feed again from its oldest whole call: replicas of what
    /// the stream held start over from a fresh snapshot.
    private func startOver(_ nats: JetStreamClient, because reason: String) throws -> Position {
        let start = try environment.feedStart()
        logger.warning("purging feed stream \(settings.stream): \(reason); shipping the feed from sequence \(start + 1) on, and replicas take a fresh snapshot")
        try nats.purgeStream(settings.stream)
        return Position(sequence: start, lastId: nil)
    }

    static func milliseconds(since date: Date) -> UInt64 {
        UInt64(max(0, Date().timeIntervalSince(date) * 1000))
    }
}

/// Replication cannot go on without someone's decision; the reason is one line for people.
struct ReplicationStopped: Error {
    let reason: String
}
