import Shop
import Store

/// One subscriber's stream of frames: the replayed history it asked for, then live events.
///
/// ```swift
/// let subscription = hub.subscribe(user: 7, role: .user, topics: ["inventory", "sales"], since: 1040)
/// for await frame in subscription { try await socket.write(frame.bytes) }
/// ```
///
/// It ends after a `resync` frame (`since_too_old`, `slow_consumer`), on ``unsubscribe()``,
/// or when the hub stops. Read it from one task at a time: it is a programmer error to
/// call ``next()`` concurrently. Dropping the last reference unsubscribes.
public final class Subscription: AsyncSequence, Sendable {
    public typealias Element = Frame
    public typealias Failure = Never

    let hub: Hub
    let state: SubscriberState
    /// Frames with a sequence above this one come: replayed first, then live.
    public let resumesAfter: UInt64
    /// The hub's position when the subscription was made: replay covers up to it, live
    /// events follow it (the `seq` of the server's `ready` message).
    public let livePosition: UInt64

    init(hub: Hub, state: SubscriberState, resumesAfter: UInt64, livePosition: UInt64) {
        self.hub = hub
        self.state = state
        self.resumesAfter = resumesAfter
        self.livePosition = livePosition
    }

    deinit {
        hub.remove(state, dropQueued: true)
    }

    /// The subscription's id within its hub.
    public var id: UInt64 { state.id }

    /// Stops the subscription: frames not read yet are dropped and the sequence ends.
    public func unsubscribe() {
        hub.remove(state, dropQueued: true)
    }

    /// Replaces the topics with those of `topics` the caller's role allows (others are left
    /// out); events already queued stay. Adding `presence` brings the current presence at once.
    public func update(topics: Set<String>) {
        let added = state.state.withLock { s -> Set<String> in
            let allowed = Topic.allowed(topics, for: s.role)
            defer { s.topics = allowed }
            return allowed.subtracting(s.topics)
        }
        if added.contains(Topic.presence.rawValue) { hub.sendPresence(to: state) }
    }

    /// The topics subscribed now (those asked for that the role allows).
    public var topics: Set<String> { state.state.withLock { $0.topics } }

    /// The caller's role as the hub knows it now: it follows role changes in the feed.
    public var role: Role { state.state.withLock { $0.role } }

    /// Whether the subscription has ended (resync, session end, unsubscribed, hub stopped):
    /// nothing more will be queued.
    public var hasEnded: Bool { state.state.withLock { $0.finished } }

    /// The caller's session as the subscription knows it.
    public var sessionId: UInt64? { state.state.withLock { $0.sessionId } }

    /// Follows the caller to the session of a refreshed token (a socket re-authenticated in
    /// place): the end of that session now ends the subscription.
    public func update(sessionId: UInt64) {
        state.state.withLock { $0.sessionId = sessionId }
    }

    /// The next frame; nil when the subscription has ended or the reading task was cancelled.
    public func next() async -> Frame? {
        await nextBatch(limit: 1).first
    }

    /// The next frames in order, as many as are ready up to `limit` (at least one; it waits for
    /// one); empty when the subscription has ended or the reading task was cancelled.
    public func nextBatch(limit: Int) async -> [Frame] {
        if let history = await nextHistoryBatch(limit: limit) { return history }
        return await state.nextQueuedBatch(limit: Swift.max(1, limit))
    }

    /// The next page of replayed history, up to `limit` frames; nil once the replay is done
    /// (or there was none to do), when live frames are next.
    public func nextHistoryBatch(limit: Int) async -> [Frame]? {
        let limit = Swift.max(1, limit)
        while !Task.isCancelled {
            switch nextReplayStep(limit: limit) {
            case .frames(let frames):
                return frames
            case .read(let after, let through, let role, let topics):
                do {
                    let (frames, cursor) = try hub.replay(after: after, through: through, userId: state.userId, role: role, topics: topics)
                    state.state.withLock { s in
                        // An unsubscribe or cut-off while reading already closed the replay.
                        guard !s.finished else { return }
                        s.replayed = frames
                        s.replayedIndex = 0
                        s.replayCursor = cursor
                    }
                } catch let error as StoreError where error.code == .sinceTooOld {
                    hub.remove(state, ending: .sinceTooOld)
                } catch {
                    hub.remove(state, ending: .unavailable)
                }
            case .live:
                return nil
            }
        }
        return nil
    }

    /// Hands the live frames to `sink` once the history is written: the hub tells it when
    /// frames are queued (once per commit), and it takes them with ``takeQueued(limit:)``,
    /// so no task waits on an idle subscription.
    public func deliver(to sink: any FrameSink) {
        state.deliver(to: sink)
    }

    /// The live frames queued now (up to `limit`), without waiting, and whether the
    /// subscription has ended with them. Called by the sink after ``FrameSink/framesReady()``.
    public func takeQueued(limit: Int = .max) -> (frames: [Frame], ended: Bool) {
        state.takeQueued(limit: limit)
    }

    /// ``takeQueued(limit:)`` appending the frames to `frames` (an array the caller reuses);
    /// whether the subscription has ended with them.
    public func takeQueued(into frames: inout [Frame], limit: Int = .max) -> Bool {
        state.takeQueued(into: &frames, limit: limit)
    }

    private enum ReplayStep {
        case frames([Frame])
        case read(after: UInt64, through: UInt64, role: Role, topics: Set<String>)
        case live
    }

    private func nextReplayStep(limit: Int) -> ReplayStep {
        state.state.withLock { s in
            if s.replayedIndex < s.replayed.count {
                let end = Swift.min(s.replayed.count, s.replayedIndex + limit)
                defer { s.replayedIndex = end }
                return .frames(Array(s.replayed[s.replayedIndex..<end]))
            }
            if s.finished || s.replayCursor >= s.replayEnd {
                s.replayed = []
                s.replayedIndex = 0
                return .live
            }
            return .read(after: s.replayCursor, through: s.replayEnd, role: s.role, topics: s.topics)
        }
    }

    public func makeAsyncIterator() -> Iterator { Iterator(subscription: self) }

    /// Reads frames from the subscription.
    public struct Iterator: AsyncIteratorProtocol {
        let subscription: Subscription
        public mutating func next() async -> Frame? { await subscription.next() }
    }
}
