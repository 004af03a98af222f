import Shop
import Store

/// Where a client resumes a live query from: the feed sequence and epoch of the last frame it
/// folded, and the records it holds (id → version).
public struct QueryResume: Sendable {
    public var since: UInt64
    public var epoch: String?
    public var held: [(id: String, version: UInt64)]

    public init(since: UInt64, epoch: String?, held: [(id: String, version: UInt64)]) {
        self.since = since; self.epoch = epoch; self.held = held
    }
}

/// Live queries (README, "Live queries"): a subscription watches questions beside its topics.
///
/// The flow of one watch: ``watch(_:id:query:resume:)`` reads the result at a feed sequence no
/// older than the hub's position and installs it with its first frame; from then on `publish`
/// folds each change of the collection into it from the change's own after-image (decoded once
/// for all watches, and only for the subscribers watching that collection), in feed order, under
/// the hub's lock (``QueryWatch``). Only what a change cannot tell alone is read again from the
/// store, after the lock: a full window that lost a member, and every watch of a caller whose
/// role changed (whole, as a snapshot that replaces the old result).
extension Hub {
    /// The most live queries one subscription may watch.
    public static let maximumWatches = 16

    /// Starts watching `query` as watch `id` of `subscription` (a watch of the same id is
    /// replaced): its first frame is the result now (`query_snapshot`), or, for a client resuming
    /// within the feed's history and the store's epoch, the diff from what it holds
    /// (`query_diff` with `resumed`).
    ///
    /// Throws the shop's refusal (a role below the collection's, a signed-out caller) or
    /// `invalid_input` past ``maximumWatches``; nothing is watched then.
    public func watch(_ subscription: Subscription, id: String, query: LiveQuery, resume: QueryResume? = nil) throws {
        let subscriber = subscription.state
        guard let shop = queries else { throw ShopError(.storeFailure, "live queries are not served by this hub") }
        guard let userId = subscriber.userId else { throw ShopError(.notAuthenticated, "sign in first") }
        guard subscriber.watch(id) != nil || subscriber.watchCount < Self.maximumWatches else {
            throw ShopError(.invalidInput, "a connection watches at most \(Self.maximumWatches) queries at once", field: "id")
        }
        let principal = Principal.user(userId, via: .ws)
        let resumable = resume.map { $0.epoch == epoch && (try? environment.changes(after: $0.since, limit: 1)) != nil } ?? false
        // The result must be read no earlier than the hub's position, or the changes between would be
        // folded into nothing. Read outside the lock twice (the hub rarely moves past a fresh read);
        // the third time under it, so it cannot move.
        for attempt in 1...3 {
            let early = attempt < 3 ? try shop.snapshot(of: query, as: principal) : nil
            let delivery = try state.withLock { s -> SubscriberState.Delivery? in
                let snapshot = try early ?? shop.snapshot(of: query, as: principal)
                guard snapshot.head >= s.position else { return nil }
                guard s.subscribers[subscriber.id] != nil else { return SubscriberState.Delivery() }
                s.watchers[query.collection, default: []].insert(subscriber.id)
                let watch = QueryWatch(id: id, query: query, rows: snapshot.rows, at: snapshot.head)
                let first: Frame
                if let resume, resumable, resume.since <= snapshot.head {
                    first = .queryDiff(id: id, seq: snapshot.head, diff: QueryDiff(from: resume.held, to: snapshot.rows), resumed: true)
                } else {
                    let reason = resume.map { $0.epoch == epoch ? "since_too_old" : "epoch_changed" }
                    first = .querySnapshot(id: id, seq: snapshot.head, epoch: epoch, collection: query.collection, rows: snapshot.rows, reason: reason)
                }
                return subscriber.install(watch, first: first)
            }
            if let delivery {
                settle(delivery, of: subscriber)
                return
            }
        }
    }

