import Store

/// What a user may do; roles nest: an owner may do all an admin may, an admin all a user may.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable, BinaryCodable {
    case user, admin, owner

    var rank: Int {
        switch self {
        case .user: 0
        case .admin: 1
        case .owner: 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// Where a command came from, for the audit trail.
public enum Channel: String, Sendable, Codable, CaseIterable, BinaryCodable {
    case rest, ws, bot, cli
}
