import Foundation

/// The pace Telegram allows a bot: about one message a second per chat, twenty a minute
/// per group, thirty a second in all. Going faster earns 429s and, repeated, a ban.
public struct SendingLimits: Sendable, Equatable {
    /// Least time between two messages to the same chat; zero for none.
    public var perChatInterval: TimeInterval
    /// Most messages to one group (negative chat id) in any 60 seconds; nil for no limit.
    public var perGroupPerMinute: Int?
    /// Most messages in all in any one second; nil for no limit.
    public var overallPerSecond: Int?
    /// Most calls in flight at once (each to a different chat), so a large backlog does not
    /// open hundreds of connections.
    public var maxConcurrentCalls: Int

    public init(perChatInterval: TimeInterval = 1, perGroupPerMinute: Int? = 20, overallPerSecond: Int? = 30, maxConcurrentCalls: Int = 16) {
        self.perChatInterval = perChatInterval
        self.perGroupPerMinute = perGroupPerMinute
        self.overallPerSecond = overallPerSecond
        self.maxConcurrentCalls = maxConcurrentCalls
    }

    /// Telegram's published limits.
    public static let telegram = SendingLimits()

    /// No pacing at all: for a local Bot API stand-in (benchmarks, tests), never for Telegram.
    public static let unlimited = SendingLimits(perChatInterval: 0, perGroupPerMinute: nil, overallPerSecond: nil, maxConcurrentCalls: 64)
}
