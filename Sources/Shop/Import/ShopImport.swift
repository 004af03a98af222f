import Foundation
import Store

/// Loads a shop described in JSON (`fixtures/demo-shop.json`) by running every event through
/// the shop's commands, as the people named in it, at the times it gives.
///
/// Nothing is written around the commands, so an imported shop obeys every rule a live one
/// does (stock never negative, payments never above debt, legal order steps only).
///
/// The times can be moved (``Timing/endingAt(_:)``) so that a history recorded on a fixed past
/// day ends at the moment of import: the demo shop (`tenda serve --demo`, `tenda import
/// --shift-to-now`) then shows sales "today" whenever someone tries it. A real shop's document
/// is imported at its recorded times unless asked otherwise, since moving them would falsify
/// its books' dates.
public enum ShopImport {
    /// What an import did.
    public struct Summary: Sendable, Equatable {
        public var users = 0
        public var products = 0
        public var events = 0
        /// Events by type ("sale": 1795, …).
        public var byType: [String: Int] = [:]
        /// Seconds every time of the document was moved by (0 when imported as recorded).
        public var shift: TimeInterval = 0
    }

    /// When the imported history happens.
    public enum Timing: Sendable, Equatable {
        /// At the times the document gives.
        case asRecorded
        /// Every time moved by one offset, so the document's latest time lands on `moment`
        /// (rounded down to a whole second, so never after it): the same history with the
        /// same gaps, ending then.
        case endingAt(Date)
    }

    /// Imports `json` into `shop`, which must hold no users yet, at the times `timing` says.
    public static func run(_ json: Data, into shop: Shop, timing: Timing = .asRecorded) async throws -> Summary {
        var document = try decode(json)
        guard document.format == 1 else { throw ShopError.invalid("format", "unknown format \(document.format)") }
        guard document.shop.currency == shop.settings.currency else {
            throw ShopError.invalid("shop.currency", "the document is in \(document.shop.currency), the shop in \(shop.settings.currency)")
        }
        guard try shop.users(page: PageRequest(limit: 1), as: .system()).items.isEmpty else {
            throw ShopError(.alreadyExists, "the shop already has users; import into an empty data folder")
        }
        let shift = offset(to: timing, from: document.latest)
        document.shift(by: shift)

        var refs = References()
        var summary = Summary(shift: shift)
        for u in document.users {
            let user = try await shop.execute(SeeTelegramUser(identity: TelegramIdentity(
                telegramId: u.telegramId, firstName: u.name, username: u.username, languageCode: u.language)), as: .system(), at: u.at)
            if u.role != .user {
                try await shop.execute(GrantRole(userId: user.id, role: u.role), as: .system(), at: u.at)
            }
            refs.users[u.ref] = user.id
            summary.users += 1
        }
        for p in document.products {
            let product = try await shop.execute(CreateProduct(
                name: p.name, emoji: p.emoji, description: p.description, category: p.category, price: p.price,
                stock: p.stock, lowStockThreshold: p.lowStockThreshold), as: try refs.principal(p.by), at: p.at)
            refs.products[p.ref] = product.id
            summary.products += 1
        }
        for (n, event) in document.events.enumerated() {
            do {
                try await apply(event, &refs, shop)
            } catch let error as ShopError {
                // The time as the document gives it, to find the event there.
                let recorded = event.at.addingTimeInterval(-shift)
                throw ShopError(error.code, "event \(n) (\(event.type) at \(recorded)): \(error.message)", field: "events[\(n)]")
            }
            summary.events += 1
            summary.byType[event.type, default: 0] += 1
        }
        return summary
    }

