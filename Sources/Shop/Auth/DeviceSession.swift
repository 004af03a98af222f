import Foundation
import Store

/// One signed-in device of a user, as the sessions list shows it: a refresh-token family
/// whose newest link is live (neither revoked nor expired).
///
/// A refresh rotates a session into a new record of the same family, so a device that has
/// refreshed many times is many records; it is listed once, named by its newest link.
public struct DeviceSession: Sendable, Equatable {
    /// The newest link's id; ending any link's id ends the whole family.
    public var id: UInt64
    public var familyId: UInt64
    /// The family's first sign-in.
    public var createdAt: Date
    /// The later of the stored last use (the newest sign-in or refresh) and the one remembered
    /// in memory since (``SessionActivity``).
    public var lastUsedAt: Date
    /// When the newest link's refresh token stops working.
    public var expiresAt: Date
    /// The user agent at the newest sign-in or refresh.
    public var device: String
    /// The client's address at the newest sign-in or refresh; nil when it was not known.
    public var address: String?
    /// Whether the access token asking belongs to this family.
    public var current: Bool
}

extension Shop {
    /// The caller's signed-in devices, most recently used first; `current` is the session of
    /// the access token asking. The system has no sessions (an empty list).
    public func deviceSessions(current: UInt64?, as principal: Principal) throws -> [DeviceSession] {
        let now = Date()
        let families = try query(as: principal) { q -> [[Session]] in
            try q.require(.user)
            guard let userId = q.actor?.id else { return [] }
            return try q.shop.liveFamilies(of: userId, in: q.txn, at: now).map { $0.map(\.value) }
        }
        return families.compactMap { links -> DeviceSession? in
            guard let newest = links.max(by: { $0.id < $1.id }), let createdAt = links.map(\.createdAt).min() else { return nil }
            // A link made (sign-in, refresh) was used then; records from before lastUsedAt was kept have only createdAt.
            let lastUsed = links.map { link in
                max(link.lastUsedAt ?? link.createdAt, sessionActivity.lastUse(of: link.id) ?? .distantPast)
            }.max() ?? createdAt
            return DeviceSession(id: newest.id, familyId: newest.familyId, createdAt: createdAt,
                                 lastUsedAt: lastUsed, expiresAt: newest.expiresAt, device: newest.device, address: newest.address,
                                 current: current.map { id in links.contains { $0.id == id } } ?? false)
        }.sorted { ($0.lastUsedAt, $0.id) > ($1.lastUsedAt, $1.id) }
    }
}

extension ShopCollections {
    /// A user's session records grouped by family, keeping only the families whose newest
    /// link is live. A rotated older link does not keep a family listed: once the newest link
    /// is revoked (a logout) or expired, the device is signed out.
    func liveFamilies(of userId: UInt64, in txn: ReadTransaction, at now: Date) throws -> [[StoredRecord<UInt64, Session>]] {
        let links = try sessions.lookup(txn, index: "user", equals: OrderedKey(userId)).items
        return Dictionary(grouping: links, by: \.value.familyId).sorted { $0.key < $1.key }.map(\.value)
            .filter { family in
                guard let newest = family.max(by: { $0.key < $1.key })?.value else { return false }
                return newest.revokedAt == nil && newest.expiresAt > now
            }
    }
}
