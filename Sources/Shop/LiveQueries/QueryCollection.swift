import Foundation
import Store

/// The collections a live query can watch, the fields a filter may name in each, and how one
/// stored record becomes a ``QueryRow``: its fields, its JSON (the REST view's shape) and who may see it.
public enum QueryCollection: String, Sendable, Hashable, CaseIterable {
    case products, sales, orders, payments, notifications, users
    /// What each user owes (admins): derived from the ledger's counters, not stored as records.
    case debts

    /// The least role that may watch the collection at all; within it each row says who sees it.
    public var minimumRole: Role {
        switch self {
        case .users: .owner
        case .debts: .admin
        default: .user
        }
    }

    /// The store collection whose changes move this one's results.
    public var storeCollection: String {
        self == .debts ? "ledger" : rawValue
    }

    /// The collection whose results a change of store collection `name` moves, if any.
    public init?(storeCollection name: String) {
        guard let found = Self.allCases.first(where: { $0.storeCollection == name }) else { return nil }
        self = found
    }

    /// Field names and types a filter and an order may use: the view's top-level scalars.
    public var schema: [String: QueryFieldType] {
        switch self {
        case .products:
            ["id": .id, "name": .text, "emoji": .text, "category": .text, "description": .text, "price": .integer,
             "currency": .text, "stock": .integer, "lowStockThreshold": .integer, "active": .bool, "updatedAt": .time,
             "version": .integer]
        case .sales:
            ["id": .id, "buyerId": .id, "total": .integer, "currency": .text, "actorId": .id, "orderId": .id, "at": .time,
             "version": .integer]
        case .orders:
            ["id": .id, "customerId": .id, "total": .integer, "currency": .text, "state": .text, "receiptMediaId": .text,
             "reviewerId": .id, "reason": .text, "saleId": .id, "createdAt": .time, "updatedAt": .time, "version": .integer]
        case .payments:
            ["id": .id, "userId": .id, "amount": .integer, "currency": .text, "method": .text, "note": .text, "actorId": .id,
             "at": .time, "version": .integer]
        case .notifications:
            ["id": .id, "userId": .id, "audience": .text, "kind": .text, "priority": .text, "title": .text, "body": .text,
             "link": .text, "read": .bool, "createdAt": .time, "version": .integer]
        case .users:
            ["id": .id, "telegramId": .integer, "name": .text, "username": .text, "language": .text, "role": .text,
             "blocked": .bool, "version": .integer]
        case .debts:
            ["id": .id, "userId": .id, "amount": .integer, "currency": .text]
        }
    }
}

public enum QueryFieldType: Sendable, Hashable {
    case bool, integer, text, time
    /// A record's public id ("u7"): compared as text.
    case id
}

/// Who may see one row: everyone holding `minimumRole` or above, and `userId` whatever their role.
public struct RowAccess: Sendable, Hashable {
    public let minimumRole: Role?
    public let userId: UInt64?

    public func admits(userId caller: UInt64?, role: Role) -> Bool {
        if let minimumRole, role >= minimumRole { return true }
        return userId != nil && userId == caller
    }
}

/// One record as a live query sees it.
public struct QueryRow: Sendable {
    /// The record's key in its collection (the number in its id): the order's tie-break.
    public let key: UInt64
    public let id: String
    /// The store's version of the record; for a debt, which has none, its amount stands in,
    /// so that "changed" still means "another version".
    public let version: UInt64
    public let fields: [String: QueryValue]
    /// The record's JSON, as REST answers it.
    public let json: [UInt8]
    public let access: RowAccess
}

extension QueryRow {
    init(key: UInt64, id: String, version: UInt64, access: RowAccess, fields: [String: QueryValue], view: some Encodable) {
        self.init(key: key, id: id, version: version, fields: fields, json: ViewJSON.encode(view), access: access)
    }

