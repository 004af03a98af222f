import Foundation
import Store

/// Everything the shop holds about one person, as `GET /api/me/export` and the bot's
/// `/meusdados` hand it to them: their user record, what they owe, their sales, payments,
/// ledger entries, orders (with their receipts' metadata, not the images), contracts,
/// notifications (in their language), sessions (never a token or its hash) and the audit
/// entries of their own acts or naming them.
public struct PersonalDataExport: Encodable, Sendable {
    /// A receipt image a person uploaded for an order: what it is, not its bytes
    /// (`GET /media/{id}` serves those).
    public struct ReceiptView: Encodable, Sendable {
        public let id: String
        public let orderId: String
        public let contentType: String
        public let bytes: Int
        public let uploadedAt: String
    }

    /// A session record: one link of a sign-in's refresh-token family.
    public struct SessionRecordView: Encodable, Sendable {
        public let id: String
        public let familyId: String
        public let device: String
        public let address: String?
        public let createdAt: String
        public let expiresAt: String
        public let lastUsedAt: String?
        public let rotatedAt: String?
        public let revokedAt: String?
    }

    public let exportedAt: String
    public let user: UserView
    public let debt: DebtView
    public let sales: [SaleView]
    public let payments: [PaymentView]
    public let ledger: [LedgerEntryView]
    public let orders: [OrderView]
    public let receipts: [ReceiptView]
    public let contracts: [ContractView]
    public let notifications: [NotificationView]
    public let sessions: [SessionRecordView]
    public let audit: [AuditEntryView]
}

extension Shop {
    /// The caller's own data, whole (any signed-in user; the system has none to give).
    public func personalData(as principal: Principal, at now: Date = Date()) throws -> PersonalDataExport {
        try query(as: principal) { q in
            try q.require(.user)
            guard let me = q.actor else { throw ShopError(.ruleBroken, "only a person has personal data to export") }
            let key = OrderedKey(me.id)
            func all<V>(_ records: Records<V>, _ index: String) throws -> [Stored<V>] {
                try records.lookup(q.txn, index: index, equals: key).items
            }
            let orders = try all(q.shop.orders, "customer")
            var receipts: [PersonalDataExport.ReceiptView] = []
            for order in orders {
                guard let mediaId = order.value.receiptMediaId, let file = try q.shop.media.get(q.txn, mediaId) else { continue }
                receipts.append(.init(id: mediaId, orderId: order.value.publicId, contentType: file.contentType, bytes: file.bytes.count,
                                      uploadedAt: RFC3339.string(from: file.at)))
            }
            // Their own acts, and others' acts whose summary names them (by id, as summaries do).
            var audit: [AuditEntryView] = []
            let mention = me.publicId
            try q.shop.audit.forEach(q.txn) { record in
                let entry = record.value
                if entry.actorId == me.id || Self.names(entry.summary, mention) { audit.append(AuditEntryView(entry)) }
                return true
            }
            let language = Language(code: me.language)
            return PersonalDataExport(
                exportedAt: RFC3339.string(from: now),
                user: UserView(me, version: try q.shop.users.record(q.txn, me.id)?.version ?? 0),
                debt: DebtView(userId: me.id, amount: try q.txn.counter(Aggregates.debt(me.id)), currency: settings.currency),
                sales: try all(q.shop.sales, "buyer").map { SaleView($0.value, version: $0.version) },
                payments: try all(q.shop.payments, "user").map { PaymentView($0.value, version: $0.version) },
                ledger: try all(q.shop.ledger, "user").map { LedgerEntryView($0.value) },
                orders: orders.map { OrderView($0.value, version: $0.version) },
                receipts: receipts,
                contracts: try all(q.shop.contracts, "party").map { ContractView($0.value, version: $0.version) },
                notifications: try all(q.shop.notifications, "user").map { NotificationView($0.value, version: $0.version, language: language) },
                sessions: try all(q.shop.sessions, "user").map { record in
                    let s = record.value
                    return .init(id: EntityKind.session.format(s.id), familyId: EntityKind.session.format(s.familyId), device: s.device,
                                 address: s.address, createdAt: RFC3339.string(from: s.createdAt), expiresAt: RFC3339.string(from: s.expiresAt),
                                 lastUsedAt: s.lastUsedAt.map(RFC3339.string(from:)), rotatedAt: s.rotatedAt.map(RFC3339.string(from:)),
                                 revokedAt: s.revokedAt.map(RFC3339.string(from:)))
                },
                audit: audit)
        }
    }

    /// Whether `summary` names the id `id` as a whole word ("u7" but not "u70").
    static func names(_ summary: String, _ id: String) -> Bool {
        var rest = summary[...]
        while let found = rest.range(of: id) {
            let after = found.upperBound == summary.endIndex ? nil : summary[found.upperBound]
            let before = found.lowerBound == summary.startIndex ? nil : summary[summary.index(before: found.lowerBound)]
            if !(after?.isNumber ?? false), !(before?.isLetter ?? false || before?.isNumber ?? false) { return true }
            rest = summary[found.upperBound...]
        }
        return false
    }
}
