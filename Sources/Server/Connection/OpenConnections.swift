import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// The server's open connections, at most ``limit`` (``ServerConfiguration/maxConnections``).
///
/// At the limit Hummingbird stops accepting, so new connections wait in the listen backlog;
/// but first the connection that has waited longest for a request head (one that connected and
/// never finished its headers, or a kept-alive one gone quiet) is closed to make room. So
/// thousands of connections that never finish their headers cannot keep a real client out:
/// each arrival pushes the oldest of them out, while connections busy with a request and
/// WebSockets are never chosen. ``RequestReadLimits`` reports which connections wait.
final class OpenConnections: Sendable {
    let limit: Int
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var open = 0
        var evicted = 0
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

    /// Whether another connection may be accepted now; at the limit, the connection that has
    /// waited longest for a head is closed, and its closing lets the next one in.
    private func admitsAnother() -> Bool {
        let oldest: (any Channel)? = state.withLock { s in
            guard s.open >= limit else { return nil }
            while s.queueStart < s.queue.count {
                let (id, ticket) = s.queue[s.queueStart]
                s.queueStart += 1
                if let entry = s.waiting[id], entry.ticket == ticket {
                    s.waiting[id] = nil
                    s.evicted += 1
                    return entry.channel
                }
            }
            s.queue.removeAll(keepingCapacity: true)
            s.queueStart = 0
            return nil
        }
        if let oldest {
            logger.debug("connection limit reached: closing the connection that waited longest for a request head",
                         metadata: ["limit": .stringConvertible(limit)])
            oldest.close(promise: nil)
            return false
        }
        return state.withLock { $0.open < limit }
    }

    private func opened() { state.withLock { $0.open += 1 } }
    private func closed() { state.withLock { $0.open -= 1 } }

    /// What Hummingbird's server asks before each accept.
    var admission: Admission { Admission(connections: self) }

    /// Counts connections for Hummingbird's `AvailableConnectionsChannelHandler` and answers
    /// whether it may accept another.
    struct Admission: AvailableConnectionsDelegate {
        let connections: OpenConnections

        mutating func connectionOpened() { connections.opened() }
        mutating func connectionClosed() { connections.closed() }
        func isAcceptingNewConnections() -> Bool { connections.admitsAnother() }
    }
}
