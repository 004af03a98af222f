import Foundation
import Shop
import Store

/// Turns one committed change record into the hub's events (CONTRACT.md's topic table).
///
/// Records are decoded from the change's own bytes (`value`, and `previous` to tell what
/// changed), so the mapper needs no read transaction and maps history and live changes
/// alike. Collections that clients never see live (users, sessions, login codes,
/// idempotency keys, stock movements) map to nothing.
public struct EventMapper: Sendable {
    public init() {}

    /// The events of one change, in a fixed order; empty when the change publishes nothing.
    ///
    /// Throws when the change's bytes do not decode as the collection's record type.
    public func events(for change: ChangeRecord) throws -> [HubEvent] {
        switch change.collection {
        case "products": try productEvents(change)
        case "sales": try stored(change, Sale.self) { sale, previous in
            guard let previous else {
                return [event(change, .sales, "new_sale", NewSale(sale: SaleView(sale, version: change.version)), .admins(plus: [sale.buyerId]))]
            }
            // A sale changes only by a refund: the event names the units this change gave back.
            guard sale.refundedQuantities.count == sale.lines.count else { return [] }
            let refunded = sale.lines.indices.compactMap { i -> SaleLine? in
                let units = sale.refundedQuantities[i] &- (previous.refundedQuantities.indices.contains(i) ? previous.refundedQuantities[i] : 0)
                return units > 0 ? SaleLine(productId: sale.lines[i].productId, quantity: units, unitPrice: sale.lines[i].unitPrice) : nil
            }
            guard !refunded.isEmpty else { return [] }
            return [event(change, .sales, "sale_refunded",
                          SaleRefunded(sale: SaleView(sale, version: change.version), lines: refunded.map(SaleLineView.init),
                                       amount: refunded.reduce(0) { $0 &+ $1.total }),
                          .admins(plus: [sale.buyerId]))]
        }
        case "payments": try created(change, Payment.self) { payment in
            [event(change, .sales, "payment_recorded", PaymentRecorded(payment: PaymentView(payment, version: change.version)),
                   .admins(plus: [payment.userId]))]
        }
        case "ledger": try created(change, LedgerEntry.self) { entry in
            let data = DebtUpdate(userId: EntityKind.user.format(entry.userId), change: entry.amount, currency: entry.currency,
                                  kind: entry.kind.rawValue, entryId: EntityKind.ledgerEntry.format(entry.id), reference: entry.reference)
            return [event(change, .sales, "debt_update", data, .admins(plus: [entry.userId]))]
        }
        case "notifications": try created(change, Notice.self) { notice in
            [event(change, .notifications, "notification",
                   NotificationCreated(notification: NotificationView(notice, version: change.version)), .only([notice.userId]))]
        }
        case "orders": try stored(change, Order.self) { order, _ in
            [event(change, .orders, "order_update", OrderUpdate(order: OrderView(order, version: change.version)),
                   .admins(plus: [order.customerId]))]
        }
        case "contracts": try stored(change, Contract.self) { contract, previous in
            // A party removed by this change still learns of it.
            let parties = Set(contract.parties.map(\.userId)).union(previous?.parties.map(\.userId) ?? [])
            return [event(change, .contracts, "contract_update", ContractUpdate(contract: ContractView(contract, version: change.version)),
                          .owners(plus: parties))]
        }
        case "audit": try created(change, AuditEntry.self) { entry in
            let data = UserAction(actorId: entry.actorId.map(EntityKind.user.format), command: entry.command,
                                  outcome: entry.outcome, channel: entry.channel.rawValue)
            return [event(change, .activity, "user_action", data, .owners())]
        }
        default: []
        }
    }

    // MARK: Products

    private func productEvents(_ change: ChangeRecord) throws -> [HubEvent] {
        guard change.operation == .put, let value = change.value else {
            // A hard delete: everyone who could see the product learns it is gone.
            let id = try change.key.withUnsafeBytes { try UInt64Key.decode($0) }
            return [event(change, .inventory, "product_update",
                          ProductDeleted(productId: EntityKind.product.format(id)), .everyone)]
        }
        let product = try Product(binary: value)
        let productId = product.publicId
        guard let previousBytes = change.previous else {
            return [event(change, .inventory, "product_update",
                          ProductChanged(product: ProductView(product, version: change.version)), .everyone)]
        }
        let previous = try Product(binary: previousBytes)
        var events: [HubEvent] = []
        if product.stock != previous.stock {
            var update = event(change, .inventory, "inventory_update", InventoryUpdate(productId: productId, stock: product.stock), .everyone)
            update.supersedesKey = "inventory_update:" + productId
            events.append(update)
        }
        if Self.describedDifferently(product, previous) {
            events.append(event(change, .inventory, "product_update",
                                ProductChanged(product: ProductView(product, version: change.version)), .everyone))
        }
        if product.becameLowOnStock(since: previous) {
            events.append(event(change, .inventory, "low_stock",
                                LowStock(productId: productId, stock: product.stock, threshold: product.lowStockThreshold), .admins()))
        }
        return events
    }

    /// Whether anything but the stock (and the touch time every save sets) changed.
    private static func describedDifferently(_ a: Product, _ b: Product) -> Bool {
        var a = a
        a.stock = b.stock
        a.updatedAt = b.updatedAt
        return a != b
    }

    // MARK: Decoding and encoding

    /// Events for a record's creation only (later puts of the same record publish nothing).
    private func created<R: BinaryCodable>(_ change: ChangeRecord, _: R.Type, _ make: (R) throws -> [HubEvent]) throws -> [HubEvent] {
        guard change.operation == .put, change.previous == nil, let value = change.value else { return [] }
        return try make(try R(binary: value))
    }

    /// Events for every put of a record, with its previous value when there was one.
    private func stored<R: BinaryCodable>(_ change: ChangeRecord, _: R.Type, _ make: (R, R?) throws -> [HubEvent]) throws -> [HubEvent] {
        guard change.operation == .put, let value = change.value else { return [] }
        return try make(try R(binary: value), try change.previous.map { try R(binary: $0) })
    }

    private func event<D: Encodable>(_ change: ChangeRecord, _ topic: Topic, _ name: String, _ data: D, _ audience: Audience) -> HubEvent {
        HubEvent(sequence: change.sequence, topic: topic, name: name, data: Self.json(data), audience: audience, at: change.at)
    }

    /// The JSON of an event's data. The payloads hold only strings, integers, booleans and
    /// arrays of them, which JSONEncoder cannot fail to encode; "{}" stands in should it ever.
    static func json<D: Encodable>(_ data: D) -> [UInt8] {
        ViewJSON.encode(data)
    }
}
