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

    public func encode(to w: inout BinaryWriter) {
        w.write(id); w.write(productId); w.write(delta); w.write(reason); w.write(actorId); w.write(reference); w.write(note); w.write(at)
    }

    public init(from r: inout BinaryReader) throws {
        id = try r.read(); productId = try r.read(); delta = try r.read(); reason = try r.read(); actorId = try r.read()
        reference = try r.read(); note = try r.read(); at = try r.read()
    }

    public init(id: UInt64, productId: UInt64, delta: Int64, reason: Reason, actorId: UInt64?, reference: String?, note: String, at: Date) {
        self.id = id; self.productId = productId; self.delta = delta; self.reason = reason; self.actorId = actorId
        self.reference = reference; self.note = note; self.at = at
    }
}
