import Logging

/// Logs an outage of the Bot API once when it starts and once when it ends, however many
/// calls fail in between, so that a night without network does not fill the log.
public struct OutageLog: Sendable {
    private let logger: Logger
    private let what: String
    /// Failures in a row so far; 0 while the API answers.
    public private(set) var failures = 0

    /// `what` names the work in the messages ("long polling", "the outbox").
    public init(logger: Logger, what: String) {
        self.logger = logger
        self.what = what
    }

    /// Counts a failure; logs a warning for the first of a series, debug for the rest.
    public mutating func failed(_ error: any Error) {
        failures += 1
        if failures == 1 {
            logger.warning("\(what): the Bot API is unreachable, retrying with backoff", metadata: ["error": "\(error)"])
        } else {
            logger.debug("\(what): still failing", metadata: ["failures": "\(failures)", "error": "\(error)"])
        }
    }

    /// Marks a success; logs the end of an outage if there was one.
    public mutating func succeeded() {
        if failures > 0 {
            logger.notice("\(what): the Bot API answers again", metadata: ["failedCalls": "\(failures)"])
        }
        failures = 0
    }
}
