// The methods that take things in: updates and the files they mention.

/// `getUpdates`: the updates after `offset`, waiting up to `timeout` seconds for one (long polling).
///
/// `offset` = the last handled `update_id` + 1 confirms every update before it; Telegram
/// then forgets them. Unconfirmed updates come again (kept for 24 hours).
public struct GetUpdates: BotAPIMethod, Equatable {
    public typealias Result = [Update]
    public static let name = "getUpdates"

    public var offset: Int64?
    /// 1–100; Telegram's default is 100.
    public var limit: Int?
    /// Seconds to hold the request open when there is nothing yet; 0 answers at once.
    public var timeout: Int?
    public var allowedUpdates: [String]?

    public init(offset: Int64? = nil, limit: Int? = nil, timeout: Int? = nil, allowedUpdates: [String]? = Update.handledKinds) {
        self.offset = offset
        self.limit = limit
        self.timeout = timeout
        self.allowedUpdates = allowedUpdates
    }

    enum CodingKeys: String, CodingKey {
        case offset, limit, timeout
        case allowedUpdates = "allowed_updates"
    }
}

/// `getFile`: where to download a file that arrived in a message (up to 20 MB).
public struct GetFile: BotAPIMethod, Equatable {
    public typealias Result = TelegramFile
    public static let name = "getFile"

    public var fileId: String

    public init(fileId: String) {
        self.fileId = fileId
    }

    enum CodingKeys: String, CodingKey {
        case fileId = "file_id"
    }
}
