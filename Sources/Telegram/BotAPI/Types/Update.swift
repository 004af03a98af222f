/// One incoming event from Telegram: a message or a tap on an inline button.
///
/// Only the kinds Tenda asks for (`allowed_updates: ["message", "callback_query"]`) are
/// decoded; an update of another kind decodes with all of them nil and is to be skipped.
public struct Update: Sendable, Equatable, Codable {
    /// Increasing; `getUpdates` with `offset` = the last handled id + 1 confirms everything before.
    public var updateId: Int64
    public var message: Message?
    public var callbackQuery: CallbackQuery?

    /// Creates an update carrying a message or a callback query.
    public init(updateId: Int64, message: Message? = nil, callbackQuery: CallbackQuery? = nil) {
        self.updateId = updateId
        self.message = message
        self.callbackQuery = callbackQuery
    }

    /// The update kinds Tenda handles, the value of `allowed_updates`.
    public static let handledKinds = ["message", "callback_query"]

    enum CodingKeys: String, CodingKey {
        case updateId = "update_id"
        case message
        case callbackQuery = "callback_query"
    }
}

/// A tap on an inline keyboard button with `callback_data`.
///
/// Every callback query must be answered (`answerCallbackQuery`), or the user's client
/// keeps showing a progress indicator on the button.
public struct CallbackQuery: Sendable, Equatable, Codable {
    /// Pass to `answerCallbackQuery`.
    public var id: String
    public var from: TelegramUser
    /// The message the button was on; absent for inline-mode messages, and with `date` 0
    /// when the message is too old for the bot to see.
    public var message: Message?
    public var inlineMessageId: String?
    public var chatInstance: String
    /// The button's `callback_data`.
    public var data: String?

    /// Creates a callback query.
    public init(id: String, from: TelegramUser, message: Message? = nil, inlineMessageId: String? = nil,
                chatInstance: String, data: String? = nil) {
        self.id = id
        self.from = from
        self.message = message
        self.inlineMessageId = inlineMessageId
        self.chatInstance = chatInstance
        self.data = data
    }

    enum CodingKeys: String, CodingKey {
        case id, from, message, data
        case inlineMessageId = "inline_message_id"
        case chatInstance = "chat_instance"
    }
}
