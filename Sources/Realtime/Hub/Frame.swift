import Foundation
import Shop

/// One server-to-client message, already encoded as CONTRACT.md's JSON (UTF-8 bytes).
///
/// The hub encodes an event's frame once and hands the same object to every subscriber
/// that may see it: a class, so queueing it for ten thousand subscribers is one reference
/// count each rather than one per field.
public final class Frame: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `{"type":"event",…}` from the change feed or presence.
        case event
        /// `{"type":"resync",…}`: the subscription ends after it; the client reloads.
        case resync
    }

    public let kind: Kind
    public let bytes: [UInt8]
    /// The change feed sequence of an event from the feed; nil for presence and resync.
    public let sequence: UInt64?
    public let topic: Topic?
    /// The event's name, or the resync's reason.
    public let name: String
    /// Events with the same key supersede each other while queued (see ``HubEvent/supersedesKey``).
    let supersedesKey: String?

    /// The frame as text (for a WebSocket text frame or an SSE `data:` line), made once with
    /// the frame so the thousands of subscribers it goes to share one string.
    public let text: String

    init(kind: Kind, bytes: [UInt8], sequence: UInt64?, topic: Topic?, name: String, supersedesKey: String?) {
        self.kind = kind
        self.bytes = bytes
        self.sequence = sequence
        self.topic = topic
        self.name = name
        self.supersedesKey = supersedesKey
        text = String(decoding: bytes, as: UTF8.self)
    }

    public static func == (lhs: Frame, rhs: Frame) -> Bool {
        lhs === rhs || (lhs.kind == rhs.kind && lhs.bytes == rhs.bytes && lhs.sequence == rhs.sequence && lhs.topic == rhs.topic
            && lhs.name == rhs.name && lhs.supersedesKey == rhs.supersedesKey)
    }

    /// `{"type":"event","seq":N,"topic":"…","event":"…","data":{…},"at":"RFC 3339"}`.
    ///
    /// Built by concatenation: the data is already JSON, and topic and event names are
    /// fixed ASCII words that need no escaping.
    static func event(_ event: HubEvent) -> Frame {
        Frame(kind: .event, bytes: eventBytes(seq: event.sequence, topic: event.topic, name: event.name, data: event.data, at: event.at),
              sequence: event.sequence, topic: event.topic, name: event.name, supersedesKey: event.supersedesKey)
    }

    /// A presence event; `seq` is the hub's feed position when it was made (presence is not replayed).
    static func presence(data: [UInt8], seq: UInt64, at: Date) -> Frame {
        Frame(kind: .event, bytes: eventBytes(seq: seq, topic: .presence, name: "presence", data: data, at: at),
              sequence: nil, topic: .presence, name: "presence", supersedesKey: "presence")
    }

    /// `{"type":"resync","reason":"…"}`; reasons are fixed snake_case words.
    static func resync(_ reason: ResyncReason) -> Frame {
        Frame(kind: .resync, bytes: Array("{\"type\":\"resync\",\"reason\":\"\(reason.rawValue)\"}".utf8),
              sequence: nil, topic: nil, name: reason.rawValue, supersedesKey: nil)
    }

    private static func eventBytes(seq: UInt64, topic: Topic, name: String, data: [UInt8], at: Date) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(96 + data.count)
        bytes += "{\"type\":\"event\",\"seq\":\(seq),\"topic\":\"\(topic.rawValue)\",\"event\":\"\(name)\",\"data\":".utf8
        bytes += data
        bytes += ",\"at\":\"\(RFC3339.string(from: at))\"}".utf8
        return bytes
    }
}

/// Why a subscription was ended with a `resync` frame.
public enum ResyncReason: String, Sendable {
    /// The `since` asked for is older than the change feed's trim point.
    case sinceTooOld = "since_too_old"
    /// The subscriber did not read fast enough and its queue overflowed.
    case slowConsumer = "slow_consumer"
    /// The history could not be read (the store failed or closed).
    case unavailable
}
