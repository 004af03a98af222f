import Shop

/// Who may see an event: everyone holding at least a role, plus some named users.
///
/// The hub applies it to every subscriber, live and replayed, with the role the caller
/// passes (the server passes the authenticated user's current role). For a live event it is
/// evaluated once into a ``Verdict`` per role, then looked up per subscriber.
public struct Audience: Sendable, Hashable {
    /// Anyone holding this role or a higher one; nil when only ``userIds`` may see it.
    public var minimumRole: Role?
    /// These users may see it whatever their role.
    public var userIds: Set<UInt64>

    public init(minimumRole: Role?, userIds: Set<UInt64> = []) {
        self.minimumRole = minimumRole
        self.userIds = userIds
    }

    /// Every signed-in user.
    public static let everyone = Audience(minimumRole: .user)
    /// Admins and owners, plus the named users.
    public static func admins(plus users: Set<UInt64> = []) -> Audience { Audience(minimumRole: .admin, userIds: users) }
    /// Owners, plus the named users.
    public static func owners(plus users: Set<UInt64> = []) -> Audience { Audience(minimumRole: .owner, userIds: users) }
    /// Only the named users.
    public static func only(_ users: Set<UInt64>) -> Audience { Audience(minimumRole: nil, userIds: users) }

    /// Whether a subscriber acting as `userId` with `role` may see the event.
    public func canSee(userId: UInt64?, role: Role) -> Bool {
        if let minimumRole, role >= minimumRole { return true }
        guard let userId else { return false }
        return userIds.contains(userId)
    }

    /// The audience decided once for each role, so fanning an event out to thousands of
    /// sockets looks a role up instead of asking the audience again per socket.
    public struct Verdict: Sendable {
        private let user: Bool, admin: Bool, owner: Bool
        /// Users who may see it whatever their role (the record's owner, parties).
        private let userIds: Set<UInt64>

        public init(_ audience: Audience) {
            user = audience.canSee(userId: nil, role: .user)
            admin = audience.canSee(userId: nil, role: .admin)
            owner = audience.canSee(userId: nil, role: .owner)
            userIds = audience.userIds
        }

        public func admits(userId: UInt64?, role: Role) -> Bool {
            let byRole = switch role {
            case .user: user
            case .admin: admin
            case .owner: owner
            }
            if byRole { return true }
            guard let userId, !userIds.isEmpty else { return false }
            return userIds.contains(userId)
        }
    }
}
