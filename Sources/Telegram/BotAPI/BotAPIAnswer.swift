/// The envelope of every Bot API answer: `{"ok": true, "result": …}` or
/// `{"ok": false, "error_code", "description", "parameters": {"retry_after", "migrate_to_chat_id"}}`.
///
/// Public so that stand-ins for the Bot API (tests, benchmarks) answer in exactly the shape
/// the client reads.
public struct BotAPIAnswer<Result: Codable & Sendable>: Codable, Sendable {
    public var ok: Bool
    public var result: Result?
    public var errorCode: Int?
    public var description: String?
    public var parameters: Parameters?

    /// What Telegram adds to some refusals.
    public struct Parameters: Codable, Sendable {
        public var retryAfter: Int?
        public var migrateToChatId: Int64?

        public init(retryAfter: Int? = nil, migrateToChatId: Int64? = nil) {
            self.retryAfter = retryAfter
            self.migrateToChatId = migrateToChatId
        }

        enum CodingKeys: String, CodingKey {
            case retryAfter = "retry_after"
            case migrateToChatId = "migrate_to_chat_id"
        }
    }

    /// A successful answer.
    public static func success(_ result: Result) -> BotAPIAnswer {
        BotAPIAnswer(ok: true, result: result, errorCode: nil, description: nil, parameters: nil)
    }

    /// A refusal, as Telegram words it.
    public static func refusal(_ refusal: BotAPIRefusal) -> BotAPIAnswer {
        let parameters = refusal.retryAfter == nil && refusal.migrateToChatId == nil
            ? nil : Parameters(retryAfter: refusal.retryAfter, migrateToChatId: refusal.migrateToChatId)
        return BotAPIAnswer(ok: false, result: nil, errorCode: refusal.errorCode, description: refusal.description, parameters: parameters)
    }

    enum CodingKeys: String, CodingKey {
        case ok, result, description, parameters
        case errorCode = "error_code"
    }
}

/// A result whose content is not needed (the outbox only needs to know a call succeeded).
struct IgnoredResult: Codable, Sendable {
    init() {}
    init(from decoder: any Decoder) throws {}
    func encode(to encoder: any Encoder) throws {}
}
