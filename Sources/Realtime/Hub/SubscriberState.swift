import Shop
import Synchronization

/// What the hub and one subscription's reader share: the filter, the bounded queue, the
/// waiting reader or the sink that takes live frames, and where the history replay stands.
///
/// The hub offers frames under its own lock and then this one (always in that order);
/// the reader takes only this lock. Nothing here awaits or calls out while holding it.
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
        var topics: Set<String> {
            didSet { topicSet = TopicSet(topics) }
        }
        /// `topics` as bits, for the check made per event.
        private(set) var topicSet: TopicSet
        var role: Role
        var queue = FrameQueue()
        /// The reader, parked until a frame arrives or the subscription ends.
        var waiter: CheckedContinuation<Frame?, Never>?
        /// Takes live frames once the replay is done (see ``FrameSink``); no reader parks then.
        var sink: (any FrameSink)?
        /// The sink was told and has not yet emptied the queue: it is not told again.
        var sinkWoken = false
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
        state = Mutex(State(topics: topics, topicSet: TopicSet(topics), role: role, replayCursor: resumeAfter, replayEnd: hubPosition,
                            liveAfter: max(resumeAfter, hubPosition)))
    }

    /// Queues a live frame when the subscriber may see it, and returns the sink to wake (at
    /// most once until it takes the queue). Called by the hub under its lock; the caller wakes
    /// the sink after letting go of it.
    func offer(_ frame: Frame, verdict: Audience.Verdict) -> (Offer, wake: (any FrameSink)?) {
        let (result, waiter, sink) = state.withLock { s -> (Offer, CheckedContinuation<Frame?, Never>?, (any FrameSink)?) in
            if s.finished { return (.gone, nil, nil) }
            guard let topic = frame.topic, s.topicSet.contains(topic), verdict.admits(userId: userId, role: s.role) else {
                return (.skipped, nil, nil)
            }
            if let sequence = frame.sequence, sequence <= s.liveAfter { return (.skipped, nil, nil) }
            if let waiter = s.waiter {
                // The reader parks only once the queue is empty and the replay done.
                s.waiter = nil
                return (.delivered, waiter, nil)
            }
            s.queue.append(frame)
            if s.queue.count > queueLimit {
                s.queue.removeAll()
                s.queue.append(.resync(.slowConsumer))
                s.finished = true
                return (.overflowed, nil, Self.takeWake(&s))
            }
            return (.delivered, nil, Self.takeWake(&s))
        }
        waiter?.resume(returning: frame)
        return (result, sink)
    }

    /// The sink, when it has not been told yet that frames wait.
    private static func takeWake(_ s: inout State) -> (any FrameSink)? {
        guard let sink = s.sink, !s.sinkWoken else { return nil }
        s.sinkWoken = true
        return sink
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

    /// Resumes a parked reader with the next queued frame (nil when there is none), or tells
    /// the sink, so the end reaches whoever takes the frames.
    private func wakeReader() {
        let (waiter, frame, sink) = state.withLock { s -> (CheckedContinuation<Frame?, Never>?, Frame?, (any FrameSink)?) in
            guard let waiter = s.waiter else { return (nil, nil, Self.takeWake(&s)) }
            s.waiter = nil
            return (waiter, s.queue.popFirst(), nil)
        }
        waiter?.resume(returning: frame)
        sink?.framesReady()
    }

    /// Hands live delivery to `sink` (the replay is done): it is told at once when frames
    /// already wait or the subscription already ended.
    func deliver(to sink: any FrameSink) {
        let wake = state.withLock { s -> (any FrameSink)? in
            s.sink = sink
            s.sinkWoken = false
            return s.queue.isEmpty && !s.finished ? nil : Self.takeWake(&s)
        }
        wake?.framesReady()
    }

    /// The frames queued now, up to `limit`, without waiting, and whether the subscription has
    /// ended with them (nothing more will come). Once the queue is empty the sink is told
    /// again about the next frame.
    func takeQueued(limit: Int) -> (frames: [Frame], ended: Bool) {
        state.withLock { s in
            let frames = s.queue.popFirst(limit)
            if s.queue.isEmpty { s.sinkWoken = false }
            return (frames, s.finished && s.queue.isEmpty)
        }
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
