import Foundation
import Logging
import Shop
import Store
import Telegram

/// The bot's command menus per role: the user list as the default, in Portuguese and English,
/// and a chat-scoped list for each admin and owner (CONTRACT.md's table, from the shop's
/// catalogue); and the chat menu button that opens the MiniApp.
public struct CommandMenus: Sendable {
    let shop: Shop
    /// The MiniApp's https address, when it has one Telegram can open.
    let miniAppURL: String?

    public init(shop: Shop, publicURL: String?) {
        self.shop = shop
        self.miniAppURL = publicURL.flatMap { $0.hasPrefix("https://") ? $0 + "/" : nil }
    }

    static func commands(for role: Role, _ l: Language) -> [BotCommand] {
        CommandCatalog.commands(for: role).map { BotCommand($0.name, l.pick($0.descriptionPT, $0.descriptionEN)) }
    }

    /// Queues every menu: the defaults, the menu button, and one per admin and owner.
    public func enqueueAll(outbox: Outbox) async throws {
        let staff = try shop.users(page: PageRequest(limit: 200), as: .system(.bot)).items.map(\.value).filter { $0.role > .user && $0.telegramId > 0 }
        try await outbox.environment.write { txn in
            try outbox.enqueue(SetMyCommands(commands: Self.commands(for: .user, .pt)), chat: 0, paced: false, in: txn)
            try outbox.enqueue(SetMyCommands(commands: Self.commands(for: .user, .en), languageCode: "en"), chat: 0, paced: false, in: txn)
            if let miniAppURL {
                try outbox.enqueue(SetChatMenuButton(menuButton: .webApp(text: "Loja", url: miniAppURL)), chat: 0, paced: false, in: txn)
            }
            for user in staff { try enqueueMenu(for: user, in: txn, outbox: outbox) }
        }
    }

    /// Queues the chat-scoped menu for one person's current role; a plain user falls back to the default.
    func enqueueMenu(for user: User, in txn: WriteTransaction, outbox: Outbox) throws {
        guard user.telegramId > 0 else { return }
        let scope = BotCommandScope.chat(user.telegramId)
        if user.role == .user {
            try outbox.enqueue(DeleteMyCommands(scope: scope), chat: user.telegramId, paced: false, in: txn)
        } else {
            try outbox.enqueue(SetMyCommands(commands: Self.commands(for: user.role, Language(code: user.language)), scope: scope),
                               chat: user.telegramId, paced: false, in: txn)
        }
    }
}
