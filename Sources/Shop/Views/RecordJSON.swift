import Foundation
import Store

// JSON views of the shop's records, in the wire contract's shapes (CONTRACT.md, "Record
// shapes"): ids as strings ("p3", "u1"), money as integer minor units with `currency`,
// times as RFC 3339 UTC strings, and `version` where the record is stored with one.
// Optional fields are left out when empty (JSONEncoder's synthesized behaviour).
// The REST layer and the realtime hub both encode these, so clients see one shape.

/// The bytes of a view as the hub's event data and live queries'
/// records carry it: keys sorted, slashes unescaped. The views hold only strings, numbers,
/// booleans and lists of them, which JSONEncoder cannot fail on ("{}" stands in should it ever).
public enum ViewJSON {
    public static func encode(_ view: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(view))) ?? Array("{}".utf8)
    }
}

/// A product as clients see it.
public struct ProductView: Encodable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var emoji: String
    public var category: String
    public var description: String
    public var price: Int64
    public var currency: String
    public var stock: Int64
    public var lowStockThreshold: Int64
    public var mediaIds: [String]
    public var active: Bool
    public var updatedAt: String
    public var version: UInt64

    public init(_ product: Product, version: UInt64) {
        id = product.publicId; name = product.name; emoji = product.emoji; category = product.category
        description = product.description; price = product.price; currency = product.currency; stock = product.stock
        lowStockThreshold = product.lowStockThreshold; mediaIds = product.mediaIds; active = product.active
        updatedAt = RFC3339.string(from: product.updatedAt); self.version = version
    }
}

/// A user as clients see it (never their sessions or Telegram secrets).
public struct UserView: Encodable, Sendable, Equatable {
    public var id: String
    public var telegramId: Int64
    public var name: String
    public var username: String?
    public var language: String?
    public var role: String
    public var blocked: Bool
    public var version: UInt64

    public init(_ user: User, version: UInt64) {
        id = user.publicId; telegramId = user.telegramId; name = user.name; username = user.username
        language = user.language; role = user.role.rawValue; blocked = user.blocked; self.version = version
    }
}

/// One line of a sale or an order.
public struct SaleLineView: Encodable, Sendable, Equatable {
    public var productId: String
    public var quantity: Int64
    public var unitPrice: Int64

    public init(_ line: SaleLine) {
        productId = EntityKind.product.format(line.productId); quantity = line.quantity; unitPrice = line.unitPrice
    }
}

/// A sale as clients see it.
public struct SaleView: Encodable, Sendable, Equatable {
    public var id: String
    public var buyerId: String
    public var lines: [SaleLineView]
    public var total: Int64
    public var currency: String
    public var actorId: String?
    public var orderId: String?
    public var refundedQuantities: [Int64]
    public var at: String
    public var version: UInt64

    public init(_ sale: Sale, version: UInt64) {
        id = sale.publicId; buyerId = EntityKind.user.format(sale.buyerId); lines = sale.lines.map(SaleLineView.init)
        total = sale.total; currency = sale.currency; actorId = sale.actorId.map(EntityKind.user.format)
        orderId = sale.orderId.map(EntityKind.order.format); refundedQuantities = sale.refundedQuantities
        at = RFC3339.string(from: sale.at); self.version = version
    }
}

/// A payment as clients see it.
public struct PaymentView: Encodable, Sendable, Equatable {
    public var id: String
    public var userId: String
    public var amount: Int64
    public var currency: String
    public var method: String
    public var note: String
    public var actorId: String?
    public var at: String
    public var version: UInt64

    public init(_ payment: Payment, version: UInt64) {
        id = payment.publicId; userId = EntityKind.user.format(payment.userId); amount = payment.amount
        currency = payment.currency; method = payment.method; note = payment.note
        actorId = payment.actorId.map(EntityKind.user.format); at = RFC3339.string(from: payment.at); self.version = version
    }
}

/// One line of a product's stock history as clients see it: `kind` is what the movement was
/// (``StockMovement/Kind``), `reason` the stored reason, `delta` signed (a sale is negative),
/// `levelAfter` the stock right after it; `actorId`/`actorName` who made it (absent for the
/// system), `reference` the sale or order behind it, `note` why.
public struct StockMovementView: Encodable, Sendable, Equatable {
    public var id: String
    public var productId: String
    public var kind: String
    public var reason: String
    public var delta: Int64
    public var levelAfter: Int64
    public var actorId: String?
    public var actorName: String?
    public var reference: String?
    public var note: String
    public var at: String
    public var version: UInt64

