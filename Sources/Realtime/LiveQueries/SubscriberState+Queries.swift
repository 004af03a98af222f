import Shop

/// A subscriber's live queries: their frames go through the same bounded queue as its events,
/// so a socket gets both in the order the hub made them, and a slow reader is cut off the same way.
extension SubscriberState {
    /// What a watch operation leaves for the caller to do once the locks are let go.
    struct Delivery {
        var waiter: (ParkedReader, Frame)?
        var sink: (any FrameSink)?
        var overflowed = false

        /// Resumes the parked reader or tells the sink.
        func deliver() {
            if let (waiter, frame) = waiter { waiter.continuation.resume(returning: frame) }
            sink?.framesReady()
        }

        mutating func add(_ result: (Offer, ParkedReader?, (any FrameSink)?), _ frame: Frame) {
            if let waiter = result.1 { self.waiter = (waiter, frame) }
            if let sink = result.2 { self.sink = sink }
            if case .overflowed = result.0 { overflowed = true }
        }
    }

    var watchCount: Int { state.withLock { $0.watches.count } }

    func watch(_ id: String) -> QueryWatch? { state.withLock { $0.watches[id] } }

    /// Folds a change into each watch of its collection and queues the diffs; returns the ids of
    /// the watches that must be read again, or nil when the subscription has ended or watches
    /// nothing of that collection (any more). Called by the hub, in feed order.
    func fold(_ change: QueryChange, at sequence: UInt64) -> (reread: [String], delivery: Delivery)? {
        state.withLock { s in
            let ids = s.watches.keys.filter { s.watches[$0]?.query.collection == change.collection }
            guard !s.finished, !ids.isEmpty else { return nil }
            var reread: [String] = []
            var delivery = Delivery()
            for id in ids {
                switch s.watches[id]?.apply(key: change.key, after: change.after, sequence: sequence, userId: userId, role: s.role) {
                case .diff(let diff)?:
                    let frame = Frame.queryDiff(id: id, seq: sequence, diff: diff)
                    delivery.add(enqueue(frame, &s), frame)
                case .reread?: reread.append(id)
                case .unchanged?, nil: break
                }
                if s.finished { break }
            }
            return (reread, delivery)
        }
    }

    /// Starts watch `watch`, queueing its first frame (a snapshot, or the diff from what a
    /// resuming client held). A watch of the same id is replaced.
    func install(_ watch: QueryWatch, first frame: Frame) -> Delivery {
        state.withLock { s in
            var delivery = Delivery()
            guard !s.finished else { return delivery }
            s.watches[watch.id] = watch
            delivery.add(enqueue(frame, &s), frame)
            return delivery
        }
    }

    /// Puts a fresh read of watch `id` in place (read at `sequence` as ``Hub/reread``): a diff of
    /// what changed, or with `reset` a whole snapshot that replaces what the client held.
    func replace(watch id: String, with rows: [QueryRow], at sequence: UInt64, reset: String?, epoch: String) -> Delivery {
        state.withLock { s in
            var delivery = Delivery()
            guard !s.finished, var watch = s.watches[id] else { return delivery }
            let diff = watch.replace(with: rows, at: sequence)
            s.watches[id] = watch
            let frame: Frame
            if let reset {
                frame = .querySnapshot(id: id, seq: sequence, epoch: epoch, collection: watch.query.collection, rows: rows, reason: reset)
            } else if diff.isEmpty {
                return delivery
            } else {
                frame = .queryDiff(id: id, seq: sequence, diff: diff)
            }
            delivery.add(enqueue(frame, &s), frame)
            return delivery
        }
    }

    /// Ends watch `id` with `error` (nothing more comes for it).
    func end(watch id: String, _ error: ShopError) -> Delivery {
        state.withLock { s in
            var delivery = Delivery()
            guard !s.finished, s.watches.removeValue(forKey: id) != nil else { return delivery }
            let frame = Frame.queryEnded(id: id, error)
            delivery.add(enqueue(frame, &s), frame)
            return delivery
        }
    }

    /// Stops watch `id`; whether there was one.
    func removeWatch(_ id: String) -> Bool {
        state.withLock { $0.watches.removeValue(forKey: id) != nil }
    }

    /// Takes every watch out (to move them to the subscription that replaces this one).
    func takeWatches() -> [QueryWatch] {
        state.withLock { s in
            defer { s.watches = [:] }
            return Array(s.watches.values)
        }
    }
}
