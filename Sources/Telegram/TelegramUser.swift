/// A Telegram user as initData, the Login Widget or an update describes them.
///
/// Coded with Telegram's snake_case keys. Decoding is lenient, because clients and test
/// suites in the wild send numbers and booleans as strings (`"id": "42"`,
/// `"is_premium": "true"`) and Telegram adds fields over time: unknown keys are ignored.
public struct TelegramUser: Sendable, Equatable, Codable {
    public var id: Int64
    public var firstName: String
    public var lastName: String?
    public var username: String?
    public var languageCode: String?
    public var isPremium: Bool?
    public var isBot: Bool?
    public var photoURL: String?
    public var allowsWriteToPM: Bool?

    /// Creates a user from its parts; only `id` and `firstName` are always present.
    public init(
        id: Int64,
        firstName: String,
        lastName: String? = nil,
        username: String? = nil,
        languageCode: String? = nil,
        isPremium: Bool? = nil,
        isBot: Bool? = nil,
        photoURL: String? = nil,
        allowsWriteToPM: Bool? = nil
    ) {
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.username = username
        self.languageCode = languageCode
        self.isPremium = isPremium
        self.isBot = isBot
        self.photoURL = photoURL
        self.allowsWriteToPM = allowsWriteToPM
    }

    enum CodingKeys: String, CodingKey {
        case id
        case firstName = "first_name"
        case lastName = "last_name"
        case username
        case languageCode = "language_code"
        case isPremium = "is_premium"
        case isBot = "is_bot"
        case photoURL = "photo_url"
        case allowsWriteToPM = "allows_write_to_pm"
    }

    /// Decodes Telegram's JSON, accepting numbers and booleans written as strings.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeLenientInt64(forKey: .id)
        firstName = try container.decode(String.self, forKey: .firstName)
        lastName = try container.decodeIfPresent(String.self, forKey: .lastName)
        username = try container.decodeIfPresent(String.self, forKey: .username)
        languageCode = try container.decodeIfPresent(String.self, forKey: .languageCode)
        isPremium = try container.decodeLenientBoolIfPresent(forKey: .isPremium)
        isBot = try container.decodeLenientBoolIfPresent(forKey: .isBot)
        photoURL = try container.decodeIfPresent(String.self, forKey: .photoURL)
        allowsWriteToPM = try container.decodeLenientBoolIfPresent(forKey: .allowsWriteToPM)
    }
}

extension KeyedDecodingContainer {
    fileprivate func decodeLenientInt64(forKey key: Key) throws -> Int64 {
        if let number = try? decode(Int64.self, forKey: key) {
            return number
        }
        let text = try decode(String.self, forKey: key)
        guard let number = Int64(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "'\(text)' is not an integer")
        }
        return number
    }

    fileprivate func decodeLenientBoolIfPresent(forKey key: Key) throws -> Bool? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let flag = try? decode(Bool.self, forKey: key) {
            return flag
        }
        switch try decode(String.self, forKey: key) {
        case "true": return true
        case "false": return false
        case let text:
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "'\(text)' is not a boolean")
        }
    }
}
