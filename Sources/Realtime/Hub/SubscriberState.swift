import Shop
import Synchronization

/// What the hub and one subscription's reader share: the filter, the bounded queue, the
/// waiting reader, and where the history replay stands.
///
/// The hub offers frames under its own lock and then this one (always in that order);
/// the reader takes only this lock. Nothing here awaits while holding it.
final class SubscriberState: Sendable {
    enum Offer {
        /// Queued or handed to the waiting reader.
        case delivered
        /// Not for this subscriber (topic, audience, or already replayed).
        case skipped
        /// The queue overflowed: the subscriber got `resync` and must be dropped.
        case overflowed
        /// The subscription has ended; drop it.
        case gone
    }

    struct State {
        var topics: Set<String>
        var role: Role
        var queue = FrameQueue()
        /// The reader, parked until a frame arrives or the subscription ends.
        var waiter: CheckedContinuation<Frame?, Never>?
        /// Nothing more will be queued; the reader drains what is left, then gets nil.
        var finished = false
        /// The last sequence the replay has covered.
        var replayCursor: UInt64
        /// The hub's position when the subscription registered: history covers up to here,
        /// live frames start after it.
        let replayEnd: UInt64
        var replayed: [Frame] = []
        var replayedIndex = 0
        /// Live frames at or below this sequence were (or will be) replayed; they are skipped.
        let liveAfter: UInt64

        var replayDone: Bool { replayedIndex >= replayed.count && (finished || replayCursor >= replayEnd) }
    }

    let id: UInt64
    let userId: UInt64?
    let queueLimit: Int
    let state: Mutex<State>

    init(id: UInt64, userId: UInt64?, role: Role, topics: Set<String>, queueLimit: Int, resumeAfter: UInt64, hubPosition: UInt64) {
        self.id = id
        self.userId = userId
        self.queueLimit = max(1, queueLimit)
        state = Mutex(State(topics: topics, role: role, replayCursor: resumeAfter, replayEnd: hubPosition,
                            liveAfter: max(resumeAfter, hubPosition)))
    }

    /// Whether this subscriber wants `topic` and may see an event for `audience`.
    static func admits(_ s: State, userId: UInt64?, topic: Topic?, audience: Audience) -> Bool {
        guard let topic, s.topics.contains(topic.rawValue) else { return false }
        return audience.canSee(userId: userId, role: s.role)
    }

    /// Queues a live frame when the subscriber may see it. Called by the hub under its lock.
    func offer(_ frame: Frame, audience: Audience) -> Offer {
        let (result, waiter) = state.withLock { s -> (Offer, CheckedContinuation<Frame?, Never>?) in
            if s.finished { return (.gone, nil) }
            guard Self.admits(s, userId: userId, topic: frame.topic, audience: audience) else { return (.skipped, nil) }
            if let sequence = frame.sequence, sequence <= s.liveAfter { return (.skipped, nil) }
            if let waiter = s.waiter {
                // The reader parks only once the queue is empty and the replay done.
                s.waiter = nil
                return (.delivered, waiter)
            }
            s.queue.append(frame)
            if s.queue.count > queueLimit {
                s.queue.removeAll()
                s.queue.append(.resync(.slowConsumer))
                s.finished = true
                return (.overflowed, nil)
            }
            return (.delivered, nil)
        }
        waiter?.resume(returning: frame)
        return result
    }

    /// Ends the subscription with a final `resync` frame in place of whatever was queued.
    func end(with reason: ResyncReason) {
        state.withLock { s in
            s.queue.removeAll()
            s.queue.append(.resync(reason))
            s.finished = true
            s.replayed = []
            s.replayedIndex = 0
            s.replayCursor = s.replayEnd
        }
        // A parked reader has an empty queue and a finished replay, so it cannot exist here
        // unless the queue was empty; hand it the frame.
        wakeReader()
    }

    /// Ends the subscription; with `dropQueued`, frames not yet read are discarded.
    func finish(dropQueued: Bool) {
        state.withLock { s in
            s.finished = true
            if dropQueued { s.queue.removeAll() }
        }
        wakeReader()
    }

    /// Resumes a parked reader with the next queued frame, or nil when there is none.
    private func wakeReader() {
        let (waiter, frame) = state.withLock { s -> (CheckedContinuation<Frame?, Never>?, Frame?) in
            guard let waiter = s.waiter else { return (nil, nil) }
            s.waiter = nil
            return (waiter, s.queue.popFirst())
        }
        waiter?.resume(returning: frame)
    }

    /// Every frame queued now, up to `limit`, parking the reader until there is at least one;
    /// empty once finished and drained, or when the reading task is cancelled.
    ///
    /// A writer that takes all it can at once writes them with one system call.
    func nextQueuedBatch(limit: Int) async -> [Frame] {
        let ready = state.withLock { $0.queue.popFirst(limit) }
        if !ready.isEmpty { return ready }
        guard let first = await nextQueued() else { return [] }
        // Frames queued while the reader was waking up join the first.
        return [first] + state.withLock { $0.queue.popFirst(limit - 1) }
    }

    /// The next queued frame, parking the reader until one arrives; nil once finished and
    /// drained, or when the reading task is cancelled.
    func nextQueued() async -> Frame? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Frame?, Never>) in
                let immediate = state.withLock { s -> Frame?? in
                    if let frame = s.queue.popFirst() { return .some(frame) }
                    if s.finished || Task.isCancelled { return .some(nil) }
                    s.waiter = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Frame?, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
