import Foundation
import Synchronization

/// How replication stands on this node, for `/health` and `/metrics`: kept by the feed shipper
/// on a primary and by the replica follower on a replica, read by the server on each request.
public final class ReplicationStatus: Sendable {
    public enum Role: String, Sendable { case primary, replica }

    /// One reading of the status.
    public struct Report: Sendable, Equatable {
        public var role: Role
        /// The NATS client's connection: "connected", "reconnecting", "closed", or "not started".
        public var nats: String
        /// A primary: the last feed sequence stored in the stream. A replica: the last applied.
        public var position: UInt64
        /// A replica: the primary's feed head as last heard (from the primary or the stream).
        public var primaryHead: UInt64?
        /// A replica: whether the primary answered its last status request.
        public var primaryReachable: Bool?
        /// A replica: how many sequences it is behind the primary's head as last heard.
        public var lagSequences: UInt64
        /// A replica: how long it has been behind (0 when caught up); a primary: how long the
        /// oldest unshipped commit has waited.
        public var lagMilliseconds: UInt64
        /// A replica: from commit on the primary to applied here, for the last batch applied.
        public var lastApplyDelayMilliseconds: UInt64?
        /// Why replication stopped, in one line for people; nil while it runs.
        public var stopped: String?
        /// The last error met and recovered from (NATS down, the primary unreachable…).
        public var lastError: String?
    }

    private let state: Mutex<Report>
    /// From how many sequences or milliseconds behind a replica says it is not fit to serve.
    public let maxLagSequences: UInt64
    public let maxLagMilliseconds: UInt64

    public init(role: Role, maxLagSequences: UInt64 = 10_000, maxLagMilliseconds: UInt64 = 30_000) {
        state = Mutex(Report(role: role, nats: "not started", position: 0, lagSequences: 0, lagMilliseconds: 0))
        self.maxLagSequences = maxLagSequences
        self.maxLagMilliseconds = maxLagMilliseconds
    }

    public var report: Report { state.withLock { $0 } }

    func update(_ change: (inout Report) -> Void) {
        state.withLock { change(&$0) }
    }

    /// Whether a load balancer should send this node clients: replication runs, and a replica
    /// is within its lag limits. A primary stays fit while NATS is away (it keeps selling).
    public var isFit: Bool {
        let report = self.report
        guard report.stopped == nil else { return false }
        guard report.role == .replica else { return true }
        return report.lagSequences <= maxLagSequences && report.lagMilliseconds <= maxLagMilliseconds
    }
}
