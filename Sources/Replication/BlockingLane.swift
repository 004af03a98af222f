import Dispatch

/// A serial lane for the NATS client's blocking C calls, off Swift's cooperative thread pool
/// (a call may wait seconds for a publish acknowledgement or a message).
struct BlockingLane: Sendable {
    private let queue: DispatchQueue

    init(_ label: String) {
        queue = DispatchQueue(label: label)
    }

    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}
