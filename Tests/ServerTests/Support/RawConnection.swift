import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP connection to the server made by hand, for clients that misbehave (stop half-way
/// through their headers, send a megabyte of them, trickle a body) and for the well-behaved
/// requests beside them, each on a connection of its own.
///
/// It keeps every byte the server sends and notices when the server closes; ``wait(_:seconds:until:)``
/// resumes on those events, not by polling.
final class RawConnection: Sendable {
    struct State: Sendable {
        var received: [UInt8] = []
        var closed = false
        var text: String { String(decoding: received, as: UTF8.self) }
    }

    private let channel: any Channel
    private let reader: Reader

    private init(channel: any Channel, reader: Reader) {
        self.channel = channel
        self.reader = reader
    }

    static func connect(port: Int) async throws -> RawConnection {
        let reader = Reader()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(reader) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, reader: reader)
    }

    /// Sends `request` on a new connection and returns everything the server sent until it
    /// closed the connection (ask with `Connection: close`).
    static func exchange(port: Int, _ request: String, seconds: Double = 30) async throws -> String {
        try await exchange(port: port, ByteBuffer(string: request), seconds: seconds)
    }

    static func exchange(port: Int, _ request: ByteBuffer, seconds: Double = 30) async throws -> String {
        let connection = try await connect(port: port)
        try await connection.send(request)
        try await connection.wait("the server to answer and close", seconds: seconds) { $0.closed }
        return connection.state.text
    }

    func send(_ text: String) async throws {
        try await send(ByteBuffer(string: text))
    }

    func send(_ bytes: ByteBuffer) async throws {
        try await channel.writeAndFlush(bytes)
    }

    var state: State { reader.state.withLockedValue { $0.state } }
    var isClosed: Bool { state.closed }

    /// Waits until `condition` holds of what the server sent, or fails after `seconds`.
    func wait(_ what: String, seconds: Double = 30, until condition: @escaping @Sendable (State) -> Bool) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.reader.satisfied(condition) }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                throw Timeout(what: what, seconds: seconds)
            }
            try await group.next()
            group.cancelAll()
        }
    }

    func close() async {
        try? await channel.close()
    }

    struct Timeout: Error, CustomStringConvertible {
        let what: String
        let seconds: Double
        var description: String { "timed out after \(seconds) s waiting for \(what)" }
    }

    /// Collects what the server sends and wakes the waiters whose condition it meets.
    final class Reader: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer

        struct Locked {
            var state = State()
            var waiters: [Int: (condition: @Sendable (State) -> Bool, continuation: CheckedContinuation<Void, Never>)] = [:]
            var nextWaiter = 0
        }

        let state = NIOLockedValueBox(Locked())

        /// Returns once `condition` holds, or at once when the waiting task is cancelled.
        func satisfied(_ condition: @escaping @Sendable (State) -> Bool) async {
            let id = state.withLockedValue { locked in
                locked.nextWaiter += 1
                return locked.nextWaiter
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = state.withLockedValue { locked in
                        if condition(locked.state) || Task.isCancelled { return true }
                        locked.waiters[id] = (condition, continuation)
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                state.withLockedValue { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
            }
        }

        private func update(_ change: (inout State) -> Void) {
            let ready = state.withLockedValue { locked in
                change(&locked.state)
                let met = locked.waiters.filter { $0.value.condition(locked.state) }
                for id in met.keys { locked.waiters[id] = nil }
                return met.values.map(\.continuation)
            }
            for continuation in ready { continuation.resume() }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = unwrapInboundIn(data)
            update { $0.received += bytes.readableBytesView }
        }

        func channelInactive(context: ChannelHandlerContext) {
            update { $0.closed = true }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // A reset: the server is gone all the same.
            context.close(promise: nil)
        }
    }
}
