import NIOCore
import Realtime
import Synchronization

/// The hub's wake-ups of WebSocket connections, gathered per event loop: one task on each loop
/// writes every one of its connections that has live frames waiting.
///
/// ```swift
/// let settings = WebSocketConnection.Settings(…, liveWrites: LiveWrites())   // one per server
/// let connection = WebSocketConnection(eventLoop: channel.eventLoop, …, settings: settings)
/// // the connection holds settings.liveWrites.queue(for: its event loop)
/// // the hub calls connection.framesReady() for each of 10,000 sockets after a commit:
/// // each loop runs one task that drains its ~5,000, not 5,000 tasks
/// ```
///
/// A commit's fan-out used to cost one `EventLoop.execute` per socket: a closure allocated, a
/// lock taken on the loop's task queue, and a task run, ten thousand times on the hub's thread
/// for one purchase. Now the first connection of a loop to become ready schedules the loop's
/// task and the others only join its list.
///
/// The sockets of one pass usually get the same frames (the commit's events, for everyone who
/// may see them), so the pass encodes a list of frames once and hands the same bytes to every
/// socket whose list is the same (``EncodedFrames``): no buffer allocated or bytes copied per
/// socket.
final class LiveWrites: Sendable {
    private let queues = Mutex<[ObjectIdentifier: LoopQueue]>([:])

    init() {}

    /// The queue of `eventLoop`'s connections, made the first time a connection of that loop asks.
    func queue(for eventLoop: any EventLoop) -> LoopQueue {
        queues.withLock { queues in
            let key = ObjectIdentifier(eventLoop)
            if let queue = queues[key] { return queue }
            let queue = LoopQueue(eventLoop: eventLoop)
            queues[key] = queue
            return queue
        }
    }

    /// The connections of one event loop with frames waiting, and the task that writes them.
    final class LoopQueue: Sendable {
        let eventLoop: any EventLoop
        /// Ready connections, in the order the hub woke them; the loop's task takes them all.
        private let ready = Mutex<[WebSocketConnection]>([])
        /// The list the loop's task works through (only the loop touches it): swapped with
        /// `ready` so neither list is reallocated from pass to pass.
        private let taken: NIOLoopBoundBox<[WebSocketConnection]>

        init(eventLoop: any EventLoop) {
            self.eventLoop = eventLoop
            taken = NIOLoopBoundBox.makeBoxSendingValue([], eventLoop: eventLoop)
        }

        /// Schedules `connection`'s write; called from any thread (the hub's), never blocks.
        func add(_ connection: WebSocketConnection) {
            let first = ready.withLock { ready in
                ready.append(connection)
                return ready.count == 1
            }
            if first { eventLoop.execute { [self] in writeAll() } }
        }

        /// On the loop: drains every connection that became ready since the last pass.
        private func writeAll() {
            var batch = taken.value
            taken.value = []
            ready.withLock { swap(&$0, &batch) }
            var encoded = EncodedFrames()
            for connection in batch { connection.drain(encoded: &encoded) }
            batch.removeAll(keepingCapacity: true)
            taken.value = batch
        }
    }
}

/// The wire bytes of the last list of frames one pass wrote: the next socket with the very
/// same frames (the same objects, in the same order) gets the same buffer, shared rather than
/// copied.
struct EncodedFrames {
    /// The frames taken for the socket being written, emptied from socket to socket: one array
    /// for the pass rather than one made and freed per socket.
    var taken: [Frame] = []
    private var frames: [Frame] = []
    private var bytes: ByteBuffer?

    /// ``taken`` as consecutive final, unmasked text frames: the last pass's buffer when these
    /// are the very frames it encoded, else a new one (from NIO's default allocator, which is
    /// every channel's here: asking the socket's channel for it would touch one more object).
    mutating func bufferForTaken() -> ByteBuffer {
        if let bytes, taken.count == frames.count, zip(taken, frames).allSatisfy({ $0 === $1 }) {
            return bytes
        }
        let encoded = Self.encode(taken, allocator: ByteBufferAllocator())
        frames = taken
        bytes = encoded
        return encoded
    }

    static func encode(_ frames: [Frame], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: frames.reduce(0) { $0 + $1.bytes.count + 10 })
        for frame in frames { buffer.writeTextFrame(frame.bytes) }
        return buffer
    }
}
