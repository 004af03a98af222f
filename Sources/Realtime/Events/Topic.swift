/// The topics a subscriber may ask for (CONTRACT.md, "Topics and their events").
public enum Topic: String, Sendable, CaseIterable {
    case inventory, sales, notifications, orders, contracts, activity, presence

    /// Every topic's name, for a subscriber that wants all it may see.
    public static var allNames: Set<String> { Set(allCases.map(\.rawValue)) }
}
