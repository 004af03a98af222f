import Foundation
import Shop
import Store
import Synchronization

/// The live-update hub: follows the store's change feed once and fans events out to subscribers.
///
/// ```swift
/// let hub = Hub(environment: environment)
/// group.addTask { try await hub.run() }           // one follower of the feed for all
/// let subscription = hub.subscribe(user: 7, role: .user, topics: ["inventory"], since: nil)
/// ```
///
/// Each change is mapped to events once and each event's frame is encoded once; the same
/// bytes go to every subscriber whose topics and (user, role) its audience admits. Delivery
/// puts frames on the subscriber's bounded queue and never waits for a reader, so one slow
/// subscriber cannot slow the others: it is cut off with a `slow_consumer` resync instead.
/// A subscriber is read either by a task (`for await frame in subscription`, SSE) or, once
/// its history is replayed, by a ``FrameSink`` the hub wakes once per commit (a WebSocket).
///
/// The hub is a class with a lock rather than an actor: fan-out is one synchronous pass over
/// the subscribers; `subscribe` must register the subscriber and learn the hub's position in
/// one step (so replay up to that position plus live after it has no gap and no duplicate);
/// and unsubscribing happens from deinit and from connection-close callbacks that cannot await.
public final class Hub: Sendable {
    /// Counts of the hub's work, for metrics and tests.
    public struct Statistics: Sendable, Equatable {
        /// Frames of live events encoded (once per event, however many subscribers get it).
        public var liveFramesEncoded: Int
        /// Frames encoded while replaying history for a subscriber that asked for `since`.
        public var replayFramesEncoded: Int
        /// Live frames handed to subscribers' queues.
        public var framesDelivered: Int
        /// Subscribers cut off for reading too slowly.
        public var slowConsumersCut: Int
        /// Change records whose bytes did not decode (they publish nothing).
        public var undecodableChanges: Int
    }

    public let environment: Environment
    public let configuration: HubConfiguration
    /// Reads and decodes live queries' results (``Hub/watch(_:id:query:resume:)``); without a
    /// shop the hub serves topics only.
    let queries: Shop?
    let mapper = EventMapper()

    struct State {
        /// The sequence of the last change fanned out.
        var position: UInt64
        var nextId: UInt64 = 1
        var subscribers: [UInt64: SubscriberState] = [:]
        var presence = PresenceBoard()
        /// The last presence frame, for subscribers that join the topic later.
        var presenceFrame: Frame?
        /// `run()` has ended: new subscriptions end at once.
        var stopped = false
        /// The subscribers that watch live queries, by the collection they watch.
        var watchers: [QueryCollection: Set<UInt64>] = [:]
    }

    let state: Mutex<State>
    private let liveFramesEncoded = Atomic<Int>(0)
    private let replayFramesEncoded = Atomic<Int>(0)
    private let framesDelivered = Atomic<Int>(0)
    private let slowConsumersCut = Atomic<Int>(0)
    private let undecodableChanges = Atomic<Int>(0)
    private let settled: Atomic<UInt64>

    /// A hub over `environment`'s change feed, starting at its current head; with `queries`
    /// (the shop over the same environment) it serves live queries too.
    public init(environment: Environment, configuration: HubConfiguration = HubConfiguration(), queries: Shop? = nil) {
        self.environment = environment
        self.configuration = configuration
        self.queries = queries
        state = Mutex(State(position: environment.head))
        settled = Atomic(environment.head)
    }

    /// The sequence of the last change the hub has taken from the feed: a subscriber registered
    /// now gets what comes after it live and what came before it from its replay (the changes of
    /// a batch move it as they are mapped, before their events are offered; see ``settledPosition``).
    public var position: UInt64 { state.withLock { $0.position } }

    /// The sequence of the last change whose every frame is queued, live queries' fresh reads
    /// included (``position`` moves first, when the change is taken from the feed).
    public var settledPosition: UInt64 { settled.load(ordering: .acquiring) }

    /// The store's epoch: which history the feed's sequences belong to (``Environment/epoch``).
    /// Every `ready` and `resync` names it; a client resumes with it beside its `since`.
    public var epoch: String { environment.epoch }

