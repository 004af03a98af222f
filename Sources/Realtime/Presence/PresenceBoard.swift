import Shop

/// Who is connected and what each connection shows: the source of `presence` events.
///
/// Kept by the hub under its lock; not from the change feed (presence is not stored).
struct PresenceBoard {
    /// Presence goes to admins (CONTRACT.md: `presence` — admin).
    static let audience = Audience.admins()

    private struct Connection: Equatable {
        var userId: UInt64
        var role: Role
        var view: String?
    }

    private var connections: [String: Connection] = [:]

    /// Records a connection; false when nothing changed.
    mutating func set(connectionId: String, userId: UInt64, role: Role, view: String?) -> Bool {
        let connection = Connection(userId: userId, role: role, view: view)
        guard connections[connectionId] != connection else { return false }
        connections[connectionId] = connection
        return true
    }

    /// Forgets a connection; false when it was not there.
    mutating func remove(connectionId: String) -> Bool {
        connections.removeValue(forKey: connectionId) != nil
    }

    /// Everyone online, by user id, with how many connections they hold and what they view.
    var snapshot: PresenceSnapshot {
        var byUser: [UInt64: PresenceSnapshot.Online] = [:]
        for connection in connections.values {
            var online = byUser[connection.userId]
                ?? PresenceSnapshot.Online(userId: EntityKind.user.format(connection.userId), role: connection.role.rawValue, connections: 0, views: [])
            online.connections += 1
            // The highest role any connection reports is the user's current one.
            if let known = Role(rawValue: online.role), connection.role > known { online.role = connection.role.rawValue }
            if let view = connection.view, !online.views.contains(view) { online.views.append(view) }
            byUser[connection.userId] = online
        }
        return PresenceSnapshot(online: byUser.keys.sorted().compactMap { id in
            byUser[id].map { online in
                var online = online
                online.views.sort()
                return online
            }
        })
    }
}
