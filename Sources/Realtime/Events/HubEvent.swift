import Foundation

/// One event derived from one committed change: what it is, its JSON data, and who may see it.
public struct HubEvent: Sendable, Equatable {
    /// The change record's sequence; every event of one change shares it.
    public var sequence: UInt64
    public var topic: Topic
    /// The event's name ("inventory_update", "new_sale" …).
    public var name: String
    /// The event's `data` object, already JSON-encoded (UTF-8).
    public var data: [UInt8]
    public var audience: Audience
    /// When the change was committed.
    public var at: Date
    /// Events with the same key are levels, not deltas: a newer one makes a queued older one
    /// pointless (`inventory_update` of one product). Nil for events that must all arrive.
    public var supersedesKey: String?

    public init(sequence: UInt64, topic: Topic, name: String, data: [UInt8], audience: Audience, at: Date, supersedesKey: String? = nil) {
        self.sequence = sequence; self.topic = topic; self.name = name; self.data = data
        self.audience = audience; self.at = at; self.supersedesKey = supersedesKey
    }
}