    /// Whether `run()` has ended (the server is shutting down): subscriptions end with it.
    public var isStopped: Bool { state.withLock { $0.stopped } }

    /// Subscriptions to at least one topic. A socket holds a subscription from sign-in (so a
    /// role change or a session's end reaches it), which counts once the client subscribes.
    public var subscriberCount: Int {
        state.withLock { s in s.subscribers.values.count { $0.hasTopics } }
    }

    public var statistics: Statistics {
        Statistics(liveFramesEncoded: liveFramesEncoded.load(ordering: .relaxed),
                   replayFramesEncoded: replayFramesEncoded.load(ordering: .relaxed),
                   framesDelivered: framesDelivered.load(ordering: .relaxed),
                   slowConsumersCut: slowConsumersCut.load(ordering: .relaxed),
                   undecodableChanges: undecodableChanges.load(ordering: .relaxed))
    }

    // MARK: Following the feed

    /// Follows the change feed and fans out every change, until the task is cancelled or
    /// the environment closes; then every subscription ends (after its queued frames).
    ///
    /// Should the hub itself fall behind the feed's trim point, every subscriber is sent
    /// `since_too_old` and the hub carries on from the head. Run it once per hub (it is the
    /// hub's service lifetime); other store errors end it and are rethrown.
    public func run() async throws {
        defer { stop() }
        while !Task.isCancelled {
            var changes = environment.follow(after: position).makeAsyncIterator()
            // The events of the changes at hand (one commit's, or a group commit's) are offered
            // in one pass over the subscribers once the last of them is mapped (a purchase's three
            // events were three passes): one lock of each subscriber, one wake, and the events of
            // one purchase leave for each socket in one write.
            var batch = Batch()
            do {
                while let change = try await changes.next() {
                    publish(change, batch: &batch)
                    if !changes.hasRecordsAtHand { offer(&batch) }
                }
                return
            } catch let error as StoreError where error.code == .sinceTooOld {
                offer(&batch)
                restartAtHead()
            }
        }
    }

    /// The changes at hand not yet fanned out: their event frames, the sequence of the last of
    /// them, and the sinks already given frames of theirs (by a change fanned out at once) that
    /// wait to be woken with the rest.
    struct Batch {
        var frames: [Frame] = []
        var through: UInt64?
        var wakes: [any FrameSink] = []
    }

    /// Offers the batch's frames to every subscriber in one pass, then wakes the sinks given
    /// frames, and marks its last change settled.
    ///
    /// The sinks are woken after the pass, not during it: waking them every few hundred offers
    /// started the sockets' writes ~3 ms sooner at 10,000 × 5/s, but at 10,000 × 20/s the event
    /// loops then took the two cores from the hub while it held its lock, and the p99 went from
    /// ~140 to ~300 ms (RESULTS.md, "Fan-out, third sitting").
    private func offer(_ batch: inout Batch) {
        if !batch.frames.isEmpty {
            state.withLock { s in offer(batch.frames, in: &s, waking: &batch.wakes) }
        }
        Self.wake(&batch.wakes)
        if let through = batch.through { settled.store(through, ordering: .releasing) }
        batch.frames.removeAll(keepingCapacity: true)
        batch.through = nil
    }

