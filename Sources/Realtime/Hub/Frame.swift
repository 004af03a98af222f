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
        /// `{"type":"access",…}`: the caller's role changed; what they may now see follows.
        case access
        /// `{"type":"closed",…}`: the caller's session ended; the subscription ends after it
        /// and the connection closes (``SessionEnd``).
        case closed
        /// `{"type":"query_snapshot"|"query_diff",…}`: a live query's result or how it changed
        /// (``QueryWatch``); `{"type":"error","id":…}` when the server ends a watch.
        case query
    }

    public let kind: Kind
    public let bytes: [UInt8]
    /// The change feed sequence of an event from the feed; nil for presence and resync.
    public let sequence: UInt64?
    public let topic: Topic?
    /// The event's name, or the resync's reason.
    public let name: String
    /// Events with the same key supersede each other while queued (see ``HubEvent/supersedesKey``).
    var supersedesKey: String? { supersedes?.text }
    /// The same key with its hash, for the queues that look it up.
    let supersedes: SupersedesKey?
    /// Who may see an event frame, kept so the frames queued for a caller whose role drops can
    /// be taken back; nil for frames that are not events of the feed.
    let verdict: Audience.Verdict?

    /// The frame as text (for a WebSocket text frame or an SSE `data:` line), made once with
    /// the frame so the thousands of subscribers it goes to share one string.
    public let text: String

    init(kind: Kind, bytes: [UInt8], sequence: UInt64?, topic: Topic?, name: String, supersedesKey: String?,
         verdict: Audience.Verdict? = nil) {
        self.kind = kind
        self.bytes = bytes
        self.sequence = sequence
        self.topic = topic
        self.name = name
        supersedes = supersedesKey.map(SupersedesKey.init)
        self.verdict = verdict
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
              sequence: event.sequence, topic: event.topic, name: event.name, supersedesKey: event.supersedesKey,
              verdict: Audience.Verdict(event.audience))
    }

    /// A presence event; `seq` is the hub's feed position when it was made (presence is not replayed).
    static func presence(data: [UInt8], seq: UInt64, at: Date) -> Frame {
        Frame(kind: .event, bytes: eventBytes(seq: seq, topic: .presence, name: "presence", data: data, at: at),
              sequence: nil, topic: .presence, name: "presence", supersedesKey: "presence",
              verdict: Audience.Verdict(PresenceBoard.audience))
    }

    /// `{"type":"resync","reason":"…","epoch":"…"}`: reasons are fixed snake_case words, and
    /// the epoch (the store's, hex digits) is the one the client starts again in.
    static func resync(_ reason: ResyncReason, epoch: String) -> Frame {
        Frame(kind: .resync, bytes: Array("{\"type\":\"resync\",\"reason\":\"\(reason.rawValue)\",\"epoch\":\"\(epoch)\"}".utf8),
              sequence: nil, topic: nil, name: reason.rawValue, supersedesKey: nil)
    }

    /// `{"type":"access","role":"user","topics":["inventory",…]}`: the role now, and the
    /// subscribed topics it keeps (sorted).
    static func access(role: Role, topics: Set<String>) -> Frame {
        let names = topics.sorted().map { "\"\($0)\"" }.joined(separator: ",")
        return Frame(kind: .access, bytes: Array("{\"type\":\"access\",\"role\":\"\(role.rawValue)\",\"topics\":[\(names)]}".utf8),
                     sequence: nil, topic: nil, name: role.rawValue, supersedesKey: nil)
    }

    /// `{"type":"closed","code":4001,"reason":"session_ended"}`: the last frame of a caller
    /// whose session ended.
    public static func closed(_ end: SessionEnd) -> Frame {
        Frame(kind: .closed, bytes: Array("{\"type\":\"closed\",\"code\":\(end.closeCode),\"reason\":\"\(end.rawValue)\"}".utf8),
              sequence: nil, topic: nil, name: end.rawValue, supersedesKey: nil)
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

/// A frame's supersedes key with its hash worked out once, when the frame is made: the queue of
/// each of thousands of subscribers looks the key up twice (queued, taken), and hashing the
/// string every time was a seventh of the hub's instructions per delivery.
struct SupersedesKey: Hashable, Sendable {
    let text: String
    private let hash: Int

    init(_ text: String) {
        self.text = text
        hash = text.hashValue
    }

    static func == (lhs: SupersedesKey, rhs: SupersedesKey) -> Bool {
        lhs.hash == rhs.hash && lhs.text == rhs.text
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }
}

/// Why a subscription was ended with a `resync` frame.
public enum ResyncReason: String, Sendable {
    /// The `since` asked for is older than the change feed's trim point, or beyond its head.
    case sinceTooOld = "since_too_old"
    /// The client resumed with an epoch other than the store's (the store was restored from a
    /// backup since): its sequence numbers name another history.
    case epochChanged = "epoch_changed"
    /// The subscriber did not read fast enough and its queue overflowed.
    case slowConsumer = "slow_consumer"
    /// The history could not be read (the store failed or closed).
    case unavailable
}

/// Why a caller's live connections end while the server runs, with the WebSocket close code
/// each is closed with (CONTRACT.md, README "Live sessions"). SSE streams end after a final
/// `closed` event carrying the same code and reason; a waiting long-poll is answered with the
/// HTTP error of the same name.
public enum SessionEnd: String, Sendable, CaseIterable {
    /// Logged out, ended from the sessions list, or revoked with its family when a used
    /// refresh token came back: sign in again.
    case sessionEnded = "session_ended"
    /// The access token expired and the socket was not re-authenticated in time: refresh, reconnect.
    case tokenExpired = "token_expired"
    /// The owner blocked the user.
    case userBlocked = "user_blocked"

    /// The WebSocket close code (4000–4999 are the application's own, RFC 6455 §7.4.2).
    public var closeCode: UInt16 {
        switch self {
        case .sessionEnded: 4001
        case .tokenExpired: 4002
        case .userBlocked: 4003
        }
    }
}
