import Foundation
import Store
import Synchronization

/// Records a person before they first open the bot or the MiniApp (owner): their Telegram id,
/// a name and a role. When they sign in, Telegram's name, username and language replace what
/// was typed here. A Telegram id the shop knows already is refused (409 `already_exists`).
public struct CreateUser: ShopCommand {
    public static let name = "createUser"
    public static let access = Access.role(.owner)

    public var telegramId: Int64
    public var name: String
    public var username: String?
    public var role: Role

    public init(telegramId: Int64, name: String, username: String? = nil, role: Role = .user) {
        self.telegramId = telegramId; self.name = name; self.role = role
        // Written with or without the @ people put before it.
        self.username = username.map { $0.hasPrefix("@") ? String($0.dropFirst()) : $0 }.flatMap { $0.isEmpty ? nil : $0 }
    }

    public func validate() throws(ShopError) {
        try Check.number(telegramId, "telegramId", in: Bounds.telegramId)
        try Check.text(name, "name", max: Bounds.Length.personName)
        if let username {
            // Telegram's own rule for usernames: 5 to 32 of a–z, 0–9 and underscores.
            guard (5...32).contains(username.count), username.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }) else {
                throw ShopError.invalid("username", "username must be 5 to 32 letters, digits or underscores")
            }
        }
    }

    // No name or Telegram id here: the audit trail must not keep them beyond an erasure.
    public var summary: String { role.rawValue }

    public func execute(_ context: CommandContext) throws -> User {
        if try context.shop.users.first(context.txn, index: "telegramId", equals: OrderedKey(telegramId)) != nil {
            throw ShopError(.alreadyExists, "a user with Telegram id \(telegramId) exists already", field: "telegramId")
        }
        let user = User(id: try context.nextId(.user), telegramId: telegramId, name: name.trimmingCharacters(in: .whitespaces),
                        username: username, language: nil, role: role, blocked: false, createdAt: context.now, seenAt: context.now)
        try context.put(context.shop.users, user.id, user, expecting: .absent)
        return user
    }
}

/// Erases a customer (owner): what identifies them is removed or replaced everywhere the shop
/// keeps it, while their sales, payments, orders and ledger entries stay, pointing at the erased
/// person, so every balance still adds up.
///
/// - The user record keeps its id; the name becomes "Erased customer u7", username and language
///   go, the Telegram id becomes the negative of the shop id (no Telegram account has it, so the
///   same account signing in again is a new customer), the role `user`, and it is blocked.
/// - Their sessions are revoked and lose device and address; their login codes are deleted.
/// - Text anywhere that names them (notifications, the audit trail, order and contract notes,
///   payment and ledger notes) has the name, @username and Telegram id replaced; audit entries of
///   their own acts lose address and user agent; idempotency replays have the strings masked.
/// - The change feed's retained records are rewritten the same way, in the same transaction,
///   under the same sequences, so a replay from any position shows none of it.
///
/// Uploaded receipts stay: they are the proof of the payments the books keep. Admins and owners
/// cannot be erased (take the role first), nor can the caller erase themself. Erasing an erased
/// person again changes nothing.
public struct EraseUser: ShopCommand {
    public static let name = "eraseUser"
    public static let access = Access.role(.owner)

    public var userId: UInt64
    public init(userId: UInt64) { self.userId = userId }

    public var summary: String { EntityKind.user.format(userId) }

    public func execute(_ context: CommandContext) throws -> User {
        if userId == context.actorId { throw ShopError(.ruleBroken, "you cannot erase yourself", field: "userId") }
        guard let current = try context.shop.users.record(context.txn, userId) else { throw ShopError(.notFound, "user not found", field: "userId") }
        let person = current.value
        if person.isErased { return person }
        if person.role != .user {
            throw ShopError(.ruleBroken, "only a customer can be erased: make \(person.publicId) a user first", field: "userId")
        }
        let traces = PersonalTraces(person)
        try context.put(context.shop.users, traces.erased, over: current)
        for session in try context.shop.sessions.lookup(context.txn, index: "user", equals: OrderedKey(userId)).items {
            try context.revoke(session)
        }
        var codes: [String] = []
        try context.shop.loginCodes.forEach(context.txn) { record in
            if record.value.userId == userId { codes.append(record.key) }
            return true
        }
        for code in codes { _ = try context.shop.loginCodes.delete(context.txn, code) }
        try context.scrub(context.shop.sessions, traces.scrub)
        try context.scrub(context.shop.notifications, traces.scrub)
        try context.scrub(context.shop.audit, traces.scrub)
        try context.scrub(context.shop.orders, traces.scrub)
        try context.scrub(context.shop.contracts, traces.scrub)
        try context.scrub(context.shop.payments, traces.scrub)
        try context.scrub(context.shop.ledger, traces.scrub)
        try context.scrub(context.shop.stockMovements, traces.scrub)
        var replays: [(key: String, value: IdempotencyRecord)] = []
        try context.shop.idempotency.forEach(context.txn) { record in
            let masked = traces.mask(record.value.result)
            if masked != record.value.result {
                var replay = record.value
                replay.result = masked
                replays.append((record.key, replay))
            }
            return true
        }
        for replay in replays { _ = try context.shop.idempotency.put(context.txn, replay.key, replay.value) }
        // What keeps a person's data beside the shop (the bot's outbox and dialogues), in this write.
        let erasure = Erasure(userId: person.id, telegramId: person.telegramId, mask: { traces.mask($0) })
        for hook in context.shop.erasureHooks.all { try hook(context.txn, erasure) }
        // Last, so that the records this very call appended (the user's previous value among
        // them) are rewritten too.
        _ = try context.txn.rewriteRetainedChanges { record in try traces.rewrite(record) }
        return traces.erased
    }
}

extension CommandContext {
    /// Stores `change`'s version of every record of `records` that it alters.
    func scrub<V: BinaryCodable & Equatable>(_ records: Records<V>, _ change: (inout V) -> Void) throws {
        var altered: [(StoredRecord<UInt64, V>, V)] = []
        try records.forEach(txn) { record in
            var value = record.value
            change(&value)
            if value != record.value { altered.append((record, value)) }
            return true
        }
        for (record, value) in altered { _ = try put(records, value, over: record) }
    }
}

/// A person being erased, as an ``ErasureHook`` sees it.
public struct Erasure: Sendable {
    public let userId: UInt64
    /// Their Telegram id before the erasure (their private chat's id).
    public let telegramId: Int64
    /// Bytes with their name, @username, username and Telegram id overwritten by as many `#`.
    public let mask: @Sendable ([UInt8]) -> [UInt8]
}

/// Runs in an erasure's own write transaction, for a part of the program that keeps a person's
/// data beside the shop's collections (the bot's outbox and dialogues); throwing refuses the erasure.
public typealias ErasureHook = @Sendable (_ txn: WriteTransaction, _ erasure: Erasure) throws -> Void

/// The erasure hooks registered with a shop.
final class ErasureHooks: Sendable {
    // Guards the list: hooks are added at start-up while commands may already run.
    private let hooks = Mutex<[ErasureHook]>([])
    func add(_ hook: @escaping ErasureHook) { hooks.withLock { $0.append(hook) } }
    var all: [ErasureHook] { hooks.withLock { $0 } }
}

extension Shop {
    /// Has every later erasure run `hook` in its write transaction.
    public func onErasure(_ hook: @escaping ErasureHook) { collections.erasureHooks.add(hook) }
}
