// Helpers for NATSClientTests: JetStreamClient's calls block (nats.c round trips), so the tests run
// them on Dispatch's threads, off the Swift concurrency pool; and they wait generously (30 s) for
// what a loaded 2-core machine may do slowly (a server starting, a cluster electing, a reconnect).
import Dispatch
import Foundation
import NATSClient

/// Runs a blocking call on a Dispatch thread.
func off<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result(catching: body)) }
    }
}

/// Repeats `body` (on a Dispatch thread) until it returns without throwing, for `seconds` at most;
/// then throws its last error. For calls that fail while a server starts, restarts or elects.
func eventually<T: Sendable>(
    _ what: String, seconds: Double = 30, _ body: @escaping @Sendable () throws -> T
) async throws -> T {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        do {
            return try await off(body)
        } catch {
            if Date() > deadline { throw NATSTestFailure(description: "\(what) still failed after \(seconds) s: \(error)") }
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}

/// The next `count` messages of `subscription`, waiting up to `seconds` in all.
func receive(_ count: Int, from subscription: OrderedSubscription, seconds: Double = 30) async throws -> [StreamMessage] {
    let deadline = Date().addingTimeInterval(seconds)
    var messages: [StreamMessage] = []
    while messages.count < count {
        if Date() > deadline {
            throw NATSTestFailure(
                description: "received \(messages.count) of \(count) in \(seconds) s: \(messages.map(\.streamSequence))")
        }
        if let message = try await off({ try subscription.next(timeout: .seconds(1)) }) {
            messages.append(message)
        }
    }
    return messages
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}
