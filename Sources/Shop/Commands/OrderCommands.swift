import Foundation
import Store

/// A customer orders for themselves; the units are reserved at once (any signed-in user).
public struct PlaceOrder: ShopCommand {
    public static let name = "placeOrder"
    public static let access = Access.role(.user)

    public var items: [LineItem]
    /// Whom the order is for: nil for the caller; someone else only for admins.
    public var customerId: UInt64?

    public init(items: [LineItem], customerId: UInt64? = nil) {
        self.items = items
        self.customerId = customerId
    }

    public func validate() throws(ShopError) { try Check.lines(items) }
    public var summary: String { items.map { "\($0.quantity)×\(EntityKind.product.format($0.productId))" }.joined(separator: ", ") }

    public func execute(_ context: CommandContext) throws -> Order {
        guard let customerId = customerId ?? context.actorId else {
            throw ShopError.invalid("customerId", "say whom the order is for")
        }
        try context.requireSelf(customerId, or: .admin)
        let customer = try context.user(customerId, field: "customerId")
        if customer.blocked { throw ShopError(.ruleBroken, "\(customer.name) is blocked", field: "customerId") }
        let lines = try context.priceLines(items)
        let id = try context.nextId(.order)
        let order = Order(id: id, customerId: customerId, lines: lines, total: lines.reduce(0) { $0 + $1.total },
                          currency: context.settings.currency, state: .pendingPayment,
                          history: [.init(from: nil, to: .pendingPayment, actorId: context.actorId, note: "", at: context.now)],
                          createdAt: context.now)
        try context.put(context.shop.orders, id, order, expecting: .absent)
        for line in lines {
            try context.moveStock(line.productId, by: -line.quantity, reason: .order, reference: order.publicId)
        }
        try context.notify(role: .admin, .newOrder, params: order.noticeParams(), link: "orders/\(order.publicId)")
        return order
    }
}

/// The customer sends the payment receipt (an uploaded image) for an order.
public struct SubmitReceipt: ShopCommand {
    public static let name = "submitReceipt"
    public static let access = Access.role(.user)

    public var orderId: UInt64
    public var mediaId: String

    public init(orderId: UInt64, mediaId: String) {
        self.orderId = orderId
        self.mediaId = mediaId
    }

    public func validate() throws(ShopError) { try Check.text(mediaId, "mediaId", max: Bounds.Length.mediaId) }
    public var summary: String { "\(EntityKind.order.format(orderId)) receipt \(mediaId)" }

    public func execute(_ context: CommandContext) throws -> Order {
        try context.moveOrder(orderId, to: .receiptSubmitted, note: "") { order in
            guard context.actorId == order.customerId else { throw ShopError(.forbidden, "only the customer sends the receipt") }
            order.receiptMediaId = mediaId
            try context.notify(role: .admin, .receiptSubmitted, params: order.noticeParams(), link: "orders/\(order.publicId)")
        }
    }
}

/// An admin accepts the receipt: the order becomes a sale paid by that receipt.
public struct VerifyOrder: ShopCommand {
    public static let name = "verifyOrder"
    public static let access = Access.role(.admin)

    public var orderId: UInt64
    public init(orderId: UInt64) { self.orderId = orderId }
    public var summary: String { EntityKind.order.format(orderId) }

    public func execute(_ context: CommandContext) throws -> Order {
        try context.moveOrder(orderId, to: .verified, note: "") { order in
            order.reviewerId = context.actorId
            // The stock was taken when the order was placed; here the money is booked: a sale
            // and the receipt's payment, which cancel out in the customer's debt.
            let sale = Sale(id: try context.nextId(.sale), buyerId: order.customerId, lines: order.lines, total: order.total,
                            currency: order.currency, actorId: context.actorId, at: context.now, orderId: order.id)
            try context.put(context.shop.sales, sale.id, sale, expecting: .absent)
            try context.postLedger(order.customerId, .sale, amount: sale.total, reference: sale.publicId)
            try context.countSale(buyerId: order.customerId, lines: order.lines, sign: 1, countsAsSale: true, soldAt: sale.at)
            _ = try context.receivePayment(from: order.customerId, amount: order.total, method: "receipt", note: order.publicId)
            order.saleId = sale.id
            try context.notify(order.customerId, .orderVerified, params: order.noticeParams(), link: "orders/\(order.publicId)")
        }
    }
}

