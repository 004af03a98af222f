/// A conversation: a private chat with one user, a group, a supergroup or a channel.
public struct Chat: Sendable, Equatable, Codable {
    /// Positive for users' private chats, negative for groups and channels.
    public var id: Int64
    /// `"private"`, `"group"`, `"supergroup"` or `"channel"`; kept as text so that a kind
    /// Telegram adds later still decodes.
    public var type: String
    public var title: String?
    public var username: String?
    public var firstName: String?
    public var lastName: String?

    /// Creates a chat; a private chat by default.
    public init(id: Int64, type: String = "private", title: String? = nil, username: String? = nil,
                firstName: String? = nil, lastName: String? = nil) {
        self.id = id
        self.type = type
        self.title = title
        self.username = username
        self.firstName = firstName
        self.lastName = lastName
    }

    /// Whether this is a one-to-one chat with a user (where `web_app` buttons work).
    public var isPrivate: Bool { type == "private" }

    enum CodingKeys: String, CodingKey {
        case id, type, title, username
        case firstName = "first_name"
        case lastName = "last_name"
    }
}