    /// Stops watch `id` of `subscription`; whether it was watched.
    @discardableResult
    public func unwatch(_ subscription: Subscription, id: String) -> Bool {
        subscription.state.removeWatch(id)
    }

    /// How many subscriptions watch at least one live query.
    public var watcherCount: Int {
        state.withLock { s in Set(s.watchers.values.joined()).count { (s.subscribers[$0]?.watchCount ?? 0) > 0 } }
    }

    /// The ids of the queries `subscription` watches.
    public func watchIds(of subscription: Subscription) -> [String] {
        subscription.state.state.withLock { Array($0.watches.keys) }
    }

    /// Moves the watches of a subscription being replaced (a socket that resubscribed with
    /// `since`) to its successor. Frames still queued on the old one are lost with it, so each
    /// watch starts on the new one with a fresh snapshot.
    public func moveWatches(from old: Subscription, to new: Subscription) {
        for watch in old.state.takeWatches() {
            do {
                try self.watch(new, id: watch.id, query: watch.query)
            } catch {
                settle(new.state.endWatchUnregistered(watch.id, error as? ShopError ?? Self.unreadable), of: new.state)
            }
        }
    }

    // MARK: Folding the feed in (called from `publish`)

    /// What a change does to live queries, decoded once for all watches; nil when none watch its collection.
    func queryChange(for change: ChangeRecord) -> QueryChange? {
        guard let queries, let collection = QueryCollection(storeCollection: change.collection),
              state.withLock({ !($0.watchers[collection]?.isEmpty ?? true) }) else { return nil }
        return queries.queryChange(change)
    }

    /// Folds `change` into the watches of the subscribers that watch its collection. Under the hub's lock.
    func fold(_ change: QueryChange, at sequence: UInt64, in s: inout State,
              rereading rereads: inout [(SubscriberState, String, reset: String?)], delivering deliveries: inout [(SubscriberState, SubscriberState.Delivery)]) {
        for id in s.watchers[change.collection] ?? [] {
            // Subscriptions that ended or stopped watching the collection leave the index here.
            guard let subscriber = s.subscribers[id], let (reread, delivery) = subscriber.fold(change, at: sequence) else {
                s.watchers[change.collection]?.remove(id)
                continue
            }
            rereads += reread.map { (subscriber, $0, nil) }
            deliveries.append((subscriber, delivery))
        }
    }

    /// Reads watch `id` again and queues how it changed (or, with `reset`, the whole result);
    /// a read the caller may no longer make ends the watch with its error. After the hub's lock.
    func reread(_ subscriber: SubscriberState, watch id: String, reset: String?) {
        guard let shop = queries, let userId = subscriber.userId, let watch = subscriber.watch(id) else { return }
        do {
            let snapshot = try shop.snapshot(of: watch.query, as: .user(userId, via: .ws))
            settle(subscriber.replace(watch: id, with: snapshot.rows, at: snapshot.head, reset: reset, epoch: epoch), of: subscriber)
        } catch {
            settle(subscriber.end(watch: id, error as? ShopError ?? Self.unreadable), of: subscriber)
        }
    }

    /// Hands queued frames on, and cuts off a subscriber whose queue overflowed.
    func settle(_ delivery: SubscriberState.Delivery, of subscriber: SubscriberState) {
        if delivery.overflowed {
            slowConsumerCut()
            _ = state.withLock { $0.subscribers.removeValue(forKey: subscriber.id) }
        }
        delivery.deliver()
    }

    private static let unreadable = ShopError(.storeFailure, "the query could not be read")
}

extension SubscriberState {
    /// Tells the client that watch `id`, which never reached this subscriber, ended with `error`.
    func endWatchUnregistered(_ id: String, _ error: ShopError) -> Delivery {
        state.withLock { s in
            var delivery = Delivery()
            guard !s.finished else { return delivery }
            let frame = Frame.queryEnded(id: id, error)
            delivery.add(enqueue(frame, &s), frame)
            return delivery
        }
    }
}
