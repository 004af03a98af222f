import ServiceLifecycle
import Synchronization

/// The server's WebSocket heartbeat: one timer for every connection, instead of a ping task
/// per socket (whose parked stack would cost each idle connection kilobytes).
///
/// About every `interval` each open ``SocketWire`` is pinged; one that sent nothing since the
/// previous beat (not even the pong) is a dead peer and is closed, which ends its session,
/// its subscription and its presence. So a peer that vanished is gone within two intervals.
final class Heartbeat: Service, Sendable {
    let interval: Duration
    private let wires = Mutex<[ObjectIdentifier: SocketWire]>([:])

    init(interval: Duration) {
        self.interval = interval
    }

    /// How many connections the heartbeat watches.
    var count: Int { wires.withLock { $0.count } }

    func watch(_ wire: SocketWire) {
        wires.withLock { $0[ObjectIdentifier(wire)] = wire }
    }

    func forget(_ wire: SocketWire) {
        _ = wires.withLock { $0.removeValue(forKey: ObjectIdentifier(wire)) }
    }

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: self.interval) } catch { return }
                for wire in self.wires.withLock({ Array($0.values) }) { wire.beat() }
            }
        }
    }
}
