import Foundation

/// Verified MiniApp launch data.
///
/// Only a verifier creates one, so holding a value means its signature and age were checked.
public struct WebAppInitData: Sendable, Equatable {
    /// Every decoded pair except `hash` (so `signature`, `chat`, `can_send_after`… are here).
    public let fields: [String: String]
    public let user: TelegramUser?
    /// The chat partner, for MiniApps opened from an attachment menu in a private chat.
    public let receiver: TelegramUser?
    public let authDate: Date
    public let queryId: String?
    public let startParam: String?
    public let chatType: String?
    public let chatInstance: String?

    /// Reads the well-known fields out of pairs whose signature was already verified.
    init(verifiedFields fields: [String: String], authDate: Date) throws(TelegramAuthError) {
        self.fields = fields
        self.user = try Self.user(in: fields, key: "user")
        self.receiver = try Self.user(in: fields, key: "receiver")
        self.authDate = authDate
        self.queryId = fields["query_id"]
        self.startParam = fields["start_param"]
        self.chatType = fields["chat_type"]
        self.chatInstance = fields["chat_instance"]
    }

    private static func user(
        in fields: [String: String], key: String
    ) throws(TelegramAuthError) -> TelegramUser? {
        guard let json = fields[key] else { return nil }
        do {
            return try JSONDecoder().decode(TelegramUser.self, from: Data(json.utf8))
        } catch {
            throw TelegramAuthError(.invalidUser, "The '\(key)' field is not a Telegram user in JSON.")
        }
    }
}
