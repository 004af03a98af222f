/// A message in a chat, as updates and `sendMessage` give it (the fields Tenda reads).
public struct Message: Sendable, Equatable, Codable {
    /// Unique within its chat.
    public var messageId: Int64
    /// The sender; absent for messages sent on behalf of a channel.
    public var from: TelegramUser?
    public var chat: Chat
    /// When it was sent, in Unix seconds.
    public var date: Int64
    public var text: String?
    /// A photo's or a document's caption.
    public var caption: String?
    /// The sizes a photo is available in, smallest first.
    public var photo: [PhotoSize]?
    public var document: Document?
    /// The inline keyboard attached to the message.
    public var replyMarkup: InlineKeyboardMarkup?

    /// Creates a message from its parts.
    public init(messageId: Int64, from: TelegramUser? = nil, chat: Chat, date: Int64, text: String? = nil,
                caption: String? = nil, photo: [PhotoSize]? = nil, document: Document? = nil,
                replyMarkup: InlineKeyboardMarkup? = nil) {
        self.messageId = messageId
        self.from = from
        self.chat = chat
        self.date = date
        self.text = text
        self.caption = caption
        self.photo = photo
        self.document = document
        self.replyMarkup = replyMarkup
    }

    enum CodingKeys: String, CodingKey {
        case messageId = "message_id"
        case from, chat, date, text, caption, photo, document
        case replyMarkup = "reply_markup"
    }
}

/// One size of a photo; download it with `getFile` and its `fileId`.
public struct PhotoSize: Sendable, Equatable, Codable {
    /// Identifies the file for `getFile`; valid for this bot only.
    public var fileId: String
    /// The same for every bot and over time; cannot be used to download.
    public var fileUniqueId: String
    public var width: Int
    public var height: Int
    /// Size in bytes, when Telegram knows it.
    public var fileSize: Int?

    public init(fileId: String, fileUniqueId: String, width: Int, height: Int, fileSize: Int? = nil) {
        self.fileId = fileId
        self.fileUniqueId = fileUniqueId
        self.width = width
        self.height = height
        self.fileSize = fileSize
    }

    enum CodingKeys: String, CodingKey {
        case fileId = "file_id"
        case fileUniqueId = "file_unique_id"
        case width, height
        case fileSize = "file_size"
    }
}

/// A general file sent as a document (for example a CSV to import).
public struct Document: Sendable, Equatable, Codable {
    public var fileId: String
    public var fileUniqueId: String
    public var fileName: String?
    public var mimeType: String?
    public var fileSize: Int?

    public init(fileId: String, fileUniqueId: String, fileName: String? = nil, mimeType: String? = nil, fileSize: Int? = nil) {
        self.fileId = fileId
        self.fileUniqueId = fileUniqueId
        self.fileName = fileName
        self.mimeType = mimeType
        self.fileSize = fileSize
    }

    enum CodingKeys: String, CodingKey {
        case fileId = "file_id"
        case fileUniqueId = "file_unique_id"
        case fileName = "file_name"
        case mimeType = "mime_type"
        case fileSize = "file_size"
    }
}

/// A file ready to download, as `getFile` answers; the link is valid for at least an hour.
public struct TelegramFile: Sendable, Equatable, Codable {
    public var fileId: String
    public var fileUniqueId: String
    public var fileSize: Int?
    /// Pass to ``BotAPIClient/downloadFile(path:maxBytes:)``; absent when the file cannot be downloaded.
    public var filePath: String?

    public init(fileId: String, fileUniqueId: String, fileSize: Int? = nil, filePath: String? = nil) {
        self.fileId = fileId
        self.fileUniqueId = fileUniqueId
        self.fileSize = fileSize
        self.filePath = filePath
    }

    enum CodingKeys: String, CodingKey {
        case fileId = "file_id"
        case fileUniqueId = "file_unique_id"
        case fileSize = "file_size"
        case filePath = "file_path"
    }
}