    public init(_ entry: StockHistoryEntry) {
        let m = entry.movement.value
        id = EntityKind.stockMovement.format(m.id); productId = EntityKind.product.format(m.productId)
        kind = m.kind.rawValue; reason = m.reason.rawValue; delta = m.delta; levelAfter = entry.levelAfter
        actorId = m.actorId.map(EntityKind.user.format); actorName = entry.actorName; reference = m.reference
        note = m.note; at = RFC3339.string(from: m.at); version = entry.movement.version
    }
}

/// What one user owes.
public struct DebtView: Encodable, Sendable, Equatable {
    public var userId: String
    public var amount: Int64
    public var currency: String

    public init(userId: UInt64, amount: Int64, currency: String) {
        self.userId = EntityKind.user.format(userId); self.amount = amount; self.currency = currency
    }
}

/// One step of an order's or a contract's life.
public struct TransitionView: Encodable, Sendable, Equatable {
    public var from: String?
    public var to: String
    public var actorId: String?
    public var note: String
    public var at: String

    public init<S: RawRepresentable<String> & BinaryCodable & Sendable & Equatable>(_ step: StateTransition<S>) {
        from = step.from?.rawValue; to = step.to.rawValue; actorId = step.actorId.map(EntityKind.user.format)
        note = step.note; at = RFC3339.string(from: step.at)
    }
}

/// A customer order as clients see it; `state` is the raw value ("pending_payment").
public struct OrderView: Encodable, Sendable, Equatable {
    public var id: String
    public var customerId: String
    public var lines: [SaleLineView]
    public var total: Int64
    public var currency: String
    public var state: String
    public var receiptMediaId: String?
    public var reviewerId: String?
    public var reason: String?
    public var saleId: String?
    public var history: [TransitionView]
    public var createdAt: String
    public var updatedAt: String
    public var version: UInt64

    public init(_ order: Order, version: UInt64) {
        id = order.publicId; customerId = EntityKind.user.format(order.customerId); lines = order.lines.map(SaleLineView.init)
        total = order.total; currency = order.currency; state = order.state.rawValue; receiptMediaId = order.receiptMediaId
        reviewerId = order.reviewerId.map(EntityKind.user.format); reason = order.reason
        saleId = order.saleId.map(EntityKind.sale.format); history = order.history.map(TransitionView.init)
        createdAt = RFC3339.string(from: order.createdAt); updatedAt = RFC3339.string(from: order.updatedAt)
        self.version = version
    }
}

/// A contract as clients see it, with each party's answer.
public struct ContractView: Encodable, Sendable, Equatable {
    public struct PartyView: Encodable, Sendable, Equatable {
        public var userId: String
        public var part: String
        public var confirmedAt: String?
        public var declinedAt: String?
    }

    public var id: String
    public var title: String
    public var terms: String
    public var amount: Int64
    public var currency: String
    public var parties: [PartyView]
    public var requiredConfirmations: Int
    public var confirmations: Int
    public var state: String
    public var createdBy: String?
    public var history: [TransitionView]
    public var createdAt: String
    public var updatedAt: String
    public var version: UInt64

    public init(_ contract: Contract, version: UInt64) {
        id = contract.publicId; title = contract.title; terms = contract.terms; amount = contract.amount
        currency = contract.currency
        parties = contract.parties.map {
            PartyView(userId: EntityKind.user.format($0.userId), part: $0.part,
                      confirmedAt: $0.confirmedAt.map(RFC3339.string(from:)), declinedAt: $0.declinedAt.map(RFC3339.string(from:)))
        }
        requiredConfirmations = contract.requiredConfirmations; confirmations = contract.confirmations
        state = contract.state.rawValue; createdBy = contract.createdBy.map(EntityKind.user.format)
        history = contract.history.map(TransitionView.init)
        createdAt = RFC3339.string(from: contract.createdAt); updatedAt = RFC3339.string(from: contract.updatedAt)
        self.version = version
    }
}