    /// Maps and encodes one change's events outside the lock. A change that changes nobody's
    /// access and no live query only adds its frames to `batch` (``offer(_:)`` fans them out
    /// with the rest of the commit); one that does is fanned out at once, after what the batch
    /// holds, so that every subscriber sees the events and the change in feed order.
    private func publish(_ change: ChangeRecord, batch: inout Batch) {
        let events: [HubEvent]
        do {
            events = try mapper.events(for: change)
        } catch {
            undecodableChanges.add(1, ordering: .relaxed)
            events = []
        }
        let frames = events.map(Frame.event)
        if !frames.isEmpty { liveFramesEncoded.add(frames.count, ordering: .relaxed) }
        let accessChanges = AccessChange.changes(in: change)
        let queryChange = queryChange(for: change)
        guard !accessChanges.isEmpty || queryChange != nil else {
            state.withLock { $0.position = change.sequence }
            batch.frames += frames
            batch.through = change.sequence
            return
        }
        var ended: [(SubscriberState, SessionEnd)] = []
        var roleWakes: [@Sendable () -> Void] = []
        var rereads: [(SubscriberState, String, reset: String?)] = []
        var deliveries: [(SubscriberState, SubscriberState.Delivery)] = []
        state.withLock { s in
            // What came before this change reaches everyone under the access they had then.
            if !batch.frames.isEmpty { offer(batch.frames, in: &s, waking: &batch.wakes) }
            s.position = change.sequence
            for access in accessChanges {
                apply(access, in: &s, ending: &ended, waking: &roleWakes, rereading: &rereads)
            }
            if !frames.isEmpty { offer(frames, in: &s, waking: &batch.wakes) }
            if let queryChange {
                fold(queryChange, at: change.sequence, in: &s, rereading: &rereads, delivering: &deliveries)
            }
        }
        batch.frames.removeAll(keepingCapacity: true)
        batch.through = nil
        for (subscriber, reason) in ended { subscriber.end(with: reason) }
        for wake in roleWakes { wake() }
        for (subscriber, delivery) in deliveries { settle(delivery, of: subscriber) }
        // Before the next change is fanned out, so every watch stays in feed order.
        for (subscriber, id, reset) in rereads { reread(subscriber, watch: id, reset: reset) }
        settled.store(change.sequence, ordering: .releasing)
    }

    /// Applies one access change to every subscriber it concerns, under the hub's lock so that
    /// no event committed after it reaches them first: a new role re-filters them at once, an
    /// ended session or a block takes them out (they are ended, with their `closed` frame,
    /// once the lock is let go). Access changes are rare; the pass over the subscribers is too.
    private func apply(_ change: AccessChange, in s: inout State, ending ended: inout [(SubscriberState, SessionEnd)],
                       waking wakes: inout [@Sendable () -> Void], rereading rereads: inout [(SubscriberState, String, reset: String?)]) {
        for (id, subscriber) in s.subscribers where subscriber.isConcerned(by: change) {
            switch change {
            case .role(_, let role):
                if let wake = subscriber.apply(role: role) {
                    wakes.append(wake)
                    // Its queued diffs were dropped with the old role: each watch is read whole again.
                    rereads += subscriber.state.withLock { Array($0.watches.keys) }.map { (subscriber, $0, "access") }
                }
            case .blocked:
                s.subscribers[id] = nil
                ended.append((subscriber, .userBlocked))
            case .sessionEnded:
                s.subscribers[id] = nil
                ended.append((subscriber, .sessionEnded))
            }
        }
    }

    func slowConsumerCut() {
        slowConsumersCut.add(1, ordering: .relaxed)
    }

    private static func wake(_ wakes: inout [any FrameSink]) {
        for sink in wakes { sink.framesReady() }
        wakes.removeAll(keepingCapacity: true)
    }

    /// Offers frames (a batch's events, or one presence frame) to every subscriber, in one pass
    /// and one lock of each, dropping those that ended or overflowed; the sinks to wake once the
    /// lock is let go are added to `wakes`. Each frame's audience was decided once per role when
    /// it was made (``Frame/verdict``), not once per subscriber.
    private func offer(_ frames: [Frame], in s: inout State, waking wakes: inout [any FrameSink]) {
        var delivered = 0
        var dropped: [UInt64] = []
        for (id, subscriber) in s.subscribers {
            let (queued, result, wake) = subscriber.offer(frames)
            if let wake { wakes.append(wake) }
            delivered += queued
            switch result {
            case .delivered, .skipped: break
            case .overflowed:
                slowConsumersCut.add(1, ordering: .relaxed)
                dropped.append(id)
            case .gone: dropped.append(id)
            }
        }
        for id in dropped { s.subscribers[id] = nil }
        if delivered > 0 { framesDelivered.add(delivered, ordering: .relaxed) }
    }

    private func restartAtHead() {
        let ended = state.withLock { s -> [SubscriberState] in
            s.position = environment.head
            settled.store(s.position, ordering: .releasing)
            defer { s.subscribers = [:] }
            return Array(s.subscribers.values)
        }
        for subscriber in ended { subscriber.end(with: .sinceTooOld) }
    }

