import Shop
import Store

/// A committed change to what a signed-in caller may see or do, read from the change feed:
/// the hub applies it to that caller's open subscriptions in feed order, before any event
/// committed after it goes out.
///
/// Users and sessions are written by commands like everything else (`GrantRole`,
/// `BlockUser`, `Logout`, a refresh token reused), so following the feed is the one way every
/// such change reaches every transport, whichever door made it and on whichever node.
public enum AccessChange: Sendable, Equatable {
    /// The user's role is now `role`.
    case role(userId: UInt64, role: Role)
    /// The user was blocked: all their connections end.
    case blocked(userId: UInt64)
    /// The session was revoked (logout, ended from the sessions list, family revoked for reuse).
    case sessionEnded(sessionId: UInt64)

    /// The access changes one change record makes; empty for nearly all of them (a sign-in
    /// that only moves a user's `seenAt`, every other collection). Undecodable bytes make none:
    /// the store wrote them through the same codecs.
    public static func changes(in change: ChangeRecord) -> [AccessChange] {
        guard change.operation == .put, let value = change.value else { return [] }
        switch change.collection {
        case "users":
            guard let user = try? User(binary: value) else { return [] }
            let previous = change.previous.flatMap { try? User(binary: $0) }
            if user.blocked { return previous?.blocked == true ? [] : [.blocked(userId: user.id)] }
            guard let previous, previous.role != user.role || previous.blocked else { return [] }
            return [.role(userId: user.id, role: user.role)]
        case "sessions":
            guard let session = try? Session(binary: value), session.revokedAt != nil else { return [] }
            let previous = change.previous.flatMap { try? Session(binary: $0) }
            return previous?.revokedAt == nil ? [.sessionEnded(sessionId: session.id)] : []
        default:
            return []
        }
    }

    /// Whether the change concerns a caller acting as `userId` in `sessionId`.
    func concerns(userId: UInt64?, sessionId: UInt64?) -> Bool {
        switch self {
        case .role(let id, _), .blocked(let id): id == userId
        case .sessionEnded(let id): id == sessionId
        }
    }
}
