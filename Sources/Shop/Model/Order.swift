import Foundation
import Store

/// A customer's self-service order, paid by sending a payment receipt that an admin checks.
///
/// `pending_payment → receipt_submitted → verified → fulfilled`, or `rejected` (from
/// `receipt_submitted`) or `cancelled` (before verification). Stock is reserved when the
/// order is placed and given back when it is rejected or cancelled.
public struct Order: Sendable, Equatable, BinaryCodable {
    public enum State: String, Sendable, CaseIterable, BinaryCodable {
        case pendingPayment = "pending_payment"
        case receiptSubmitted = "receipt_submitted"
        case verified, fulfilled, rejected, cancelled

        /// The states this one may move to.
        public var next: Set<State> {
            switch self {
            case .pendingPayment: [.receiptSubmitted, .cancelled]
            case .receiptSubmitted: [.verified, .rejected, .cancelled, .receiptSubmitted]
            case .verified: [.fulfilled]
            case .fulfilled, .rejected, .cancelled: []
            }
        }

        /// Whether the order still holds its reserved stock.
        public var holdsStock: Bool { self != .rejected && self != .cancelled }
    }

    public var id: UInt64
    public var customerId: UInt64
    public var lines: [SaleLine]
    public var total: Int64
    public var currency: String
    public var state: State
    public var receiptMediaId: String?
    public var reviewerId: UInt64?
    /// Why it was rejected or cancelled.
    public var reason: String?
    /// The sale recorded when the order was verified.
    public var saleId: UInt64?
    public var history: [Transition]
    public var createdAt: Date
    public var updatedAt: Date

    public var publicId: String { EntityKind.order.format(id) }

    public init(id: UInt64, customerId: UInt64, lines: [SaleLine], total: Int64, currency: String, state: State,
                history: [Transition], createdAt: Date) {
        self.id = id; self.customerId = customerId; self.lines = lines; self.total = total; self.currency = currency
        self.state = state; self.history = history; self.createdAt = createdAt; self.updatedAt = createdAt
    }

    public func encode(to w: inout BinaryWriter) {
        w.write(id); w.write(customerId); w.write(lines); w.write(total); w.write(currency); w.write(state)
        w.write(receiptMediaId); w.write(reviewerId); w.write(reason); w.write(saleId); w.write(history)
        w.write(createdAt); w.write(updatedAt)
    }

    public init(from r: inout BinaryReader) throws {
        id = try r.read(); customerId = try r.read(); lines = try r.read(); total = try r.read(); currency = try r.read()
        state = try r.read(); receiptMediaId = try r.read(); reviewerId = try r.read(); reason = try r.read()
        saleId = try r.read(); history = try r.read(); createdAt = try r.read(); updatedAt = try r.read()
    }

    /// One step of an order's life.
    public typealias Transition = StateTransition<State>
}
