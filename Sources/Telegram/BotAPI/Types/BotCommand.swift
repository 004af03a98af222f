/// One entry of the bot's command menu: `/command` and what it does.
public struct BotCommand: Sendable, Equatable, Codable {
    /// 1–32 characters: lowercase letters, digits and underscores, without the slash.
    public var command: String
    /// 1–256 characters.
    public var description: String

    public init(_ command: String, _ description: String) {
        self.command = command
        self.description = description
    }
}

/// Whom a command menu is for. Tenda sets the users' menu as `.default` and a `.chat`
/// menu for each admin and owner.
public enum BotCommandScope: Sendable, Equatable, Codable {
    case `default`
    case allPrivateChats
    case allGroupChats
    case allChatAdministrators
    /// One chat; for a user, their private chat's id is their user id.
    case chat(Int64)

    private enum CodingKeys: String, CodingKey {
        case type
        case chatId = "chat_id"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .default: try container.encode("default", forKey: .type)
        case .allPrivateChats: try container.encode("all_private_chats", forKey: .type)
        case .allGroupChats: try container.encode("all_group_chats", forKey: .type)
        case .allChatAdministrators: try container.encode("all_chat_administrators", forKey: .type)
        case .chat(let id):
            try container.encode("chat", forKey: .type)
            try container.encode(id, forKey: .chatId)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "default": self = .default
        case "all_private_chats": self = .allPrivateChats
        case "all_group_chats": self = .allGroupChats
        case "all_chat_administrators": self = .allChatAdministrators
        case "chat": self = .chat(try container.decode(Int64.self, forKey: .chatId))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown command scope \(other)")
        }
    }
}

/// What the button beside the message field does.
public enum MenuButton: Sendable, Equatable, Codable {
    /// Telegram's default (the command list, or the bot's configured MiniApp).
    case `default`
    /// Shows the command list.
    case commands
    /// Opens the MiniApp at `url` with initData filled in.
    case webApp(text: String, url: String)

    private enum CodingKeys: String, CodingKey {
        case type, text
        case webApp = "web_app"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .default: try container.encode("default", forKey: .type)
        case .commands: try container.encode("commands", forKey: .type)
        case .webApp(let text, let url):
            try container.encode("web_app", forKey: .type)
            try container.encode(text, forKey: .text)
            try container.encode(WebAppInfo(url: url), forKey: .webApp)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "default": self = .default
        case "commands": self = .commands
        case "web_app":
            self = .webApp(text: try container.decode(String.self, forKey: .text),
                           url: try container.decode(WebAppInfo.self, forKey: .webApp).url)
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown menu button \(other)")
        }
    }
}
