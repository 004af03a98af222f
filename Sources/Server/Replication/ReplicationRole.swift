import Crypto
import Foundation
import HTTPTypes
import Replication

/// What this node is among several (ARCHITECTURE.md, "Beyond one machine"); nil in the
/// configuration is a single box, as before replication.
///
/// - `primary`: the only writer. It answers its replicas, which prove themselves with the
///   shared key (``ReplicationPeerMiddleware``), and serves them snapshots and its status
///   (``ReplicationRoutes``).
/// - `replica`: keeps its own copy of the store (fed by the primary's change feed), serves
///   every read and every live connection, and forwards every write to `primary`
///   (``ReplicaForwardingMiddleware``, ``CommandBridge``), answering once its own copy holds
///   the write (``FeedHeadWaiting``).
///
/// Both sides hold the same key: the primary believes a peer that sends it, and a replica
/// sends it with every forwarded request.
public enum ReplicationRole: Sendable, Equatable {
    case primary(key: String)
    case replica(primary: URL, key: String)

    /// The shared secret, whichever side this is.
    public var key: String {
        switch self {
        case .primary(let key), .replica(_, let key): key
        }
    }

    /// The shortest key accepted: a secret that guards every write must not be guessable.
    public static let minimumKeyLength = 32

    /// The role `tenda serve --replication-key KEY [--replica-of URL]` asks for, checked: nil
    /// without a key (a single box), refused when the key is short or the primary's address is
    /// not an `http`/`https` URL, or when `--replica-of` comes without a key.
    public static func from(key: String?, replicaOf: String?) throws(ReplicationConfigurationError) -> ReplicationRole? {
        let key = key.flatMap { $0.isEmpty ? nil : $0 }
        let replicaOf = replicaOf.flatMap { $0.isEmpty ? nil : $0 }
        guard let key else {
            if replicaOf != nil {
                throw ReplicationConfigurationError("--replica-of (TENDA_REPLICA_OF) needs --replication-key (TENDA_REPLICATION_KEY): the secret the primary shares with its replicas")
            }
            return nil
        }
        guard key.count >= minimumKeyLength else {
            throw ReplicationConfigurationError("--replication-key (TENDA_REPLICATION_KEY) must be at least \(minimumKeyLength) characters; it has \(key.count)")
        }
        guard let replicaOf else { return .primary(key: key) }
        guard let url = URL(string: replicaOf), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            throw ReplicationConfigurationError("--replica-of (TENDA_REPLICA_OF) must be the primary's address, like http://10.0.0.5:8080; got \(replicaOf)")
        }
        return .replica(primary: url, key: key)
    }
}

/// A replication setting `tenda serve` refuses to start with; the description says which and why.
public struct ReplicationConfigurationError: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The headers nodes speak to each other, and the key check.
enum Replication {
    /// The shared key a replica sends with every request to its primary.
    static let keyHeader = HTTPField.Name("Tenda-Replication-Key")!
    /// The primary's feed head after it handled a peer's request: the replica answers once its
    /// own copy reaches it.
    static let feedHeadHeader = HTTPField.Name("Feed-Head")!
    /// Set to `false` on a forwarded answer sent before the replica's copy caught up.
    static let caughtUpHeader = HTTPField.Name("Replica-Caught-Up")!
    /// The user a socket command is run for (`u7`), from a peer only.
    static let principalHeader = HTTPField.Name("Tenda-Principal")!
    /// The door that user came through on the replica (`websocket`, `rest`).
    static let channelHeader = HTTPField.Name("Tenda-Channel")!

    /// Whether `given` is `key`, in time that does not depend on where they differ (both are
    /// hashed first, so the lengths do not show either).
    static func keysMatch(_ given: String, _ key: String) -> Bool {
        let a = SHA256.hash(data: Data(given.utf8))
        let b = SHA256.hash(data: Data(key.utf8))
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}

/// What the server needs to play its ``ReplicationRole``, made by the composition root.
public struct ReplicationSetup: Sendable {
    public var role: ReplicationRole
    /// The data folder's `token-secret`, sent with a snapshot when it exists (primary).
    public var tokenSecretFile: String?
    /// How a replica waits for its copy to hold a forwarded write; nil polls the shop's feed
    /// head (``PollingFeedHead``). The store's follower mode may bring a notifying one.
    public var catchUp: (any FeedHeadWaiting)?
    /// The longest a forwarded answer waits for the replica's copy (then it is sent with
    /// `Replica-Caught-Up: false`).
    public var catchUpTimeout: Duration = .seconds(10)
    /// How the feed's shipping (primary) or following (replica) stands, for `/health` and
    /// `/metrics`; nil when this node does not take part in the feed's travel (a primary without NATS).
    public var status: ReplicationStatus?

    public init(role: ReplicationRole, tokenSecretFile: String? = nil, catchUp: (any FeedHeadWaiting)? = nil, status: ReplicationStatus? = nil) {
        self.role = role
        self.tokenSecretFile = tokenSecretFile
        self.catchUp = catchUp
        self.status = status
    }
}
