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
        /// The subscribed topics, kept only as bits (the check made per event is one AND): every
        /// name that is not a topic is left out on the way in, so the names come back unchanged,
        /// and an idle subscriber holds no set of strings.
        var topics: Set<String> {
            get { topicSet.names }
            set { topicSet = TopicSet(newValue) }
        }
        private(set) var topicSet: TopicSet
        var role: Role
        /// The session the caller signed in with; it changes when a socket re-authenticates
        /// with a refreshed token (a refresh opens a new session record in the same family).
        var sessionId: UInt64?
        var queue = FrameQueue()
        /// The reader, parked until a frame arrives or the subscription ends.
        var waiter: ParkedReader?
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
        /// The live queries watched through this subscription, by the client's id.
        var watches: [String: QueryWatch] = [:]

        var replayDone: Bool { replayedIndex >= replayed.count && (finished || replayCursor >= replayEnd) }
    }

    let id: UInt64
    let userId: UInt64?
    let queueLimit: Int
    /// The store's epoch, named in the subscriber's `resync` frame.
    let epoch: String
    let state: Mutex<State>

    init(id: UInt64, userId: UInt64?, sessionId: UInt64?, role: Role, topics: Set<String>, queueLimit: Int, resumeAfter: UInt64,
         hubPosition: UInt64, epoch: String) {
        self.id = id
        self.epoch = epoch
        self.userId = userId
        self.queueLimit = max(1, queueLimit)
        let topics = Topic.allowed(topics, for: role)
        state = Mutex(State(topicSet: TopicSet(topics), role: role, sessionId: sessionId, replayCursor: resumeAfter,
                            replayEnd: hubPosition, liveAfter: max(resumeAfter, hubPosition)))
    }

    /// Whether the subscriber asked for a topic it may have.
    var hasTopics: Bool { state.withLock { !$0.topicSet.isEmpty } }

    /// Whether an access change is about this subscriber's caller.
    func isConcerned(by change: AccessChange) -> Bool {
        let sessionId = state.withLock { $0.sessionId }
        return change.concerns(userId: userId, sessionId: sessionId)
    }

    /// Takes a new role at once: topics above it are dropped, queued and replayed frames it may
    /// not see are taken back, and an `access` frame tells the reader what remains. Returns
    /// what to wake, to be called once the hub's lock is let go (nil when nothing changed).
    func apply(role: Role) -> (@Sendable () -> Void)? {
        let changed = state.withLock { s -> Bool in
            guard !s.finished, s.role != role else { return false }
            s.role = role
            s.topics = Topic.allowed(s.topics, for: role)
            let (userId, topicSet) = (userId, s.topicSet)
            let hidden = { (frame: Frame) -> Bool in
                guard frame.kind == .event else { return false }
                guard let topic = frame.topic, topicSet.contains(topic) else { return true }
                return !(frame.verdict?.admits(userId: userId, role: role) ?? false)
            }
            s.queue.removeAll(where: hidden)
            // Diffs queued under the old role may show what the new one may not: each watch is
            // read again whole under the new role (``Hub``) and its snapshot replaces them.
            s.queue.removeAll { $0.kind == .query }
            if s.replayedIndex < s.replayed.count {
                s.replayed = s.replayed[s.replayedIndex...].filter { !hidden($0) }
                s.replayedIndex = 0
            }
            s.queue.append(.access(role: role, topics: s.topics))
            return true
        }
        guard changed else { return nil }
        return { @Sendable [self] in wakeReader() }
    }

    /// Queues the live frames of one change (or one presence frame) that the subscriber may see,
    /// in order, under one lock; returns how many were queued, how the offer went, and the sink
    /// to wake (at most once until it takes the queue). Each frame carries its audience's
    /// ``Frame/verdict``. Called by the hub under its lock; the caller wakes the sink after
    /// letting go of it.
    func offer(_ frames: [Frame]) -> (delivered: Int, result: Offer, wake: (any FrameSink)?) {
        var handed: (reader: ParkedReader, frame: Frame)?
        let (delivered, result, sink) = state.withLock { s -> (Int, Offer, (any FrameSink)?) in
            if s.finished { return (0, .gone, nil) }
            var delivered = 0
            var sink: (any FrameSink)?
            for frame in frames {
                guard let topic = frame.topic, s.topicSet.contains(topic), let verdict = frame.verdict,
                      verdict.admits(userId: userId, role: s.role) else { continue }
                if let sequence = frame.sequence, sequence <= s.liveAfter { continue }
                let (result, reader, wake) = enqueue(frame, &s)
                if let reader { handed = (reader, frame) }
                if let wake { sink = wake }
                if case .overflowed = result { return (delivered, .overflowed, sink) }
                delivered += 1
            }
            return (delivered, delivered > 0 ? .delivered : .skipped, sink)
        }
        if let handed { handed.reader.continuation.resume(returning: handed.frame) }
        return (delivered, result, sink)
    }

    /// Hands `frame` to the parked reader or queues it; a queue past its limit is replaced by
    /// the `slow_consumer` resync and the subscription ends. Returns the reader to resume (with
    /// `frame`) or the sink to wake, for the caller to call once the locks are let go.
    func enqueue(_ frame: Frame, _ s: inout State) -> (Offer, ParkedReader?, (any FrameSink)?) {
        if let waiter = s.waiter {
            // The reader parks only once the queue is empty and the replay done.
            s.waiter = nil
            return (.delivered, waiter, nil)
        }
        s.queue.append(frame)
        if s.queue.count > queueLimit {
            s.queue.removeAll()
            s.queue.append(.resync(.slowConsumer, epoch: epoch))
            s.finished = true
            return (.overflowed, nil, Self.takeWake(&s))
        }
        return (.delivered, nil, Self.takeWake(&s))
    }

    /// The sink, when it has not been told yet that frames wait.
    private static func takeWake(_ s: inout State) -> (any FrameSink)? {
        guard let sink = s.sink, !s.sinkWoken else { return nil }
        s.sinkWoken = true
        return sink
    }

    /// Ends the subscription with a final `resync` frame in place of whatever was queued.
    func end(with reason: ResyncReason) {
        end(withFinal: .resync(reason, epoch: epoch))
    }

    /// Ends the subscription with a final `closed` frame in place of whatever was queued: the
    /// caller's session ended, and nothing queued for it may still go out.
    func end(with reason: SessionEnd) {
        end(withFinal: .closed(reason))
    }

    private func end(withFinal frame: Frame) {
        state.withLock { s in
            s.queue.removeAll()
            s.queue.append(frame)
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
        let (waiter, frame, sink) = state.withLock { s -> (ParkedReader?, Frame?, (any FrameSink)?) in
            guard let waiter = s.waiter else { return (nil, nil, Self.takeWake(&s)) }
            let frame = s.queue.popFirst()
            // A reader that already took what was queued and parked again stays parked: nil would
            // tell it the subscription ended. Only an ended one is woken with nothing.
            guard frame != nil || s.finished else { return (nil, nil, nil) }
            s.waiter = nil
            return (waiter, frame, nil)
        }
        waiter?.continuation.resume(returning: frame)
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
        var frames: [Frame] = []
        let ended = takeQueued(into: &frames, limit: limit)
        return (frames, ended)
    }

    /// ``takeQueued(limit:)`` appending to `frames`: a sink that writes many subscriptions in
    /// turn reuses one array for all of them.
    func takeQueued(into frames: inout [Frame], limit: Int) -> Bool {
        state.withLock { s in
            s.queue.popFirst(limit, into: &frames)
            if s.queue.isEmpty { s.sinkWoken = false }
            return s.finished && s.queue.isEmpty
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
                    s.waiter = ParkedReader(continuation)
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { s -> ParkedReader? in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.continuation.resume(returning: nil)
        }
    }
}

/// A reader parked in ``SubscriberState/nextQueued()``, boxed: `CheckedContinuation` comes from
/// the concurrency library, whose types' layout is not known to this module, so every check of
/// an optional one (the hub's, for each subscriber of each change, where almost none is parked)
/// went through the library's value witnesses; an optional reference is one compare with zero.
final class ParkedReader: Sendable {
    let continuation: CheckedContinuation<Frame?, Never>
    init(_ continuation: CheckedContinuation<Frame?, Never>) { self.continuation = continuation }
}
