import Foundation
import Shop

extension Language {
    /// Picks the text written for this language (the shop's ``Language``, which replies are written in).
    func pick(_ pt: String, _ en: String) -> String { self == .en ? en : pt }
}

/// One command as the chat, the REST bridge and the WebSocket bridge hand it over.
public struct ChatRequest: Sendable {
    /// The command's name without the slash: "buy".
    public var command: String
    /// Everything after the name, as typed: "3 coxinha ana".
    public var args: String
    public var principal: Principal
    public var language: Language
    /// Makes a retried money command (a double-tapped button, a resent request) write once.
    public var idempotencyKey: String?

    public init(command: String, args: String, principal: Principal, language: Language, idempotencyKey: String? = nil) {
        self.command = command
        self.args = args
        self.principal = principal
        self.language = language
        self.idempotencyKey = idempotencyKey
    }

    /// Splits a line as typed in a chat: "/buy@TendaBot 3 coxinha" → command "buy", args "3 coxinha".
    /// Nil when the line is not a command.
    public init?(line: String, principal: Principal, language: Language) {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("/") else { return nil }
        let head = trimmed.dropFirst().prefix { !$0.isWhitespace }
        let name = head.split(separator: "@", maxSplits: 1).first.map(String.init) ?? ""
        guard !name.isEmpty else { return nil }
        self.init(command: name.lowercased(), args: String(trimmed.dropFirst(1 + head.count)).trimmingCharacters(in: .whitespacesAndNewlines),
                  principal: principal, language: language)
    }
}

/// A button under a reply.
public struct ReplyButton: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        /// Runs a command line when pressed (sent to Telegram as `callback_data`, at most 64 bytes).
        case command(String)
        /// Opens the MiniApp at this address (private chats only).
        case webApp(String)
        /// Opens a link.
        case url(String)
    }

    public var text: String
    public var action: Action

    public init(_ text: String, _ action: Action) {
        self.text = text
        self.action = action
    }

    static func run(_ text: String, _ line: String) -> ReplyButton { ReplyButton(text, .command(line)) }
}

/// What a command answers: the chat shows `text` (Telegram HTML) and `keyboard`; the bridges
/// answer `{"text", "data"}`, so a script gets the same facts in a shape it can read.
public struct Reply: Sendable {
    public var text: String
    public var data: ReplyData
    public var keyboard: [[ReplyButton]]
    /// Set when the command was refused or failed: the bridges answer it as an error.
    public var failure: ShopError?

    /// The text without its HTML, for places that show plain text (a button's notice).
    public var plainText: String {
        var plain = ""
        var inTag = false
        for character in text {
            if character == "<" { inTag = true } else if character == ">" { inTag = false } else if !inTag { plain.append(character) }
        }
        return plain.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    public init(text: String, data: ReplyData = ReplyData(), keyboard: [[ReplyButton]] = [], failure: ShopError? = nil) {
        self.text = text
        self.data = data
        self.keyboard = keyboard
        self.failure = failure
    }
}

/// A JSON object built field by field from the shop's record views.
public struct ReplyData: Encodable, Sendable {
    private var fields: [(key: String, value: any Encodable & Sendable)] = []

    public init() {}

    init(_ fields: KeyValuePairs<String, any Encodable & Sendable>) {
        self.fields = fields.map { ($0.key, $0.value) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        for field in fields {
            try container.encode(field.value, forKey: FieldKey(stringValue: field.key))
        }
    }

    /// The object as JSON bytes.
    public func json() throws -> Data {
        try JSONEncoder().encode(self)
    }

    private struct FieldKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// Escapes text for Telegram's HTML parse mode: only `<`, `>` and `&` are special.
func html(_ text: String) -> String {
    var escaped = ""
    escaped.reserveCapacity(text.count)
    for character in text {
        switch character {
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "&": escaped += "&amp;"
        default: escaped.append(character)
        }
    }
    return escaped
}
