import Foundation
import Synchronization

/// When each session was last used, remembered in memory only.
///
/// Every request carrying an access token is a use. Storing each one would turn every GET
/// into a durable write (a commit, a change-feed entry) for a "last used" column, so uses are
/// remembered here instead, and the store keeps only the time a session link was made: the
/// sign-in and every refresh, which an active device does at least once per access-token
/// lifetime. The sessions list shows the later of the stored and the remembered time, so after
/// a restart it is at most one access-token lifetime behind, never wrong in the other direction.
///
/// Bounded: two generations of at most `capacity` sessions each. When the newer one is full,
/// it becomes the older and the older is dropped, so memory stays under 2 × `capacity`
/// entries; a session idle through a whole generation just shows its stored time.
public final class SessionActivity: Sendable {
    private struct Generations {
        var newer: [UInt64: Date] = [:]
        var older: [UInt64: Date] = [:]
    }

    private let capacity: Int
    /// Guards both generations; held only for one dictionary read or write.
    private let generations = Mutex(Generations())

    public init(capacity: Int = 50_000) {
        self.capacity = max(capacity, 1)
    }

    /// Notes that `sessionId`'s access token was just accepted.
    public func touch(_ sessionId: UInt64, at now: Date = Date()) {
        generations.withLock { g in
            if g.newer[sessionId] == nil, g.newer.count >= capacity {
                g.older = g.newer
                g.newer = [:]
            }
            g.newer[sessionId] = now
        }
    }

    /// The last use remembered for `sessionId`, if any since the start (or since it was forgotten).
    public func lastUse(of sessionId: UInt64) -> Date? {
        generations.withLock { $0.newer[sessionId] ?? $0.older[sessionId] }
    }
}
