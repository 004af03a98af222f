import Foundation

/// How the in-process bot reaches Telegram and where it points people.
public struct BotSettings: Sendable {
    /// The bot's token from @BotFather.
    public var token: String
    /// The Bot API's base URL: Telegram's in production, a local Bot API server or the tests' stand-in otherwise.
    public var apiBaseURL: String
    /// Where the MiniApp is served (`--public-url`); with it, the bot takes updates by webhook.
    public var publicURL: String?

    public static let telegramAPI = "https://api.telegram.org"

    public init(token: String, apiBaseURL: String = BotSettings.telegramAPI, publicURL: String? = nil) {
        self.token = token
        self.apiBaseURL = apiBaseURL
        self.publicURL = publicURL
    }

    /// Long polling when there is no public address for Telegram to call; a webhook otherwise.
    public var usesWebhook: Bool { publicURL?.hasPrefix("https://") == true }
}