/// A notification (``Notice``) as its addressee sees it: its kind and parameters (clients
/// word them from the catalogue in their own language), and its title and body already worded
/// in the reader's language for clients that do not.
public struct NotificationView: Encodable, Sendable, Equatable {
    public var id: String
    public var userId: String
    public var audience: String?
    public var kind: String
    /// Absent for records from before notices kept parameters: their title and body are as stored.
    public var params: [String: String]?
    public var priority: String
    public var title: String
    public var body: String
    public var link: String?
    public var read: Bool
    public var createdAt: String
    public var version: UInt64

    /// `language` words the title and body: the reader's (their stored language), Portuguese when unknown.
    public init(_ notice: Notice, version: UInt64, language: Language = .pt) {
        let words = notice.words(in: language)
        id = notice.publicId; userId = EntityKind.user.format(notice.userId); audience = notice.audience?.rawValue
        kind = notice.kind; params = notice.params; priority = notice.priority.rawValue; title = words.title; body = words.body
        link = notice.link; read = notice.read; createdAt = RFC3339.string(from: notice.createdAt); self.version = version
    }
}

/// The shop's stored settings as clients see them (`GET`/`PUT /api/settings`).
public struct ShopSettingsView: Encodable, Sendable, Equatable {
    public struct Summary: Encodable, Sendable, Equatable {
        public var enabled: Bool
        /// "HH:MM" in the shop's time zone.
        public var time: String
    }
    /// The debt reminders: see ``ShopPreferences``.
    public struct DebtReminders: Encodable, Sendable, Equatable {
        public var enabled: Bool
        public var overdueDays: Int
        public var intervalDays: Int
        public var maxReminders: Int
        /// "HH:MM": the quiet hours in the shop's time zone.
        public var quietStart: String
        public var quietEnd: String
    }
    public var timeZone: String
    public var dailySummary: Summary
    public var debtReminders: DebtReminders

    public init(_ settings: ShopPreferences, version: UInt64 = 0) {
        timeZone = settings.timeZone
        dailySummary = Summary(enabled: settings.summaryEnabled, time: settings.summaryTime)
        debtReminders = DebtReminders(enabled: settings.remindersEnabled, overdueDays: settings.overdueDays,
                                      intervalDays: settings.reminderIntervalDays, maxReminders: settings.maxReminders,
                                      quietStart: ShopPreferences.format(minute: settings.quietStartMinute),
                                      quietEnd: ShopPreferences.format(minute: settings.quietEndMinute))
    }
}

/// One debtor with the debt's age and reminders (`GET /api/debts/reminders`).
public struct DebtorView: Encodable, Sendable, Equatable {
    public var userId: String
    public var name: String
    public var amount: Int64
    public var currency: String
    /// The oldest unpaid charge's time; null when nothing is owed.
    public var since: String?
    /// Whole days since `since`.
    public var ageDays: Int
    public var overdue: Bool
    public var lastReminderAt: String?
    public var reminders: Int
    public var paused: Bool

    public init(_ debtor: Debtor, now: Date = Date()) {
        userId = debtor.publicId; name = debtor.name; amount = debtor.amount; currency = debtor.currency
        since = debtor.since.map(RFC3339.string(from:)); ageDays = debtor.ageDays(at: now); overdue = debtor.overdue
        lastReminderAt = debtor.lastReminderAt.map(RFC3339.string(from:)); reminders = debtor.reminders; paused = debtor.paused
    }
}

/// A report's customer figures as clients see them: `GET /api/reports`' `customers` and the
/// bot's `/relatorios` data (OpenAPI schema `ReportCustomers`).
public struct CustomerFiguresView: Encodable, Sendable, Equatable {
    public struct Customer: Encodable, Sendable, Equatable {
        public let id: String
        public let name: String
        public let sales: Int64
        public let revenue: Int64
        public let lifetimeRevenue: Int64
        public let debt: Int64
    }

    public let buyers: Int64
    public let repeatBuyers: Int64
    public let sales: Int64
    public let revenue: Int64
    public let averageBasket: Int64
    public let rows: [Customer]

    public init(_ c: CustomerFigures) {
        buyers = c.buyers; repeatBuyers = c.repeatBuyers; sales = c.sales; revenue = c.revenue; averageBasket = c.averageBasket
        rows = c.rows.map { Customer(id: $0.key, name: $0.name, sales: $0.sales, revenue: $0.revenue, lifetimeRevenue: $0.lifetimeRevenue, debt: $0.debt) }
    }
}