    static func product(_ p: Product, version: UInt64) -> QueryRow {
        let v = ProductView(p, version: version)
        // Archived products are the admins' to see, as in GET /api/products.
        return QueryRow(key: p.id, id: v.id, version: version, access: RowAccess(minimumRole: p.active ? .user : .admin, userId: nil), fields: [
            "id": .string(v.id), "name": .string(v.name), "emoji": .string(v.emoji), "category": .string(v.category),
            "description": .string(v.description), "price": .int(v.price), "currency": .string(v.currency), "stock": .int(v.stock),
            "lowStockThreshold": .int(v.lowStockThreshold), "active": .bool(v.active), "updatedAt": .string(v.updatedAt),
            "version": .int(Int64(clamping: version)),
        ], view: v)
    }

    static func sale(_ s: Sale, version: UInt64) -> QueryRow {
        let v = SaleView(s, version: version)
        return QueryRow(key: s.id, id: v.id, version: version, access: RowAccess(minimumRole: .admin, userId: s.buyerId), fields: [
            "id": .string(v.id), "buyerId": .string(v.buyerId), "total": .int(v.total), "currency": .string(v.currency),
            "actorId": .text(v.actorId), "orderId": .text(v.orderId), "at": .string(v.at), "version": .int(Int64(clamping: version)),
        ], view: v)
    }

    static func order(_ o: Order, version: UInt64) -> QueryRow {
        let v = OrderView(o, version: version)
        return QueryRow(key: o.id, id: v.id, version: version, access: RowAccess(minimumRole: .admin, userId: o.customerId), fields: [
            "id": .string(v.id), "customerId": .string(v.customerId), "total": .int(v.total), "currency": .string(v.currency),
            "state": .string(v.state), "receiptMediaId": .text(v.receiptMediaId), "reviewerId": .text(v.reviewerId),
            "reason": .text(v.reason), "saleId": .text(v.saleId), "createdAt": .string(v.createdAt), "updatedAt": .string(v.updatedAt),
            "version": .int(Int64(clamping: version)),
        ], view: v)
    }

    static func payment(_ p: Payment, version: UInt64) -> QueryRow {
        let v = PaymentView(p, version: version)
        return QueryRow(key: p.id, id: v.id, version: version, access: RowAccess(minimumRole: .admin, userId: p.userId), fields: [
            "id": .string(v.id), "userId": .string(v.userId), "amount": .int(v.amount), "currency": .string(v.currency),
            "method": .string(v.method), "note": .string(v.note), "actorId": .text(v.actorId), "at": .string(v.at),
            "version": .int(Int64(clamping: version)),
        ], view: v)
    }

    static func notification(_ n: Notice, version: UInt64) -> QueryRow {
        let v = NotificationView(n, version: version)
        // A notification is its addressee's alone, whatever anyone's role (as on the notifications topic).
        return QueryRow(key: n.id, id: v.id, version: version, access: RowAccess(minimumRole: nil, userId: n.userId), fields: [
            "id": .string(v.id), "userId": .string(v.userId), "audience": .text(v.audience), "kind": .string(v.kind),
            "priority": .string(v.priority), "title": .string(v.title), "body": .string(v.body), "link": .text(v.link),
            "read": .bool(v.read), "createdAt": .string(v.createdAt), "version": .int(Int64(clamping: version)),
        ], view: v)
    }

    static func user(_ u: User, version: UInt64) -> QueryRow {
        let v = UserView(u, version: version)
        return QueryRow(key: u.id, id: v.id, version: version, access: RowAccess(minimumRole: .owner, userId: nil), fields: [
            "id": .string(v.id), "telegramId": .int(v.telegramId), "name": .string(v.name), "username": .text(v.username),
            "language": .text(v.language), "role": .string(v.role), "blocked": .bool(v.blocked), "version": .int(Int64(clamping: version)),
        ], view: v)
    }

    public static func debt(userId: UInt64, amount: Int64, currency: String) -> QueryRow {
        let v = DebtView(userId: userId, amount: amount, currency: currency)
        return QueryRow(key: userId, id: v.userId, version: UInt64(bitPattern: amount), access: RowAccess(minimumRole: .admin, userId: nil),
                        fields: ["id": .string(v.userId), "userId": .string(v.userId), "amount": .int(amount), "currency": .string(currency)],
                        view: v)
    }
}

extension QueryValue {
    /// An optional text field: null when absent.
    static func text(_ value: String?) -> QueryValue { value.map(QueryValue.string) ?? .null }
}
