import Foundation
import Shop
import Store
import Telegram

/// The durable queue of everything the bot sends: a call is stored first, and sent by the
/// ``OutboxDeliverer``, which removes it only once Telegram confirmed it.
///
/// ```swift
/// let outbox = try await Outbox.open(environment)
/// // in the same transaction as the caller's own records:
/// try await environment.write { txn in
///     try notices.put(txn, id, notice)
///     try outbox.enqueue(SendMessage(chatId: admin, text: "Estoque baixo: <b>coxinha</b>"), in: txn)
/// }
/// // or on its own:
/// try await outbox.enqueue(SendMessage(chatId: 42, text: "Pedido confirmado"))
/// ```
///
/// Entries are keyed by a counter, so key order is queue order. The outbox is the bot's
/// bookkeeping, not the shop's: its collection logs no changes, so its writes stay out of the
/// change feed that clients replay, and the deliverer is woken by the outbox's own bell, rung
/// once a transaction that queued an entry is durable. Enqueue through this value (or a copy
/// of it) for the deliverer given it to hear; another `open` has a bell of its own.
public struct Outbox: Sendable {
    public typealias Entries = TypedCollection<UInt64Key, BinaryCodec<OutboxEntry>>

    /// The collection's name in the store.
    public static let collectionName = "botOutbox"
    /// The counter holding the last key handed out.
    static let lastKeyCounter = OrderedKey("botOutbox", "lastKey")

    public let environment: Store.Environment
    public let entries: Entries
    /// Rung after each commit that queued an entry; the deliverer listens.
    let bell = OutboxBell()

    /// Opens (creating when missing) the outbox's collection, which logs no changes (entries
    /// an older version queued in the feed stay there until the feed is trimmed).
    public static func open(_ environment: Store.Environment) async throws -> Outbox {
        Outbox(environment: environment,
               entries: try await environment.collection(collectionName, key: UInt64Key.self, value: BinaryCodec<OutboxEntry>.self,
                                                         logsChanges: false))
    }

    /// Queues a message or an edit for its chat in the caller's transaction; it is sent only
    /// if that transaction commits. Returns the entry's key.
    ///
    /// Throws ``BotAPIError/invalidRequest(_:)`` for a call Telegram would refuse (empty text,
    /// callback data over 64 bytes), which rolls back the caller's transaction unless caught.
    @discardableResult
    public func enqueue<M: ChatMessageMethod>(_ call: M, in txn: WriteTransaction, at now: Date = Date()) throws -> UInt64 {
        try enqueue(call, chat: call.chatId, paced: true, in: txn, at: now)
    }

    /// Queues any call, filed under `chat` for ordering; `paced` says whether Telegram's
    /// message limits apply (false for `answerCallbackQuery`, which is not a message).
    @discardableResult
    public func enqueue<M: BotAPIMethod>(_ call: M, chat: Int64, paced: Bool, in txn: WriteTransaction, at now: Date = Date()) throws -> UInt64 {
        try call.validate()
        let entry = OutboxEntry(chatId: chat, method: M.name, payload: try BotAPIClient.encode(call), enqueuedAt: now, paced: paced)
        let key = UInt64(try txn.add(toCounter: Self.lastKeyCounter, 1))
        try entries.put(txn, key, entry, expecting: .absent)
        txn.afterCommit { [bell] in bell.ring() }
        return key
    }

    /// Queues a message or an edit in a write of its own; returns once it is durable.
    @discardableResult
    /// Makes every erasure of `shop` reach the outbox: the calls queued for the erased person's
    /// chat are dropped, and their name is masked in the payloads of the others.
    public func forgetErasedPeople(of shop: Shop) {
        let entries = self.entries
        shop.onErasure { txn, erasure in
            var dropped: [UInt64] = []
            var masked: [(UInt64, OutboxEntry)] = []
            try entries.forEach(txn) { record in
                if record.value.chatId == erasure.telegramId {
                    dropped.append(record.key)
                } else {
                    var entry = record.value
                    entry.payload = erasure.mask(entry.payload)
                    if entry.payload != record.value.payload { masked.append((record.key, entry)) }
                }
                return true
            }
            for key in dropped { _ = try entries.delete(txn, key) }
            for (key, entry) in masked { _ = try entries.put(txn, key, entry) }
        }
    }

    public func enqueue<M: ChatMessageMethod>(_ call: M) async throws -> UInt64 {
        try await environment.write { txn in try self.enqueue(call, in: txn) }
    }

    /// Every waiting entry with its key, in queue order.
    public func pending() throws -> [(key: UInt64, entry: OutboxEntry)] {
        try environment.read { txn in
            var all: [(key: UInt64, entry: OutboxEntry)] = []
            try entries.forEach(txn) { record in
                all.append((record.key, record.value))
                return true
            }
            return all
        }
    }

    /// How many entries wait.
    public func count() throws -> Int {
        try environment.read { txn in try entries.count(txn) }
    }
}