    private static func decode(_ json: Data) throws -> Document {
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(Document.self, from: json)
        } catch {
            throw ShopError(.invalidInput, "not a shop document: \(error)")
        }
    }

    /// The seconds that move `latest` onto the moment `timing` names; 0 to keep the times.
    ///
    /// Whole seconds, rounded down: the document's times are whole seconds (ISO 8601 without
    /// fractions), so every moved time is one too and the latest lands at most a second
    /// before the moment, never after it.
    static func offset(to timing: Timing, from latest: Date?) -> TimeInterval {
        guard case .endingAt(let moment) = timing, let latest else { return 0 }
        return (moment.timeIntervalSince1970.rounded(.down) - latest.timeIntervalSince1970).rounded(.down)
    }

    private static func apply(_ e: Event, _ refs: inout References, _ shop: Shop) async throws {
        let at = e.at
        switch e.type {
        case "restock":
            try await shop.execute(Restock(productId: try refs.product(e.product), quantity: try e.require(\.quantity, "quantity")),
                                   as: try refs.principal(e.by), at: at)
        case "sale":
            try await shop.execute(Buy(buyerId: try refs.user(e.buyer), items: try refs.items(e.items)), as: try refs.principal(e.by), at: at)
        case "payment":
            try await shop.execute(RecordPayment(userId: try refs.user(e.user), amount: try e.require(\.amount, "amount"),
                                                 method: e.method ?? "pix", note: e.note ?? ""), as: try refs.principal(e.by), at: at)
        case "order":
            let customer = try refs.user(e.customer)
            let order = try await shop.execute(PlaceOrder(items: try refs.items(e.items)), as: .user(customer, via: .cli), at: at)
            refs.orders[try e.require(\.ref, "ref")] = (order.id, customer)
        case "receipt":
            let (order, customer) = try refs.order(e.order)
            try await shop.execute(SubmitReceipt(orderId: order, mediaId: e.media ?? "receipt"), as: .user(customer, via: .cli), at: at)
        case "verify":
            try await shop.execute(VerifyOrder(orderId: try refs.order(e.order).id), as: try refs.principal(e.by), at: at)
        case "reject":
            try await shop.execute(RejectOrder(orderId: try refs.order(e.order).id, reason: e.reason ?? ""), as: try refs.principal(e.by), at: at)
        case "fulfil":
            try await shop.execute(FulfilOrder(orderId: try refs.order(e.order).id), as: try refs.principal(e.by), at: at)
        case "cancel":
            let (order, customer) = try refs.order(e.order)
            try await shop.execute(CancelOrder(orderId: order, reason: e.reason ?? ""), as: .user(customer, via: .cli), at: at)
        case "contract":
            let parties = try (e.parties ?? []).map { ContractPartyInput(userId: try refs.user($0.user), part: $0.part) }
            let contract = try await shop.execute(CreateContract(
                title: e.title ?? "", terms: e.terms ?? "", amount: e.amount ?? 0, parties: parties,
                requiredConfirmations: e.requiredConfirmations ?? parties.count), as: try refs.principal(e.by), at: at)
            refs.contracts[try e.require(\.ref, "ref")] = contract.id
        case "confirm":
            guard let ref = e.contract, let id = refs.contracts[ref] else { throw ShopError.invalid("contract", "unknown contract \(e.contract ?? "")") }
            try await shop.execute(ConfirmContract(contractId: id), as: try refs.principal(e.by), at: at)
        default:
            throw ShopError.invalid("type", "unknown event type \(e.type)")
        }
    }

    /// Refs of the document and the ids they became.
    private struct References {
        var users: [String: UInt64] = [:]
        var products: [String: UInt64] = [:]
        var orders: [String: (id: UInt64, customer: UInt64)] = [:]
        var contracts: [String: UInt64] = [:]

        func user(_ ref: String?) throws -> UInt64 {
            guard let ref, let id = users[ref] else { throw ShopError.invalid("user", "unknown user \(ref ?? "")") }
            return id
        }

        func principal(_ ref: String?) throws -> Principal { .user(try user(ref), via: .cli) }

        func product(_ ref: String?) throws -> UInt64 {
            guard let ref, let id = products[ref] else { throw ShopError.invalid("product", "unknown product \(ref ?? "")") }
            return id
        }

        func order(_ ref: String?) throws -> (id: UInt64, customer: UInt64) {
            guard let ref, let order = orders[ref] else { throw ShopError.invalid("order", "unknown order \(ref ?? "")") }
            return order
        }

        func items(_ items: [Item]?) throws -> [LineItem] {
            try (items ?? []).map { LineItem(productId: try product($0.product), quantity: $0.quantity) }
        }
    }

    // MARK: The document

    private struct Document: Decodable {
        var format: Int
        var shop: ShopInfo
        var users: [UserEntry]
        var products: [ProductEntry]
        var events: [Event]

        /// The latest time anywhere in the document (users, products and events all carry one).
        var latest: Date? { (users.map(\.at) + products.map(\.at) + events.map(\.at)).max() }

        /// Moves every time in the document by `seconds`. Each time a command records (a
        /// sale's, an order step's, a contract's confirmation) comes from one of these, so
        /// the whole history moves together.
        mutating func shift(by seconds: TimeInterval) {
            guard seconds != 0 else { return }
            for i in users.indices { users[i].at += seconds }
            for i in products.indices { products[i].at += seconds }
            for i in events.indices { events[i].at += seconds }
        }
    }

    private struct ShopInfo: Decodable {
        var name: String
        var currency: String
    }

    private struct UserEntry: Decodable {
        var ref: String
        var telegramId: Int64
        var name: String
        var username: String?
        var language: String?
        var role: Role
        var at: Date
    }

    private struct ProductEntry: Decodable {
        var ref: String
        var name: String
        var emoji: String
        var category: String
        var description: String
        var price: Int64
        var lowStockThreshold: Int64
        var stock: Int64
        var at: Date
        var by: String
    }

    private struct Item: Decodable {
        var product: String
        var quantity: Int64
    }

    private struct Party: Decodable {
        var user: String
        var part: String
    }

    /// Every event type's fields in one shape; each type reads the ones it needs.
    private struct Event: Decodable {
        var at: Date
        var type: String
        var by: String?
        var ref: String?
        var product: String?
        var quantity: Int64?
        var buyer: String?
        var user: String?
        var customer: String?
        var items: [Item]?
        var amount: Int64?
        var method: String?
        var note: String?
        var order: String?
        var media: String?
        var reason: String?
        var contract: String?
        var title: String?
        var terms: String?
        var requiredConfirmations: Int?
        var parties: [Party]?

        func require<T>(_ field: KeyPath<Event, T?>, _ name: String) throws -> T {
            guard let value = self[keyPath: field] else { throw ShopError.invalid(name, "\(type) needs \(name)") }
            return value
        }
    }
}
