import Foundation
import Store

/// One line of a sale or order: a product, how many, and its unit price at that moment.
public struct SaleLine: Sendable, Equatable, BinaryCodable {
    public var productId: UInt64
    public var quantity: Int64
    /// The product's price when sold, in minor units (later price changes do not touch it).
    public var unitPrice: Int64

    /// Lines are made from bounded inputs (``Bounds/quantity`` × ``Bounds/price`` ≤ 10¹⁵), so this
    /// fits; it wraps rather than stops the process on a line whose stored bytes were damaged.
    public var total: Int64 { quantity &* unitPrice }

    public init(productId: UInt64, quantity: Int64, unitPrice: Int64) {
        self.productId = productId; self.quantity = quantity; self.unitPrice = unitPrice
    }

    public func encode(to w: inout BinaryWriter) { w.write(productId); w.write(quantity); w.write(unitPrice) }
    public init(from r: inout BinaryReader) throws { productId = try r.read(); quantity = try r.read(); unitPrice = try r.read() }
}

extension SaleLine: BinarySkippable {
    public static func skip(_ r: inout BinaryReader) throws(StoreError) {
        try r.skip(UInt64.self); try r.skip(Int64.self); try r.skip(Int64.self)
    }
}

/// A purchase on credit: it adds its total to the buyer's debt.
public struct Sale: Sendable, Equatable, BinaryCodable {
    public var id: UInt64
    public var buyerId: UInt64
    public var lines: [SaleLine]
    public var total: Int64
    public var currency: String
    public var actorId: UInt64?
    public var at: Date
    /// The customer order this sale settles, when it came from one.
    public var orderId: UInt64?
    /// Units of each line already refunded, by line index.
    public var refundedQuantities: [Int64]

    public var publicId: String { EntityKind.sale.format(id) }

    public init(id: UInt64, buyerId: UInt64, lines: [SaleLine], total: Int64, currency: String, actorId: UInt64?, at: Date, orderId: UInt64? = nil) {
        self.id = id; self.buyerId = buyerId; self.lines = lines; self.total = total; self.currency = currency
        self.actorId = actorId; self.at = at; self.orderId = orderId
        refundedQuantities = Array(repeating: 0, count: lines.count)
    }

    public func encode(to w: inout BinaryWriter) {
        w.write(id); w.write(buyerId); w.write(lines); w.write(total); w.write(currency); w.write(actorId); w.write(at)
        w.write(orderId); w.write(refundedQuantities)
    }

    public init(from r: inout BinaryReader) throws {
        id = try r.read(); buyerId = try r.read(); lines = try r.read(); total = try r.read(); currency = try r.read()
        actorId = try r.read(); at = try r.read(); orderId = try r.read(); refundedQuantities = try r.read()
    }
}

/// What the figures of a sale read from its stored bytes: its buyer, its time, its lines and
/// the units refunded of each (in line order), the lines lent rather than decoded.
public struct SaleFiguresView {
    public var buyerId: UInt64
    public var at: Date
    public var lines: BinaryArrayView<SaleLine>
    public var refundedQuantities: BinaryArrayView<Int64>
}

extension BinaryView where Record == Sale {
    /// The fields reports add up, in one walk over the bytes (in ``Sale/encode(to:)``'s order).
    public func figures() throws -> SaleFiguresView {
        var r = reader
        try r.skip(UInt64.self)
        let buyerId: UInt64 = try r.read()
        let lines = try r.readArrayView(of: SaleLine.self)
        try r.skip(Int64.self); try r.skip(String.self); try r.skip(UInt64?.self)
        let at: Date = try r.read()
        try r.skip(UInt64?.self)
        let refunded = try r.readArrayView(of: Int64.self)
        guard refunded.count == lines.count else {
            throw StoreError(.decodingFailed, "sale with \(lines.count) lines and \(refunded.count) refunded quantities")
        }
        return SaleFiguresView(buyerId: buyerId, at: at, lines: lines, refundedQuantities: refunded)
    }
}

/// Money received from a user; it lowers their debt.
public struct Payment: Sendable, Equatable, BinaryCodable {
    public var id: UInt64
    public var userId: UInt64
    public var amount: Int64
    public var currency: String
    /// "pix", "dinheiro", "cartao", "receipt" (a verified order's receipt) …
    public var method: String
    public var note: String
    public var actorId: UInt64?
    public var at: Date

    public var publicId: String { EntityKind.payment.format(id) }

    public init(id: UInt64, userId: UInt64, amount: Int64, currency: String, method: String, note: String, actorId: UInt64?, at: Date) {
        self.id = id; self.userId = userId; self.amount = amount; self.currency = currency; self.method = method
        self.note = note; self.actorId = actorId; self.at = at
    }

    public func encode(to w: inout BinaryWriter) {
        w.write(id); w.write(userId); w.write(amount); w.write(currency); w.write(method); w.write(note); w.write(actorId); w.write(at)
    }

    public init(from r: inout BinaryReader) throws {
        id = try r.read(); userId = try r.read(); amount = try r.read(); currency = try r.read(); method = try r.read()
        note = try r.read(); actorId = try r.read(); at = try r.read()
    }
}

extension BinaryView where Record == Payment {
    /// The amount and the time, in one walk over the bytes (in ``Payment/encode(to:)``'s order).
    public func amountAndTime() throws -> (amount: Int64, at: Date) {
        var r = reader
        try r.skip(UInt64.self); try r.skip(UInt64.self)
        let amount: Int64 = try r.read()
        try r.skip(String.self); try r.skip(String.self); try r.skip(String.self); try r.skip(UInt64?.self)
        return (amount, try r.read())
    }
}

/// One signed line of the money ledger: positive raises the user's debt, negative lowers it.
///
/// A user's debt is the sum of their entries; the shop's outstanding debt is the sum of all.
public struct LedgerEntry: Sendable, Equatable, BinaryCodable {
    public enum Kind: String, Sendable, CaseIterable, BinaryCodable, BinarySkippable {
        case sale, payment, refund, adjustment
    }

    public var id: UInt64
    public var userId: UInt64
    public var kind: Kind
    public var amount: Int64
    public var currency: String
    /// The sale or payment behind the entry ("s91", "y4").
    public var reference: String?
    public var note: String
    public var actorId: UInt64?
    public var at: Date

    public func encode(to w: inout BinaryWriter) {
        w.write(id); w.write(userId); w.write(kind); w.write(amount); w.write(currency); w.write(reference); w.write(note)
        w.write(actorId); w.write(at)
    }

    public init(from r: inout BinaryReader) throws {
        id = try r.read(); userId = try r.read(); kind = try r.read(); amount = try r.read(); currency = try r.read()
        reference = try r.read(); note = try r.read(); actorId = try r.read(); at = try r.read()
    }

    public init(id: UInt64, userId: UInt64, kind: Kind, amount: Int64, currency: String, reference: String?, note: String, actorId: UInt64?, at: Date) {
        self.id = id; self.userId = userId; self.kind = kind; self.amount = amount; self.currency = currency
        self.reference = reference; self.note = note; self.actorId = actorId; self.at = at
    }
}

extension BinaryView where Record == LedgerEntry {
    /// The signed amount, read in place (in ``LedgerEntry/encode(to:)``'s order).
    public var amount: Int64 {
        get throws {
            var r = reader
            try r.skip(UInt64.self); try r.skip(UInt64.self); try r.skip(LedgerEntry.Kind.self)
            return try r.read()
        }
    }
}
