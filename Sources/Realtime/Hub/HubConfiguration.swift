/// How a ``Hub`` buffers and replays.
public struct HubConfiguration: Sendable {
    /// The most frames a subscription may have queued; beyond it (after superseded
    /// `inventory_update`s are collapsed) the subscriber gets `resync` and is cut off.
    public var queueLimit = 1_024
    /// How many change records one history read takes when replaying from `since`.
    public var historyPageSize = 256

    public init() {}
}
