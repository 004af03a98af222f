import Foundation
import Logging
import ServiceLifecycle
import Shop
import Store
import Telegram

/// Sends the shop's notifications to Telegram: every new `Notice` the shop writes (low
/// stock and new orders to admins, order decisions to the customer, payments to the payer,
/// contracts to the parties, role changes to the user) becomes a message in the
/// addressee's chat. A role change also refreshes that person's command menu.
///
/// It follows the shop's change feed, the one event path. The messages and the feed
/// position it reached are written in one transaction of the outbox's store, so after a
/// crash each notice is queued exactly once. Neither adds to the feed: the outbox logs no
/// changes and the position is a counter.
public struct Notifier: Service {
    let shop: Shop
    let outbox: Outbox
    let menus: CommandMenus
    let logger: Logger
    /// Where the feed position is kept (a counter of the outbox's store).
    static let cursorKey = OrderedKey("botNotifier", "cursor")

    public init(shop: Shop, outbox: Outbox, menus: CommandMenus, logger: Logger = Logger(label: "tenda.bot.notifier")) {
        self.shop = shop
        self.outbox = outbox
        self.menus = menus
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await follow()
        }
    }

    /// The feed position the notifier has handled, as stored; 0 before its first start.
    public static func position(in environment: Store.Environment) throws -> UInt64 {
        UInt64(max(0, try environment.read { txn in try txn.counter(cursorKey) }))
    }

    /// The feed position handled so far; on the very first start, the head (history is not re-sent).
    /// Nil when stopped while waiting for room to record it.
    func startingPoint() async throws -> UInt64? {
        let stored = try Self.position(in: outbox.environment)
        if stored > 0 { return stored }
        let head = shop.feedHead
        guard try await writeWaitingForRoom({ txn in try Self.move(txn, to: head) }) else { return nil }
        return head
    }

    private func follow() async throws {
        guard var position = try await startingPoint() else { return }
        while !Task.isCancelled {
            do {
                for try await change in shop.follow(after: position) {
                    position = change.sequence
                    guard change.collection == "notifications", change.operation == .put, change.previous == nil, let bytes = change.value else { continue }
                    let notice = try Notice(binary: bytes)
                    let messages = try messages(for: notice)
                    let sequence = change.sequence
                    let written = try await writeWaitingForRoom { txn in
                        for message in messages { try outbox.enqueue(message, in: txn) }
                        if notice.kind == "role_changed", let user = try? shop.user(notice.userId, as: .system(.bot)).value {
                            try menus.enqueueMenu(for: user, in: txn, outbox: outbox)
                        }
                        try Self.move(txn, to: sequence)
                    }
                    if !written { return }
                }
                return
            } catch let error as StoreError where error.code == .sinceTooOld {
                // The feed was trimmed past us (a long stop): skip to what is still there.
                logger.warning("notifications between \(position) and the feed's start were trimmed; resuming at the head")
                position = shop.feedHead
            }
        }
    }

    /// Runs the write, and while the store is full waits and tries again (1 s, doubling to
    /// 30 s) rather than end the service, which would take the server down. False when
    /// stopped while waiting; other errors are thrown.
    private func writeWaitingForRoom(_ body: @escaping @Sendable (WriteTransaction) throws -> Void) async throws -> Bool {
        var wait = Duration.seconds(1)
        var said = false
        while true {
            do {
                try await outbox.environment.write(body)
                if said { logger.notice("notifier: there is room again; notices go on") }
                return true
            } catch let error as StoreError where error.code == .storageFull {
                if !said { logger.notice("notifier: the store is full; notices wait until there is room") }
                said = true
                guard (try? await Task.sleep(for: wait)) != nil else { return false }
                wait = min(wait * 2, .seconds(30))
            }
        }
    }

    /// The message a notice becomes, or none when its addressee has no Telegram chat or is blocked.
    func messages(for notice: Notice) throws -> [SendMessage] {
        guard let user = try? shop.user(notice.userId, as: .system(.bot)).value, user.telegramId > 0, !user.blocked else { return [] }
        let l = Language(code: user.language)
        let words = notice.words(in: l)
        var text = "🔔 <b>\(html(words.title))</b>"
        if !words.body.isEmpty { text += "\n" + html(words.body) }
        var buttons: [ReplyButton] = []
        if notice.kind == "low_stock", let link = notice.link, link.hasPrefix("products/") {
            buttons.append(.run(l.pick("➕ Repor 10", "➕ Restock 10"), "/estoque \(link.dropFirst("products/".count)) +10"))
        }
        if notice.kind == NoticeKind.debtReminder.rawValue {
            buttons.append(.run(l.pick("Ver minha conta", "See my tab"), "/dividas"))
        }
        if notice.kind == "receipt_submitted" || notice.kind == "new_order" {
            buttons.append(.run(l.pick("Ver pedidos", "See orders"), "/pedidos"))
        }
        if let app = menus.miniAppURL {
            buttons.append(ReplyButton(l.pick("Abrir", "Open"), .webApp(app + (notice.link.map { "#/" + $0 } ?? ""))))
        }
        return [SendMessage(chatId: user.telegramId, text: text, replyMarkup: ChatHandler.keyboard([buttons], privateChat: true))]
    }

    static func move(_ txn: WriteTransaction, to sequence: UInt64) throws {
        _ = try txn.add(toCounter: cursorKey, Int64(sequence) - (try txn.counter(cursorKey)))
    }
}
