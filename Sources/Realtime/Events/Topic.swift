import Shop

/// The topics a subscriber may ask for (CONTRACT.md, "Topics and their events").
public enum Topic: String, Sendable, CaseIterable {
    case inventory, sales, notifications, orders, contracts, activity, presence

    /// Every topic's name, for a subscriber that wants all it may see.
    public static var allNames: Set<String> { Set(allCases.map(\.rawValue)) }

    /// The lowest role that may subscribe: `presence` is for admins, `activity` for owners; the
    /// rest are open to every user, whose events are then filtered one by one by their audience.
    public var minimumRole: Role {
        switch self {
        case .presence: .admin
        case .activity: .owner
        case .inventory, .sales, .notifications, .orders, .contracts: .user
        }
    }

    /// The names among `names` that are topics `role` may subscribe to.
    public static func allowed(_ names: Set<String>, for role: Role) -> Set<String> {
        names.filter { Topic(rawValue: $0).map { role >= $0.minimumRole } ?? false }
    }
}

/// A set of topics as bits, so the hub's per-subscriber check for each event is one AND
/// rather than hashing the topic's name. Names that are not topics are left out.
struct TopicSet: Sendable, Equatable {
    private var bits: UInt8 = 0

    init(_ names: Set<String>) {
        for topic in Topic.allCases where names.contains(topic.rawValue) { bits |= Self.bit(topic) }
    }

    func contains(_ topic: Topic) -> Bool { bits & Self.bit(topic) != 0 }

    var isEmpty: Bool { bits == 0 }

    /// The topics' names.
    var names: Set<String> { Set(Topic.allCases.filter(contains).map(\.rawValue)) }

    private static func bit(_ topic: Topic) -> UInt8 {
        switch topic {
        case .inventory: 1 << 0
        case .sales: 1 << 1
        case .notifications: 1 << 2
        case .orders: 1 << 3
        case .contracts: 1 << 4
        case .activity: 1 << 5
        case .presence: 1 << 6
        }
    }
}
