import Foundation
import Store

/// Sells on credit: takes the units from stock and adds the total to the buyer's debt (admin).
///
/// All or nothing: when any line is short, nothing is written and the error names every short line.
public struct Buy: ShopCommand {
    public static let name = "buy"
    public static let access = Access.role(.admin)

    public var buyerId: UInt64
    public var items: [LineItem]

    public init(buyerId: UInt64, items: [LineItem]) {
        self.buyerId = buyerId
        self.items = items
    }

    public func validate() throws(ShopError) { try Check.lines(items) }

    public var summary: String {
        "\(EntityKind.user.format(buyerId)): " + items.map { "\($0.quantity)×\(EntityKind.product.format($0.productId))" }.joined(separator: ", ")
    }

    public func execute(_ context: CommandContext) throws -> Sale {
        let buyer = try context.user(buyerId, field: "buyerId")
        if buyer.blocked { throw ShopError(.ruleBroken, "\(buyer.name) is blocked", field: "buyerId") }
        let lines = try context.priceLines(items)
        let sale = Sale(id: try context.nextId(.sale), buyerId: buyerId, lines: lines, total: lines.reduce(0) { $0 + $1.total },
                        currency: context.settings.currency, actorId: context.actorId, at: context.now)
        try context.put(context.shop.sales, sale.id, sale, expecting: .absent)
        for line in lines {
            try context.moveStock(line.productId, by: -line.quantity, reason: .sale, reference: sale.publicId)
        }
        try context.postLedger(buyerId, .sale, amount: sale.total, reference: sale.publicId)
        try context.countSale(buyerId: buyerId, lines: lines, sign: 1, countsAsSale: true, soldAt: sale.at)
        return sale
    }
}

/// Records money received from a user; it lowers their debt and may not exceed it (admin).
public struct RecordPayment: ShopCommand {
    public static let name = "recordPayment"
    public static let access = Access.role(.admin)

    public var userId: UInt64
    public var amount: Int64
    public var currency: String?
    public var method: String
    public var note: String

    public init(userId: UInt64, amount: Int64, currency: String? = nil, method: String = "pix", note: String = "") {
        self.userId = userId; self.amount = amount; self.currency = currency; self.method = method; self.note = note
    }

    public func validate() throws(ShopError) {
        try Check.number(amount, "amount", in: Bounds.amount)
        try Check.currency(currency)
        try Check.text(method, "method", max: Bounds.Length.method)
        try Check.text(note, "note", min: 0, max: Bounds.Length.note)
    }

    public var summary: String { "\(EntityKind.user.format(userId)) \(amount) \(method)" }

    public func execute(_ context: CommandContext) throws -> Payment {
        _ = try context.user(userId)
        if let currency, currency != context.settings.currency {
            throw ShopError(.ruleBroken, "this shop takes \(context.settings.currency)", field: "currency")
        }
        let owed = try context.debt(of: userId)
        guard amount <= owed else {
            throw ShopError(.ruleBroken, "the payment is more than the \(owed) owed", field: "amount")
        }
        return try context.receivePayment(from: userId, amount: amount, method: method, note: note)
    }
}

/// Gives back some or all units of a sale: the buyer's debt goes down by their price (a
/// `refund` ledger entry; when the sale was already paid the balance becomes a credit), the
/// units return to stock unless `restock` is false, and the buyer is told (admin).
///
/// Never more than was sold: each line keeps the units refunded so far in the sale itself,
/// and the check and the update happen in one write, so concurrent refunds of one sale are
/// taken one after the other and the later ones see what the earlier ones gave back.
public struct Refund: ShopCommand {
    public static let name = "refund"
    public static let access = Access.role(.admin)

    public var saleId: UInt64
    /// The lines to refund; nil refunds everything not refunded yet.
    public var items: [LineItem]?
    /// Put the units back in stock.
    public var restock: Bool
    public var note: String

    public init(saleId: UInt64, items: [LineItem]? = nil, restock: Bool = true, note: String = "") {
        self.saleId = saleId; self.items = items; self.restock = restock; self.note = note
    }

    public func validate() throws(ShopError) {
        if let items { try Check.lines(items) }
        try Check.text(note, "note", min: 0, max: Bounds.Length.note)
    }

