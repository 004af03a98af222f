import Foundation
import Store

/// Ends one of the caller's signed-in devices: revokes every link of the named session's
/// refresh-token family, so its refresh token fails and its connections close.
///
/// Any link of the family names it (the list shows the newest). A session that is not the
/// caller's is "not found", never "forbidden", so ids of other people's sessions tell nothing.
public struct EndSession: ShopCommand {
    public static let name = "endSession"
    public static let access = Access.role(.user)

    public var sessionId: UInt64
    public init(sessionId: UInt64) { self.sessionId = sessionId }
    public var summary: String { EntityKind.session.format(sessionId) }

    /// Answers how many links were revoked now (0 when the family had ended already).
    public func execute(_ context: CommandContext) throws -> Int {
        guard let userId = context.actorId, let session = try context.shop.sessions.get(context.txn, sessionId),
              session.userId == userId else {
            throw ShopError(.notFound, "session \(EntityKind.session.format(sessionId)) not found", field: "id")
        }
        let family = try context.shop.sessions.lookup(context.txn, index: "family", equals: OrderedKey(session.familyId)).items
        return try context.revokeAll(family)
    }
}

/// Ends every session of a user (owner): each of their devices must sign in again.
public struct EndUserSessions: ShopCommand {
    public static let name = "endUserSessions"
    public static let access = Access.role(.owner)

    public var userId: UInt64
    public init(userId: UInt64) { self.userId = userId }
    public var summary: String { EntityKind.user.format(userId) }

    /// Answers how many devices (live sessions, as the sessions list counts them) were ended.
    public func execute(_ context: CommandContext) throws -> Int {
        _ = try context.user(userId)
        let devices = try context.shop.liveFamilies(of: userId, in: context.txn, at: context.now).count
        try context.revokeAll(try context.shop.sessions.lookup(context.txn, index: "user", equals: OrderedKey(userId)).items)
        return devices
    }
}

extension CommandContext {
    /// Revokes every record in `sessions` not revoked yet, rotated links included (their
    /// access tokens may still be in use); answers how many it revoked.
    @discardableResult
    func revokeAll(_ sessions: [StoredRecord<UInt64, Session>]) throws -> Int {
        let live = sessions.filter { $0.value.revokedAt == nil }
        for session in live { try revoke(session) }
        return live.count
    }
}