/// An admin refuses the receipt, saying why; the reserved units go back to stock.
public struct RejectOrder: ShopCommand {
    public static let name = "rejectOrder"
    public static let access = Access.role(.admin)

    public var orderId: UInt64
    public var reason: String

    public init(orderId: UInt64, reason: String) {
        self.orderId = orderId
        self.reason = reason
    }

    public func validate() throws(ShopError) { try Check.text(reason, "reason", max: Bounds.Length.reason) }
    public var summary: String { "\(EntityKind.order.format(orderId)): \(reason)" }

    public func execute(_ context: CommandContext) throws -> Order {
        try context.moveOrder(orderId, to: .rejected, note: reason) { order in
            order.reviewerId = context.actorId
            order.reason = reason
            try context.releaseStock(of: order)
            try context.notify(order.customerId, .orderRejected, priority: .high, params: order.noticeParams(reason: reason),
                               link: "orders/\(order.publicId)")
        }
    }
}

/// An admin hands over a verified order.
public struct FulfilOrder: ShopCommand {
    public static let name = "fulfilOrder"
    public static let access = Access.role(.admin)

    public var orderId: UInt64
    public init(orderId: UInt64) { self.orderId = orderId }
    public var summary: String { EntityKind.order.format(orderId) }

    public func execute(_ context: CommandContext) throws -> Order {
        try context.moveOrder(orderId, to: .fulfilled, note: "") { order in
            try context.notify(order.customerId, .orderFulfilled, params: order.noticeParams(), link: "orders/\(order.publicId)")
        }
    }
}

/// The customer (or an admin) calls off an order before it is verified; the units go back.
public struct CancelOrder: ShopCommand {
    public static let name = "cancelOrder"
    public static let access = Access.role(.user)

    public var orderId: UInt64
    public var reason: String

    public init(orderId: UInt64, reason: String = "") {
        self.orderId = orderId
        self.reason = reason
    }

    public func validate() throws(ShopError) { try Check.text(reason, "reason", min: 0, max: Bounds.Length.reason) }
    public var summary: String { EntityKind.order.format(orderId) }

    public func execute(_ context: CommandContext) throws -> Order {
        try context.moveOrder(orderId, to: .cancelled, note: reason) { order in
            try context.requireSelf(order.customerId, or: .admin)
            order.reason = reason.isEmpty ? nil : reason
            try context.releaseStock(of: order)
            if context.actorId == order.customerId {
                try context.notify(role: .admin, .orderCancelledByCustomer, params: order.noticeParams(reason: reason),
                                   link: "orders/\(order.publicId)")
            } else {
                try context.notify(order.customerId, .orderCancelled, params: order.noticeParams(reason: reason),
                                   link: "orders/\(order.publicId)")
            }
        }
    }
}

extension CommandContext {
    /// Moves an order to `state` if its state machine allows it, after `change` (which checks
    /// who may and does the step's work), and records the transition.
    func moveOrder(_ id: UInt64, to state: Order.State, note: String, _ change: (inout Order) throws -> Void) throws -> Order {
        guard let current = try shop.orders.record(txn, id) else { throw ShopError(.notFound, "order not found", field: "orderId") }
        var order = current.value
        // Customers may only touch their own orders; say "not found" rather than reveal others'.
        if !holds(.admin) && order.customerId != actorId { throw ShopError(.notFound, "order not found", field: "orderId") }
        guard order.state.next.contains(state) else {
            throw ShopError(.invalidTransition, "an order that is \(order.state.rawValue) cannot become \(state.rawValue)")
        }
        let from = order.state
        try change(&order)
        order.state = state
        order.updatedAt = now
        order.history.append(.init(from: from, to: state, actorId: actorId, note: note, at: now))
        try put(shop.orders, order, over: current)
        return order
    }

    /// Gives an order's reserved units back to stock.
    func releaseStock(of order: Order) throws {
        for line in order.lines {
            try moveStock(line.productId, by: line.quantity, reason: .order, reference: order.publicId)
        }
    }
}

extension Order {
    /// What an order's notices say of it: its id and total as they are now, and a reason as written.
    func noticeParams(reason: String = "") -> [String: String] {
        ["order": publicId, "total": Money.format(total, currency), "reason": reason]
    }
}
