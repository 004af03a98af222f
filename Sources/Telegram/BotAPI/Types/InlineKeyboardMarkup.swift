/// Buttons shown under a message, in rows.
public struct InlineKeyboardMarkup: Sendable, Equatable, Codable {
    public var inlineKeyboard: [[InlineKeyboardButton]]

    /// Creates a keyboard from its rows of buttons.
    public init(_ rows: [[InlineKeyboardButton]]) {
        inlineKeyboard = rows
    }

    enum CodingKeys: String, CodingKey {
        case inlineKeyboard = "inline_keyboard"
    }

    /// Checks what Telegram would refuse with a 400: callback data outside 1–64 bytes.
    func validate() throws(BotAPIError) {
        for button in inlineKeyboard.joined() {
            if let data = button.callbackData, !(1...64).contains(data.utf8.count) {
                throw .invalidRequest("callback_data of button '\(button.text)' is \(data.utf8.count) bytes; Telegram takes 1–64")
            }
        }
    }
}

/// One inline button: exactly one of callback data, a URL, a MiniApp or a login URL.
public struct InlineKeyboardButton: Sendable, Equatable, Codable {
    public var text: String
    /// Sent back in a ``CallbackQuery`` when tapped; 1–64 bytes of UTF-8.
    public var callbackData: String?
    public var url: String?
    /// Opens the MiniApp with initData filled in; private chats only.
    public var webApp: WebAppInfo?
    /// Opens a URL with the user's Login Widget fields added, signed by Telegram.
    public var loginURL: LoginURL?

    /// A button that sends `data` back to the bot (1–64 bytes; checked when sent).
    public static func callback(_ text: String, data: String) -> InlineKeyboardButton {
        InlineKeyboardButton(text: text, callbackData: data)
    }

    /// A button that opens the MiniApp at `url` (an https address), in private chats.
    public static func webApp(_ text: String, url: String) -> InlineKeyboardButton {
        InlineKeyboardButton(text: text, webApp: WebAppInfo(url: url))
    }

    /// A button that opens `url` signed in with the user's Telegram account.
    public static func login(_ text: String, url: String) -> InlineKeyboardButton {
        InlineKeyboardButton(text: text, loginURL: LoginURL(url: url))
    }

    /// A button that opens `url` in the browser.
    public static func link(_ text: String, url: String) -> InlineKeyboardButton {
        InlineKeyboardButton(text: text, url: url)
    }

    /// Creates a button; prefer the static constructors, which set exactly one action.
    public init(text: String, callbackData: String? = nil, url: String? = nil, webApp: WebAppInfo? = nil, loginURL: LoginURL? = nil) {
        self.text = text
        self.callbackData = callbackData
        self.url = url
        self.webApp = webApp
        self.loginURL = loginURL
    }

    enum CodingKeys: String, CodingKey {
        case text, url
        case callbackData = "callback_data"
        case webApp = "web_app"
        case loginURL = "login_url"
    }
}

/// The MiniApp a button or the menu button opens.
public struct WebAppInfo: Sendable, Equatable, Codable {
    public var url: String

    public init(url: String) {
        self.url = url
    }
}

/// A Login Widget sign-in through a button: Telegram appends the user's signed fields to `url`.
public struct LoginURL: Sendable, Equatable, Codable {
    public var url: String
    public var forwardText: String?
    public var botUsername: String?
    public var requestWriteAccess: Bool?

    public init(url: String, forwardText: String? = nil, botUsername: String? = nil, requestWriteAccess: Bool? = nil) {
        self.url = url
        self.forwardText = forwardText
        self.botUsername = botUsername
        self.requestWriteAccess = requestWriteAccess
    }

    enum CodingKeys: String, CodingKey {
        case url
        case forwardText = "forward_text"
        case botUsername = "bot_username"
        case requestWriteAccess = "request_write_access"
    }
}
