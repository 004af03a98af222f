import NIOWebSocket
import ServiceLifecycle
import Synchronization

/// The server's WebSocket heartbeat: one timer for every connection, instead of a ping task
/// per socket (whose parked stack would cost each idle connection kilobytes).
///
/// About every `interval` each open ``WebSocketConnection`` is pinged; one that sent nothing since the
/// previous beat (not even the pong) is a dead peer and is closed, which ends its session,
/// its subscription and its presence. So a peer that vanished is gone within two intervals.
final class Heartbeat: Service, Sendable {
    let interval: Duration
    private let connections = Mutex<[ObjectIdentifier: WebSocketConnection]>([:])

    init(interval: Duration) {
        self.interval = interval
    }

    /// How many connections the heartbeat watches.
    var count: Int { connections.withLock { $0.count } }

    func watch(_ connection: WebSocketConnection) {
        connections.withLock { $0[ObjectIdentifier(connection)] = connection }
    }

    func forget(_ connection: WebSocketConnection) {
        _ = connections.withLock { $0.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: self.interval) } catch { return }
                for connection in self.connections.withLock({ Array($0.values) }) { connection.beat() }
            }
        }
        // The server is stopping: every socket is told it is going away.
        for connection in connections.withLock({ Array($0.values) }) { connection.close(.goingAway, reason: "server shutting down") }
    }
}
