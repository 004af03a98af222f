/// How long to wait before trying again after failures in a row: doubling from `first`, capped at `maximum`.
///
/// Used when the Bot API cannot be reached, so that an outage costs a request every
/// `maximum` at worst, and a blip costs only `first`.
public struct Backoff: Sendable, Equatable {
    public var first: Duration
    public var maximum: Duration

    public init(first: Duration = .seconds(1), maximum: Duration = .seconds(60)) {
        self.first = first
        self.maximum = maximum
    }

    /// The wait after the `failures`-th failure in a row (1 → `first`, 2 → twice that, …).
    public func delay(afterFailures failures: Int) -> Duration {
        var delay = first
        for _ in 1..<max(1, failures) {
            delay *= 2
            if delay >= maximum { return maximum }
        }
        return min(delay, maximum)
    }
}
