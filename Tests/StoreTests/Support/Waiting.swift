import Testing

/// Polls `observe` until `isMet` holds for what it saw, and returns that; when `timeout`
/// passes first, records an issue naming `what` and the last thing seen, and throws.
///
/// The one way these tests wait: on a real condition (a call the Bot API stand-in saw, a
/// feed position, a subscriber or reader count), never on time. It throws rather than
/// returning, so a test cannot carry on as if the wait had ended. The 5 ms between looks
/// is only the polling interval.
///
/// ```swift
/// try await waitUntil("the outbox is empty", seeing: { try outbox.count() }) { $0 == 0 }
/// ```
///
/// Shared by StoreTests and (through symbolic links) TelegramTests and BotTests, so it
/// imports only Testing.
@discardableResult
func waitUntil<Seen>(_ what: String, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation,
                     seeing observe: () async throws -> Seen, until isMet: (Seen) throws -> Bool) async throws -> Seen {
    let deadline = ContinuousClock.now + timeout
    while true {
        let seen = try await observe()
        if try isMet(seen) { return seen }
        guard ContinuousClock.now < deadline else {
            let timedOut = WaitTimedOut(what: what, seen: String(describing: seen), timeout: timeout)
            Issue.record(Comment(rawValue: timedOut.description), sourceLocation: sourceLocation)
            throw timedOut
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// A condition a test waited for did not hold by its deadline.
struct WaitTimedOut: Error, CustomStringConvertible {
    let what: String
    /// The last observation, as text.
    let seen: String
    let timeout: Duration

    var description: String { "waited \(timeout) for \(what); last saw \(seen)" }
}