    private func stop() {
        let ended = state.withLock { s -> [SubscriberState] in
            s.stopped = true
            defer { s.subscribers = [:] }
            return Array(s.subscribers.values)
        }
        for subscriber in ended { subscriber.finish(dropQueued: false) }
    }

    // MARK: Subscribing

    /// Subscribes to `topics` for a caller acting as `user` with `role`.
    ///
    /// With `since`, the subscription first replays every event after that sequence the
    /// caller may see, then continues live with no gap and no duplicate; a `since` older
    /// than the feed's trim point, or beyond its head, gives one `since_too_old` resync frame
    /// and the subscription ends. An `epoch` other than the store's (the client's sequence
    /// belongs to another history: the store was restored since) gives `epoch_changed` the
    /// same way, whatever `since` says. Without `since`, events
    /// start after the hub's current position. Unknown topic names are ignored.
    /// `queueLimit` overrides the configuration's for this subscriber.
    ///
    /// `session` names the caller's session, so that its end (logout, revocation) ends the
    /// subscription; `accessAsOf` is the feed head before `role` was read from the store: the
    /// access changes the hub fanned out since then are applied to the new subscriber before it
    /// joins, so a role changed between the read and this call is not missed.
    public func subscribe(user: UInt64?, session: UInt64? = nil, role: Role, accessAsOf: UInt64? = nil, topics: Set<String>,
                          since: UInt64? = nil, epoch: String? = nil, queueLimit: Int? = nil) -> Subscription {
        let storeEpoch = environment.epoch
        let (subscriber, position, ending) = state.withLock { s -> (SubscriberState, UInt64, SessionEnd?) in
            let id = s.nextId
            s.nextId += 1
            let subscriber = SubscriberState(id: id, userId: user, sessionId: session, role: role, topics: topics,
                                             queueLimit: queueLimit ?? configuration.queueLimit,
                                             resumeAfter: since ?? s.position, hubPosition: s.position, epoch: storeEpoch)
            var ending: SessionEnd?
            if let accessAsOf, accessAsOf < s.position {
                ending = catchUp(subscriber, after: accessAsOf, through: s.position)
            }
            if s.stopped {
                subscriber.finish(dropQueued: true)
            } else if ending != nil {
                // Ended once the lock is let go.
            } else if let epoch, epoch != storeEpoch {
                // Another history's sequence: replaying after it would skip or repeat changes.
                subscriber.end(with: .epochChanged)
            } else if let since, since > max(s.position, environment.head) {
                // A sequence the feed never reached (a store restored from an older backup):
                // the client's picture cannot be trusted, so it starts again.
                subscriber.end(with: .sinceTooOld)
            } else {
                s.subscribers[id] = subscriber
                // No sink yet (it is handed over after the replay): nothing to wake.
                if topics.contains(Topic.presence.rawValue), let frame = s.presenceFrame {
                    _ = subscriber.offer([frame])
                }
            }
            return (subscriber, s.position, ending)
        }
        if let ending { subscriber.end(with: ending) }
        return Subscription(hub: self, state: subscriber, resumesAfter: since ?? position, livePosition: position)
    }

    /// Applies to a subscriber about to join the access changes the hub fanned out after
    /// `after` and up to `through`; returns how its session ended if one of them ended it.
    /// Reads the feed for those few records (usually none: the store was read a moment ago).
    private func catchUp(_ subscriber: SubscriberState, after: UInt64, through: UInt64) -> SessionEnd? {
        var cursor = after
        while cursor < through {
            guard let changes = try? environment.changes(after: cursor, limit: configuration.historyPageSize), !changes.isEmpty else { break }
            for change in changes where change.sequence <= through {
                for access in AccessChange.changes(in: change) where subscriber.isConcerned(by: access) {
                    switch access {
                    case .role(_, let role): _ = subscriber.apply(role: role)
                    case .blocked: return .userBlocked
                    case .sessionEnded: return .sessionEnded
                    }
                }
            }
            cursor = changes.last?.sequence ?? through
        }
        return nil
    }

