import Logging
import NIOCore
import Synchronization

/// The server's open connections, at most ``limit`` (``ServerConfiguration/maxConnections``).
///
/// Each connection is counted as it starts; one past the limit makes room by closing the
/// connection that has waited longest for a request head (one that connected and never
/// finished its headers, or a kept-alive one gone quiet), or, when none waits, is closed itself
/// at once. So thousands of connections that never finish their headers cannot keep a real
/// client out: each arrival pushes the oldest of them out, while connections busy with a
/// request and WebSockets are never chosen. ``RequestReadLimits`` reports which connections wait.
///
/// Hummingbird's `availableConnectionsDelegate` caps connections by no longer accepting, which
/// would leave a real client queued in the listen backlog behind the flood (and
/// HummingbirdTesting's `with(address:)` drops the delegate, so no test could see it); accepting
/// and then choosing whom to close costs one descriptor for a moment, within
/// ``ServerConfiguration/reservedFileDescriptors``.
final class OpenConnections: Sendable {
    let limit: Int
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var open = 0
        var evicted = 0
        var refused = 0
        /// Connections waiting for a request head, with the ticket they got when they started.
        var waiting: [ObjectIdentifier: (channel: any Channel, ticket: UInt64)] = [:]
        /// Tickets in the order they were given; one whose connection no longer waits with it
        /// (busy, closed, or waiting again with a newer ticket) is skipped.
        var queue: [(id: ObjectIdentifier, ticket: UInt64)] = []
        var queueStart = 0
        var nextTicket: UInt64 = 0
    }

    init(limit: Int, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    /// Open connections now.
    var count: Int { state.withLock { $0.open } }

    /// Connections closed to make room so far.
    var evictedCount: Int { state.withLock { $0.evicted } }

    /// Connections closed as they started because the others were all busy.
    var refusedCount: Int { state.withLock { $0.refused } }

    /// Counts `channel`, a connection that has just started, until it closes; past the limit,
    /// closes the connection that has waited longest for a head. Returns false when none waits:
    /// the caller closes `channel` itself.
    func admit(_ channel: any Channel) -> Bool {
        let (admitted, oldest): (Bool, (any Channel)?) = state.withLock { s in
            s.open += 1
            guard s.open > limit else { return (true, nil) }
            while s.queueStart < s.queue.count {
                let (id, ticket) = s.queue[s.queueStart]
                s.queueStart += 1
                if let entry = s.waiting[id], entry.ticket == ticket {
                    s.waiting[id] = nil
                    s.evicted += 1
                    return (true, entry.channel)
                }
            }
            s.queue.removeAll(keepingCapacity: true)
            s.queueStart = 0
            s.refused += 1
            return (false, nil)
        }
        channel.closeFuture.whenComplete { [self] _ in state.withLock { $0.open -= 1 } }
        if let oldest {
            logger.debug("connection limit reached: closing the connection that waited longest for a request head",
                         metadata: ["limit": .stringConvertible(limit)])
            oldest.close(promise: nil)
        } else if !admitted {
            logger.debug("connection limit reached with every connection busy: closing the new one",
                         metadata: ["limit": .stringConvertible(limit)])
        }
        return admitted
    }

    /// `channel` waits for a request head from now on.
    func waitingForHead(_ channel: any Channel) {
        state.withLock { s in
            let id = ObjectIdentifier(channel)
            s.nextTicket += 1
            s.waiting[id] = (channel, s.nextTicket)
            s.queue.append((id, s.nextTicket))
            // Drop skipped tickets once they outnumber the live ones.
            if s.queue.count - s.queueStart > 2 * s.waiting.count + 1_024 {
                s.queue = s.queue[s.queueStart...].filter { s.waiting[$0.id]?.ticket == $0.ticket }
                s.queueStart = 0
            }
        }
    }

    /// `channel` is busy with a request, has become a WebSocket, or is closed.
    func busy(_ channel: any Channel) {
        _ = state.withLock { $0.waiting.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}
