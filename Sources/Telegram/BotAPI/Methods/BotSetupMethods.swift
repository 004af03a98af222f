// The methods that set the bot up once at start: who it is, its menus, how updates arrive.

/// `getMe`: the bot's own user, a cheap check that the token works.
public struct GetMe: BotAPIMethod, Equatable {
    public typealias Result = TelegramUser
    public static let name = "getMe"

    public init() {}
}

/// `setMyCommands`: the command menu for a scope (and optionally a language).
public struct SetMyCommands: BotAPIMethod, Equatable {
    public typealias Result = Bool
    public static let name = "setMyCommands"

    public var commands: [BotCommand]
    public var scope: BotCommandScope?
    /// A two-letter ISO 639-1 code; nil for users of every language without a dedicated menu.
    public var languageCode: String?

    public init(commands: [BotCommand], scope: BotCommandScope? = nil, languageCode: String? = nil) {
        self.commands = commands
        self.scope = scope
        self.languageCode = languageCode
    }

    enum CodingKeys: String, CodingKey {
        case commands, scope
        case languageCode = "language_code"
    }
}

/// `deleteMyCommands`: removes a scope's menu, so a broader scope's applies again.
public struct DeleteMyCommands: BotAPIMethod, Equatable {
    public typealias Result = Bool
    public static let name = "deleteMyCommands"

    public var scope: BotCommandScope?
    public var languageCode: String?

    public init(scope: BotCommandScope? = nil, languageCode: String? = nil) {
        self.scope = scope
        self.languageCode = languageCode
    }

    enum CodingKeys: String, CodingKey {
        case scope
        case languageCode = "language_code"
    }
}

/// `setChatMenuButton`: the button beside the message field, for one private chat or (no chat) everyone.
public struct SetChatMenuButton: BotAPIMethod, Equatable {
    public typealias Result = Bool
    public static let name = "setChatMenuButton"

    public var chatId: Int64?
    public var menuButton: MenuButton?

    public init(chatId: Int64? = nil, menuButton: MenuButton?) {
        self.chatId = chatId
        self.menuButton = menuButton
    }

    enum CodingKeys: String, CodingKey {
        case chatId = "chat_id"
        case menuButton = "menu_button"
    }
}

/// `setWebhook`: Telegram POSTs each update to `url`, with `secretToken` in the
/// `X-Telegram-Bot-Api-Secret-Token` header. `getUpdates` stops working meanwhile.
public struct SetWebhook: BotAPIMethod, Equatable {
    public typealias Result = Bool
    public static let name = "setWebhook"

    /// An https URL.
    public var url: String
    /// 1–256 characters of `A-Z a-z 0-9 _ -` (see ``WebhookSecret``).
    public var secretToken: String?
    public var allowedUpdates: [String]?
    public var dropPendingUpdates: Bool?
    public var maxConnections: Int?

    public init(url: String, secretToken: String? = nil, allowedUpdates: [String]? = Update.handledKinds,
                dropPendingUpdates: Bool? = nil, maxConnections: Int? = nil) {
        self.url = url
        self.secretToken = secretToken
        self.allowedUpdates = allowedUpdates
        self.dropPendingUpdates = dropPendingUpdates
        self.maxConnections = maxConnections
    }

    public func validate() throws(BotAPIError) {
        if !url.hasPrefix("https://") { throw .invalidRequest("a webhook URL must be https, not \(url)") }
    }

    enum CodingKeys: String, CodingKey {
        case url
        case secretToken = "secret_token"
        case allowedUpdates = "allowed_updates"
        case dropPendingUpdates = "drop_pending_updates"
        case maxConnections = "max_connections"
    }
}

/// `deleteWebhook`: back to `getUpdates`.
public struct DeleteWebhook: BotAPIMethod, Equatable {
    public typealias Result = Bool
    public static let name = "deleteWebhook"

    /// Also drops the updates Telegram holds for the bot.
    public var dropPendingUpdates: Bool?

    public init(dropPendingUpdates: Bool? = nil) {
        self.dropPendingUpdates = dropPendingUpdates
    }

    enum CodingKeys: String, CodingKey {
        case dropPendingUpdates = "drop_pending_updates"
    }
}