    /// Takes a subscriber out of the fan-out and ends its stream.
    func remove(_ subscriber: SubscriberState, dropQueued: Bool) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: subscriber.id) }
        subscriber.finish(dropQueued: dropQueued)
    }

    /// Takes a subscriber out of the fan-out and ends its stream with a resync frame.
    func remove(_ subscriber: SubscriberState, ending reason: ResyncReason) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: subscriber.id) }
        subscriber.end(with: reason)
    }

    /// One page of history for a replaying subscriber: the frames of changes after `after`
    /// and up to `through` that it may see, and how far the page got.
    ///
    /// Throws ``StoreError/Code/sinceTooOld`` when that history was trimmed.
    func replay(after: UInt64, through: UInt64, userId: UInt64?, role: Role, topics: Set<String>) throws -> ([Frame], UInt64) {
        let changes = try environment.changes(after: after, limit: configuration.historyPageSize)
        let page = changes.prefix { $0.sequence <= through }
        let frames = visibleFrames(of: page, user: userId, role: role, topics: topics)
        // A change past `through`, or fewer records than asked for, means the history this
        // replay owes ends here.
        let reachedEnd = page.count < changes.count || changes.count < configuration.historyPageSize
        return (frames, reachedEnd ? through : page.last?.sequence ?? after)
    }

    /// A page of past events a caller may see, for long-poll and `GET /api/changes`: the
    /// frames of the changes after `after` (up to `limit` change records read), and the
    /// sequence to ask from next time.
    ///
    /// Throws ``StoreError/Code/sinceTooOld`` when that history was trimmed.
    public func history(after: UInt64, user: UInt64?, role: Role, topics: Set<String>, limit: Int = 256) throws -> (frames: [Frame], next: UInt64) {
        let head = environment.head
        guard after < head else { return ([], after) }
        let changes = try environment.changes(after: after, limit: max(1, limit))
        return (visibleFrames(of: changes, user: user, role: role, topics: topics), changes.last?.sequence ?? after)
    }

    /// The frames of past `changes` that a caller acting as `user` with `role` may see on
    /// `topics`, encoded here (history is not shared between callers the way live frames are).
    /// A change whose bytes do not decode gives nothing, as it does live.
    private func visibleFrames(of changes: some Collection<ChangeRecord>, user: UInt64?, role: Role, topics: Set<String>) -> [Frame] {
        var frames: [Frame] = []
        for change in changes {
            guard let events = try? mapper.events(for: change) else { continue }
            for event in events where topics.contains(event.topic.rawValue) && event.audience.canSee(userId: user, role: role) {
                frames.append(.event(event))
            }
        }
        if !frames.isEmpty { replayFramesEncoded.add(frames.count, ordering: .relaxed) }
        return frames
    }

    // MARK: Presence

    /// Records that a connection is open for a user, and what it shows ("products/p3").
    /// Admins subscribed to `presence` get the new picture when it changed.
    public func setPresence(connectionId: String, userId: UInt64, role: Role, view: String?) {
        updatePresence { $0.set(connectionId: connectionId, userId: userId, role: role, view: view) }
    }

    /// Forgets a closed connection.
    public func removePresence(connectionId: String) {
        updatePresence { $0.remove(connectionId: connectionId) }
    }

    /// Changes the board and fans out the new snapshot. The frame is made under the lock so
    /// two concurrent changes reach subscribers in the order they were made; presence changes
    /// are rare next to feed events.
    private func updatePresence(_ change: (inout PresenceBoard) -> Bool) {
        var wakes: [any FrameSink] = []
        state.withLock { s in
            guard change(&s.presence) else { return }
            let frame = Frame.presence(data: EventMapper.json(s.presence.snapshot), seq: s.position, at: Date())
            liveFramesEncoded.add(1, ordering: .relaxed)
            s.presenceFrame = frame
            offer([frame], in: &s, waking: &wakes)
        }
        Self.wake(&wakes)
    }

    /// Sends the current presence to one subscriber that just added the topic.
    func sendPresence(to subscriber: SubscriberState) {
        let wake = state.withLock { s -> (any FrameSink)? in
            guard let frame = s.presenceFrame, s.subscribers[subscriber.id] != nil else { return nil }
            return subscriber.offer([frame]).wake
        }
        wake?.framesReady()
    }
}
