import Foundation
import Store
import Synchronization

typealias Records<Value: BinaryCodable> = TypedCollection<UInt64Key, BinaryCodec<Value>>

/// The shop's collections and their indexes, opened once over an environment.
struct ShopCollections: Sendable {
    let users: Records<User>
    let products: Records<Product>
    let stockMovements: Records<StockMovement>
    let sales: Records<Sale>
    let payments: Records<Payment>
    let ledger: Records<LedgerEntry>
    let orders: Records<Order>
    let contracts: Records<Contract>
    let notifications: Records<Notice>
    let audit: Records<AuditEntry>
    let sessions: Records<Session>
    /// Keyed by the SHA-256 (hex) of the code.
    let loginCodes: TypedCollection<StringKey, BinaryCodec<LoginCode>>
    /// Keyed by "<actor>:<idempotency key>".
    let idempotency: TypedCollection<StringKey, BinaryCodec<IdempotencyRecord>>
    /// Uploaded images, keyed by their random id.
    let media: TypedCollection<StringKey, BinaryCodec<MediaFile>>
    /// The owner's stored settings (one record, keyed "shop").
    let preferences: TypedCollection<StringKey, BinaryCodec<ShopPreferences>>
    /// Each customer's debt reminders (``DebtReminder``), keyed by user id.
    let debtReminders: Records<DebtReminder>
    /// What else an erasure must reach (``Shop/onErasure(_:)``).
    let erasureHooks = ErasureHooks()

    static func open(_ env: Environment) async throws -> ShopCollections {
        func records<V: BinaryCodable>(_ name: String, _ indexes: [IndexDefinition<V>] = []) async throws -> Records<V> {
            try await env.collection(name, key: UInt64Key.self, value: BinaryCodec<V>.self, indexes: indexes)
        }
        return ShopCollections(
            users: try await records("users", [
                .unique("telegramId") { OrderedKey($0.telegramId) },
                .multi("role") { [OrderedKey($0.role.rawValue)] },
                .multi("username") { user in user.username.map { [OrderedKey(Text.fold($0))] } ?? [] },
            ]),
            products: try await records("products", [
                .multi("name", on: \.name) { [OrderedKey(Text.fold($0))] },
                .multi("category", on: \.category) { [OrderedKey(Text.fold($0))] },
                .multi("lowStock") { $0.isLowOnStock ? [OrderedKey($0.stock)] : [] },
            ]),
            stockMovements: try await records("stockMovements", [
                .multi("product") { [OrderedKey($0.productId, $0.at)] },
            ]),
            sales: try await records("sales", [
                .multi("time") { [OrderedKey($0.at)] },
                .multi("buyer") { [OrderedKey($0.buyerId, $0.at)] },
                .multi("product") { sale in sale.lines.map { OrderedKey($0.productId, sale.at) } },
            ]),
            payments: try await records("payments", [
                .multi("time") { [OrderedKey($0.at)] },
                .multi("user") { [OrderedKey($0.userId, $0.at)] },
            ]),
            ledger: try await records("ledger", [
                .multi("user") { [OrderedKey($0.userId)] },
            ]),
            orders: try await records("orders", [
                .multi("customer") { [OrderedKey($0.customerId)] },
                .multi("state") { [OrderedKey($0.state.rawValue)] },
            ]),
            contracts: try await records("contracts", [
                .multi("party") { $0.parties.map { OrderedKey($0.userId) } },
                .multi("state") { [OrderedKey($0.state.rawValue)] },
            ]),
            notifications: try await records("notifications", [
                .multi("user") { [OrderedKey($0.userId)] },
                .multi("unread") { $0.read ? [] : [OrderedKey($0.userId)] },
            ]),
            audit: try await records("audit", [
                .multi("actor") { [OrderedKey($0.actorId ?? 0)] },
            ]),
            sessions: try await records("sessions", [
                .multi("family") { [OrderedKey($0.familyId)] },
                .multi("user") { [OrderedKey($0.userId)] },
            ]),
            loginCodes: try await env.collection("loginCodes", key: StringKey.self, value: BinaryCodec<LoginCode>.self),
            idempotency: try await env.collection("idempotency", key: StringKey.self, value: BinaryCodec<IdempotencyRecord>.self),
            media: try await env.collection("media", key: StringKey.self, value: BinaryCodec<MediaFile>.self),
            preferences: try await env.collection("shopSettings", key: StringKey.self, value: BinaryCodec<ShopPreferences>.self),
            debtReminders: try await records("debtReminders"))
    }
}

extension ShopCollections {
    /// Who a principal is now: their user and current role (owner for the system, none for
    /// anonymous callers). Refuses unknown and blocked users, whatever token they hold.
    func resolve(_ principal: Principal, in txn: ReadTransaction) throws -> (user: User?, role: Role?) {
        switch principal.identity {
        case .system:
            return (nil, .owner)
        case .anonymous:
            return (nil, nil)
        case .user(let id):
            guard let user = try users.get(txn, id) else { throw ShopError(.notAuthenticated, "unknown user") }
            if user.blocked { throw ShopError(.userBlocked, "this user is blocked") }
            return (user, user.role)
        }
    }
}

/// Text as searches compare it.
enum Text {
    /// Lower-cased, accents removed: "Pão de Queijo" → "pao de queijo".
    ///
    /// Index keys fold a product's name on every stock change, and Foundation's folding is
    /// slow, so plain ASCII is lower-cased directly and other text is remembered once folded.
    static func fold(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 < 0x80 }) { return s.lowercased() }
        if let known = folded.withLock({ $0[s] }) { return known }
        let result = s.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: Locale(identifier: "en_US_POSIX"))
        folded.withLock { cache in
            if cache.count >= 4_096 { cache.removeAll(keepingCapacity: true) }
            cache[s] = result
        }
        return result
    }

    private static let folded = Mutex<[String: String]>([:])
}
