import Synchronization

/// Tells the outbox's deliverers that entries were committed: rung by each transaction that
/// queued one, once it is durable (``Store/WriteTransaction/afterCommit(_:)``).
///
/// The outbox's own signal, so that delivery does not depend on the shop's change feed (the
/// outbox's writes are not in it). A ring carries no entries: a listener reads the queue.
/// Rings while a listener is busy collapse into one.
final class OutboxBell: Sendable {
    private struct State {
        var nextId: UInt64 = 0
        var listeners: [UInt64: AsyncStream<Void>.Continuation] = [:]
    }

    private let state = Mutex(State())

    /// A stream that yields after every ring from now on (rings it has not taken yet
    /// collapse into one); it ends when its iterating task is cancelled.
    func listen() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        state.withLock { s in
            s.listeners[s.nextId] = continuation
            s.nextId += 1
        }
        return stream
    }

    /// Wakes every listener. Quick and non-blocking: it runs on the store's writer thread.
    func ring() {
        state.withLock { s in
            // Ended streams are dropped here rather than from `onTermination`, which could
            // run inside this lock.
            for (id, continuation) in s.listeners {
                if case .terminated = continuation.yield() { s.listeners[id] = nil }
            }
        }
    }
}
