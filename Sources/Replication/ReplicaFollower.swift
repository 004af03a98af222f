import Foundation
import Logging
import NATSClient
import ServiceLifecycle
import Store

/// A replica's side of replication: reads the primary's feed from the JetStream stream, from
/// exactly after its own store's head, and applies it through the store's follower mode
/// (``Environment/apply(_:)``), so its records, indexes, counters and feed sequences are the
/// primary's, and its own clients (WebSocket, SSE, long-poll) see the changes live.
///
/// It keeps ``ReplicationStatus`` current: the position applied, the primary's head (asked of
/// the primary every second, and read off the stream), the lag in sequences and time.
///
/// A stream that cannot continue this store (another epoch: the primary was restored; or its
/// retention dropped the changes right after this store's head) stops the follower with a
/// clear reason in the status and the log; the replica keeps serving what it has, reports
/// itself unfit on `/health`, and takes a fresh snapshot when it is started again.
public struct ReplicaFollower: Service {
    /// The primary's epoch and feed head, as it answers its replicas.
    public typealias PrimaryStatus = @Sendable () async throws -> (epoch: String, head: UInt64)

    let environment: Environment
    let settings: FeedStreamSettings
    let status: ReplicationStatus
    let primaryStatus: PrimaryStatus
    let logger: Logger

    public init(environment: Environment, settings: FeedStreamSettings, status: ReplicationStatus,
                primaryStatus: @escaping PrimaryStatus, logger: Logger) {
        self.environment = environment
        self.settings = settings
        self.status = status
        self.primaryStatus = primaryStatus
        self.logger = logger
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await watchPrimary() }
                await follow()
                // Stopped (the reason is in the status): the replica goes on serving what it
                // has, and on telling /health about the primary, until it is shut down. A
                // service that returned would take the whole server down with it.
                await group.waitForAll()
            }
        }
    }

    /// Asks the primary for its head every second: the lag, and whether the primary is there.
    private func watchPrimary() async {
        while !Task.isCancelled {
            do {
                let answer = try await primaryStatus()
                noteHead(answer.head, reachable: true)
            } catch {
                status.update { $0.primaryReachable = false }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Folds a newly heard primary head (or a newly applied position) into the lag.
    private func noteHead(_ heard: UInt64?, reachable: Bool? = nil) {
        let applied = environment.head
        status.update { report in
            if let heard { report.primaryHead = max(report.primaryHead ?? 0, heard) }
            if let reachable { report.primaryReachable = reachable }
            report.position = applied
            let lag = (report.primaryHead ?? applied) > applied ? (report.primaryHead ?? applied) - applied : 0
            report.lagSequences = lag
            if lag == 0 { report.lagMilliseconds = 0 }
        }
    }

    private func follow() async {
        let lane = BlockingLane("tenda.replica-follower")
        var client: JetStreamClient?
        defer { client?.close() }
        // When this replica was first seen behind the primary, for the lag in time.
        var behindSince: Date?
        while !Task.isCancelled {
            var subscription: OrderedSubscription?
            do {
                if client == nil {
                    let servers = settings.servers
                    client = try await lane.run { try JetStreamClient.connect(servers: servers, name: "tenda-replica") }
                }
                guard let nats = client else { continue }
                let (stream, subject, head) = (settings.stream, settings.subject, environment.head)
                let start: UInt64
                switch try await lane.run({ try StreamPosition.locate(after: head, stream: stream, in: nats) }) {
                case .from(let sequence): start = sequence
                case .tooOld(let firstKept):
                    throw ReplicationStopped(reason: "the stream keeps the feed from sequence \(firstKept) on, and this copy ends at \(head): restart this replica to take a fresh snapshot of the primary")
                }
                logger.info("following feed stream \(stream) from message \(start) (this store's head: \(head))")
                let opened = try await lane.run { try nats.subscribeOrdered(stream: stream, subject: subject, startSequence: start) }
                subscription = opened
                status.update { $0.nats = nats.state; $0.lastError = nil }
                while !Task.isCancelled {
                    let message = try await lane.run { try opened.next(timeout: .milliseconds(500)) }
                    let state = nats.state
                    status.update { $0.nats = state }
                    if message == nil, state == "closed" { throw NATSConnectionLost() }
                    updateLagClock(&behindSince)
                    guard let message else { continue }
                    guard let span = FeedMessage.span(message.headers) else {
                        logger.warning("feed stream message \(message.streamSequence) is not a Tenda feed message; skipped")
                        continue
                    }
                    guard span.epoch == environment.epoch else {
                        throw ReplicationStopped(reason: "the stream holds epoch \(span.epoch), this store is of epoch \(environment.epoch) (the primary was restored from a backup?): restart this replica to take a fresh snapshot")
                    }
                    noteHead(span.last)
                    if span.last <= environment.head { continue }
                    let batch = try FeedBatch(decoding: message.payload)
                    try await environment.apply(batch)
                    let committed = batch.transactions.last?.records.last?.at
                    noteHead(nil)
                    status.update { $0.lastApplyDelayMilliseconds = committed.map(FeedShipper.milliseconds(since:)) }
                    updateLagClock(&behindSince)
                }
            } catch is CancellationError {
                subscription?.close()
                return
            } catch let stop as ReplicationStopped {
                subscription?.close()
                logger.error("replication stopped: \(stop.reason)")
                status.update { $0.stopped = stop.reason }
                return
            } catch let error as StoreError where error.code == .replicationMismatch {
                subscription?.close()
                let reason = "\(error.message): restart this replica to take a fresh snapshot of the primary"
                logger.error("replication stopped: \(reason)")
                status.update { $0.stopped = reason }
                return
            } catch {
                subscription?.close()
                logger.warning("following the feed stream: \(error); trying again")
                status.update { $0.lastError = "\(error)"; $0.nats = client?.state ?? "not connected" }
                // A new connection each time: the client does not mend a lost one.
                client?.close()
                client = nil
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Starts or stops the clock of how long this replica has been behind.
    private func updateLagClock(_ behindSince: inout Date?) {
        let lag = status.report.lagSequences
        if lag == 0 {
            behindSince = nil
        } else if behindSince == nil {
            behindSince = Date()
        }
        let since = behindSince
        status.update { $0.lagMilliseconds = since.map(FeedShipper.milliseconds(since:)) ?? 0 }
    }
}

/// The NATS connection closed under a subscription (the client does not mend it): start again.
struct NATSConnectionLost: Error, CustomStringConvertible {
    var description: String { "the connection to NATS was lost" }
}
