/// A Bot API method with its parameters: the JSON body is the value itself, `name` is the
/// last part of the URL and `Result` is what `"result"` holds.
///
/// ```swift
/// let sent = try await client.call(SendMessage(chatId: 42, text: "<b>Pronto!</b>"))
/// ```
///
/// Methods are `Codable` both ways so that stand-ins of the Bot API can read what was sent.
public protocol BotAPIMethod: Codable, Sendable {
    associatedtype Result: Codable & Sendable
    /// The method's name as the URL spells it (`sendMessage`).
    static var name: String { get }
    /// Throws ``BotAPIError/invalidRequest(_:)`` for what Telegram would refuse with a 400.
    func validate() throws(BotAPIError)
}

extension BotAPIMethod {
    public func validate() throws(BotAPIError) {}
}

/// A method that sends or changes a message in one chat: what the outbox queues, keeping
/// Telegram's per-chat order and limits.
public protocol ChatMessageMethod: BotAPIMethod {
    var chatId: Int64 { get }
}
