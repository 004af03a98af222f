import Shop

/// How a replica waits for its own copy of the store to hold a commit the primary made.
///
/// A forwarded write is answered only once the replica's feed head reaches the primary's
/// `Feed-Head` after the write, so a client reads its own write on the node it talks to.
/// Production polls the local head (``PollingFeedHead``); when the store's follower mode can
/// signal each applied commit, a notifying implementation replaces it without touching the
/// forwarding (``ReplicationSetup/catchUp``). Tests whose "replica" is not fed inject their own.
public protocol FeedHeadWaiting: Sendable {
    /// Returns true once the local feed head is at least `head`, false when `timeout` passed first.
    func wait(untilHeadReaches head: UInt64, timeout: Duration) async -> Bool
}

/// Asks the shop's feed head every `interval` (2 ms by default): reading the head is one
/// atomic load, so polling costs nothing measurable, and a write's extra latency stays under
/// the interval once the commit is applied.
public struct PollingFeedHead: FeedHeadWaiting {
    let head: @Sendable () -> UInt64
    let interval: Duration

    public init(shop: Shop, interval: Duration = .milliseconds(2)) {
        self.init(interval: interval) { shop.feedHead }
    }

    /// Polls any head, for a follower that keeps it elsewhere.
    public init(interval: Duration = .milliseconds(2), head: @escaping @Sendable () -> UInt64) {
        self.head = head
        self.interval = interval
    }

    public func wait(untilHeadReaches target: UInt64, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while head() < target {
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return false }
            try? await Task.sleep(for: interval)
        }
        return true
    }
}
