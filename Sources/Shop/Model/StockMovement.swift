import Foundation
import Store

/// One change to a product's stock; a product's stock is the sum of its movements.
public struct StockMovement: Sendable, Equatable, BinaryCodable {
    public enum Reason: String, Sendable, CaseIterable, BinaryCodable {
        /// The product was created with stock.
        case initial
        case sale, restock, adjustment
        /// Reserved by a customer order (negative) or released when it was rejected or cancelled (positive).
        case order
        /// Given back by a refund.
        case `return`
    }

    public var id: UInt64
    public var productId: UInt64
    public var delta: Int64
    public var reason: Reason
    public var actorId: UInt64?
    /// The sale, order or refund behind the movement ("s91", "o5").
    public var reference: String?
    public var note: String
    public var at: Date
    /// The product's stock right after this movement. Stored by every movement written since
    /// stock history was added (appended to the record, so older records read as nil); for
    /// an older movement ``Shop/stockHistory(of:page:as:)`` derives it from the current stock
    /// and the newer movements' deltas.
    public var levelAfter: Int64?

    public func encode(to w: inout BinaryWriter) {
        w.write(id); w.write(productId); w.write(delta); w.write(reason); w.write(actorId); w.write(reference); w.write(note); w.write(at)
        if let levelAfter { w.write(levelAfter) }
    }

    public init(from r: inout BinaryReader) throws {
        id = try r.read(); productId = try r.read(); delta = try r.read(); reason = try r.read(); actorId = try r.read()
        reference = try r.read(); note = try r.read(); at = try r.read()
        levelAfter = try r.isAtEnd ? nil : r.read(Int64.self)
    }

    public init(id: UInt64, productId: UInt64, delta: Int64, reason: Reason, actorId: UInt64?, reference: String?, note: String, at: Date,
                levelAfter: Int64? = nil) {
        self.id = id; self.productId = productId; self.delta = delta; self.reason = reason; self.actorId = actorId
        self.reference = reference; self.note = note; self.at = at; self.levelAfter = levelAfter
    }

    /// What a movement was, as the stock history names it: the stored reason, with an order's
    /// movement split into the reservation (`order`, negative) and its release when the order
    /// was rejected or cancelled (`cancel`, positive), and a return split into one given back by
    /// a refund of a sale (`refund`, its reference a sale) and one an admin counted in (`return`).
    public enum Kind: String, Sendable, CaseIterable {
        case initial, sale, restock, adjustment, order, cancel, `return`, refund
    }

    public var kind: Kind {
        switch reason {
        case .initial: .initial
        case .sale: .sale
        case .restock: .restock
        case .adjustment: .adjustment
        case .order: delta > 0 ? .cancel : .order
        case .return: reference.flatMap { EntityKind.sale.parse($0) } != nil ? .refund : .return
        }
    }
}
