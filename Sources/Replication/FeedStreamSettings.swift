import Foundation

/// Where and how the primary's change feed travels through NATS JetStream (`--nats` and friends).
///
/// The stream keeps the feed as one message per run of write calls (see ``FeedMessage``), for
/// as long as its retention allows: a replica that is down longer than `maxAge`, or further
/// behind than `maxBytes` holds, starts over from a fresh snapshot of the primary.
public struct FeedStreamSettings: Sendable, Equatable {
    /// NATS servers (`nats://host:4222`), any of one cluster; the client moves between them.
    public var servers: [String]
    /// The JetStream stream's name.
    public var stream: String
    /// The subject the feed is published on (the stream takes this subject only).
    public var subject: String
    /// How long the stream keeps a message (JetStream `max_age`); nil keeps them until `maxBytes`.
    public var maxAge: Duration?
    /// How many bytes the stream keeps at most, the oldest messages going first (`max_bytes`).
    public var maxBytes: Int64?
    /// Copies of the stream in a NATS cluster (1, or 3 to outlive a server).
    public var replicas: Int
    /// How many change records one message carries at most (a write call is never split).
    public var maxRecordsPerMessage: Int

    public init(servers: [String], stream: String = "TENDA_FEED", subject: String = "tenda.feed",
                maxAge: Duration? = .seconds(7 * 86_400), maxBytes: Int64? = 1 << 30, replicas: Int = 1,
                maxRecordsPerMessage: Int = 512) {
        self.servers = servers
        self.stream = stream
        self.subject = subject
        self.maxAge = maxAge
        self.maxBytes = maxBytes
        self.replicas = replicas
        self.maxRecordsPerMessage = maxRecordsPerMessage
    }
}
