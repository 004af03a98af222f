import Foundation

/// Runs a bot command line ("estoque", "3 coxinha ana") for a principal: the bot's
/// conversation provides it, so the bridges give exactly the chat's answers. The server
/// only knows this shape; `tenda serve` hands it the bot's conversation.
public protocol CommandLineRunner: Sendable {
    func run(command: String, args: String, principal: Principal, languageCode: String?, idempotencyKey: String?) async -> CommandLineAnswer
}

/// What a command line answered: the chat's text (Telegram HTML), its facts as a JSON object,
/// and the shop's refusal when there was one.
public struct CommandLineAnswer: Sendable {
    public var text: String
    /// The text without its markup, for an error's message.
    public var plainText: String
    public var data: Data
    public var failure: ShopError?

    public init(text: String, plainText: String, data: Data, failure: ShopError?) {
        self.text = text
        self.plainText = plainText
        self.data = data
        self.failure = failure
    }

    /// `{"text", "data"}`, the bridges' answer.
    public func body() -> Data {
        var body = Data(#"{"text":"#.utf8)
        body += (try? JSONEncoder().encode(text)) ?? Data(#""""#.utf8)
        body += Data(#","data":"#.utf8) + (data.isEmpty ? Data("{}".utf8) : data) + Data("}".utf8)
        return body
    }
}
