import Foundation

/// Whether the store has room for writes, as the writer last found it.
///
/// It is a report, never a gate: every write is tried whatever it says. It turns full when a
/// write is refused with ``StoreError/Code/storageFull`` (the disk is full, or the map is at
/// its ceiling) and back to ok with the next write that reaches the disk, so freeing room is
/// all it takes for writes to be taken again.
///
/// ```swift
/// environment.observeStorage { condition in
///     if condition.isFull { logger.warning("storage full: \(condition.reason ?? "")") }
/// }
/// if environment.storage.isFull { … }  // e.g. in a health check
/// ```
public struct StorageCondition: Sendable, Equatable {
    /// True from the first write refused for want of room until a write reaches the disk again.
    public var isFull: Bool
    /// When the first refusal of this spell came; nil while ok.
    public var since: Date?
    /// What the first refusal said (which limit was met: the disk or the map's ceiling).
    public var reason: String?
    /// How many write calls were refused in this spell (while ok: in the spell just ended, 0 if none).
    public var refusals: Int

    /// Room for writes, as far as the writer knows.
    public static let ok = StorageCondition(isFull: false, since: nil, reason: nil, refusals: 0)

    public init(isFull: Bool, since: Date?, reason: String?, refusals: Int) {
        self.isFull = isFull
        self.since = since
        self.reason = reason
        self.refusals = refusals
    }
}