    public var summary: String { EntityKind.sale.format(saleId) + (items.map { " " + $0.map { "\($0.quantity)×\(EntityKind.product.format($0.productId))" }.joined(separator: ", ") } ?? " all") }

    public func execute(_ context: CommandContext) throws -> Sale {
        guard var sale = try context.shop.sales.get(context.txn, saleId) else { throw ShopError(.notFound, "sale not found", field: "saleId") }
        let wanted = items ?? sale.lines.enumerated().compactMap { i, line in
            let left = line.quantity - sale.refundedQuantities[i]
            return left > 0 ? LineItem(productId: line.productId, quantity: left) : nil
        }
        guard !wanted.isEmpty else { throw ShopError(.ruleBroken, "this sale was already refunded in full") }
        var refunded: [SaleLine] = []
        for (n, item) in wanted.enumerated() {
            guard let i = sale.lines.firstIndex(where: { $0.productId == item.productId }) else {
                // Well-formed input that names a product the sale never held: a rule across records (422).
                throw ShopError(.ruleBroken, "the sale has no such product", field: "items[\(n)].productId")
            }
            guard item.quantity <= sale.lines[i].quantity - sale.refundedQuantities[i] else {
                throw ShopError(.ruleBroken, "more units than were sold and not yet refunded", field: "items[\(n)].quantity")
            }
            sale.refundedQuantities[i] += item.quantity
            refunded.append(SaleLine(productId: item.productId, quantity: item.quantity, unitPrice: sale.lines[i].unitPrice))
        }
        try context.put(context.shop.sales, sale.id, sale)
        if restock {
            for line in refunded {
                try context.moveStock(line.productId, by: line.quantity, reason: .return, reference: sale.publicId, note: note)
            }
        }
        let amount = refunded.reduce(0) { $0 + $1.total }
        try context.postLedger(sale.buyerId, .refund, amount: -amount, reference: sale.publicId, note: note)
        try context.countSale(buyerId: sale.buyerId, lines: refunded, sign: -1, countsAsSale: false, soldAt: sale.at)
        let described = try refunded.map { line in
            // A product deleted since keeps its id in the words.
            let name = try context.shop.products.get(context.txn, line.productId)?.name ?? EntityKind.product.format(line.productId)
            return "\(line.quantity)× \(name)"
        }
        try context.notify(sale.buyerId, .saleRefunded,
                           params: ["sale": sale.publicId, "amount": Money.format(amount, sale.currency),
                                    "items": described.joined(separator: ", "), "note": note],
                           link: "sales/\(sale.publicId)")
        return sale
    }
}

/// Corrects a user's balance by hand, with a note saying why (owner).
public struct AdjustBalance: ShopCommand {
    public static let name = "adjustBalance"
    public static let access = Access.role(.owner)

    public var userId: UInt64
    /// Positive raises the debt, negative lowers it.
    public var amount: Int64
    public var note: String

    public init(userId: UInt64, amount: Int64, note: String) {
        self.userId = userId
        self.amount = amount
        self.note = note
    }

    public func validate() throws(ShopError) {
        try Check.number(amount, "amount", in: Bounds.debtAdjustment)
        if amount == 0 { throw ShopError.invalid("amount", "amount must not be zero") }
        try Check.text(note, "note", max: Bounds.Length.note)
    }

    public var summary: String { "\(EntityKind.user.format(userId)) \(amount)" }

    public func execute(_ context: CommandContext) throws -> Int64 {
        _ = try context.user(userId)
        try context.postLedger(userId, .adjustment, amount: amount, reference: nil, note: note)
        return try context.debt(of: userId)
    }
}

extension CommandContext {
    /// Records a payment: the record, its ledger entry, the day's takings and a note to the payer.
    func receivePayment(from userId: UInt64, amount: Int64, method: String, note: String) throws -> Payment {
        let payment = Payment(id: try nextId(.payment), userId: userId, amount: amount, currency: settings.currency,
                              method: method, note: note, actorId: actorId, at: now)
        try put(shop.payments, payment.id, payment, expecting: .absent)
        try postLedger(userId, .payment, amount: -amount, reference: payment.publicId, note: note)
        try txn.add(toCounter: Aggregates.received(Aggregates.day(now)), amount)
        try notify(userId, .paymentRecorded, params: ["amount": Money.format(amount, settings.currency), "method": method],
                   link: "debts/me")
        return payment
    }
}
