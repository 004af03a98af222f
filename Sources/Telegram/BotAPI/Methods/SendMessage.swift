/// `sendMessage`: a text message, HTML-formatted by default, with an optional inline keyboard.
public struct SendMessage: ChatMessageMethod, Equatable {
    public typealias Result = Message
    public static let name = "sendMessage"

    public var chatId: Int64
    /// 1–4096 characters after entity parsing.
    public var text: String
    /// `"HTML"` (Tenda's replies escape user text for it); nil for plain text.
    public var parseMode: String?
    public var replyMarkup: InlineKeyboardMarkup?
    /// Delivers without sound.
    public var disableNotification: Bool?
    public var linkPreviewOptions: LinkPreviewOptions?

    public init(chatId: Int64, text: String, parseMode: String? = "HTML", replyMarkup: InlineKeyboardMarkup? = nil,
                disableNotification: Bool? = nil, linkPreviewOptions: LinkPreviewOptions? = nil) {
        self.chatId = chatId
        self.text = text
        self.parseMode = parseMode
        self.replyMarkup = replyMarkup
        self.disableNotification = disableNotification
        self.linkPreviewOptions = linkPreviewOptions
    }

    public func validate() throws(BotAPIError) {
        if text.isEmpty { throw .invalidRequest("sendMessage with empty text") }
        try replyMarkup?.validate()
    }

    enum CodingKeys: String, CodingKey {
        case chatId = "chat_id"
        case text
        case parseMode = "parse_mode"
        case replyMarkup = "reply_markup"
        case disableNotification = "disable_notification"
        case linkPreviewOptions = "link_preview_options"
    }
}

/// Whether and how a message shows a preview of the first link in it.
public struct LinkPreviewOptions: Sendable, Equatable, Codable {
    public var isDisabled: Bool?

    public init(isDisabled: Bool? = nil) {
        self.isDisabled = isDisabled
    }

    /// No preview at all.
    public static let disabled = LinkPreviewOptions(isDisabled: true)

    enum CodingKeys: String, CodingKey {
        case isDisabled = "is_disabled"
    }
}

/// `editMessageText`: replaces a message's text (and keyboard) in a chat.
///
/// Telegram refuses an edit that changes nothing with 400 "message is not modified".
public struct EditMessageText: ChatMessageMethod, Equatable {
    public typealias Result = Message
    public static let name = "editMessageText"

    public var chatId: Int64
    public var messageId: Int64
    public var text: String
    public var parseMode: String?
    /// The new keyboard; nil removes it.
    public var replyMarkup: InlineKeyboardMarkup?

    public init(chatId: Int64, messageId: Int64, text: String, parseMode: String? = "HTML", replyMarkup: InlineKeyboardMarkup? = nil) {
        self.chatId = chatId
        self.messageId = messageId
        self.text = text
        self.parseMode = parseMode
        self.replyMarkup = replyMarkup
    }

    public func validate() throws(BotAPIError) {
        if text.isEmpty { throw .invalidRequest("editMessageText with empty text") }
        try replyMarkup?.validate()
    }

    enum CodingKeys: String, CodingKey {
        case chatId = "chat_id"
        case messageId = "message_id"
        case text
        case parseMode = "parse_mode"
        case replyMarkup = "reply_markup"
    }
}

/// `answerCallbackQuery`: stops the button's progress indicator, optionally with a notice.
public struct AnswerCallbackQuery: BotAPIMethod, Equatable {
    public typealias Result = Bool
    public static let name = "answerCallbackQuery"

    public var callbackQueryId: String
    /// Shown as a toast (or an alert with `showAlert`); up to 200 characters.
    public var text: String?
    public var showAlert: Bool?

    public init(callbackQueryId: String, text: String? = nil, showAlert: Bool? = nil) {
        self.callbackQueryId = callbackQueryId
        self.text = text
        self.showAlert = showAlert
    }

    enum CodingKeys: String, CodingKey {
        case callbackQueryId = "callback_query_id"
        case text
        case showAlert = "show_alert"
    }
}
