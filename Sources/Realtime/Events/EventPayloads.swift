import Shop

// The `data` objects of the hub's events, in CONTRACT.md's shapes. Records inside them
// use the Shop's JSON views, so a live event and a REST answer show the same record.

struct InventoryUpdate: Encodable {
    var productId: String
    var stock: Int64
}

struct LowStock: Encodable {
    var productId: String
    var stock: Int64
    var threshold: Int64
}

struct ProductChanged: Encodable {
    var product: ProductView
}

struct ProductDeleted: Encodable {
    var productId: String
    var deleted = true
}

struct NewSale: Encodable {
    var sale: SaleView
}

/// A refund of some units of a sale: the sale as it is now, the lines this refund gave back
/// and their value (minor units, positive).
struct SaleRefunded: Encodable {
    var sale: SaleView
    var lines: [SaleLineView]
    var amount: Int64
}

struct PaymentRecorded: Encodable {
    var payment: PaymentView
}

struct DebtUpdate: Encodable {
    var userId: String
    /// Signed minor units: positive raises the debt, negative lowers it.
    var change: Int64
    var currency: String
    var kind: String
    var entryId: String
    var reference: String?
}

struct NotificationCreated: Encodable {
    var notification: NotificationView
}

struct OrderUpdate: Encodable {
    var order: OrderView
}

struct ContractUpdate: Encodable {
    var contract: ContractView
}

/// `actorId` is written as null for the system, rather than left out, so every
/// `user_action` carries the same keys.
struct UserAction: Encodable {
    var actorId: String?
    var command: String
    var outcome: String
    var channel: String

    enum CodingKeys: String, CodingKey { case actorId, command, outcome, channel }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(actorId, forKey: .actorId)
        try c.encode(command, forKey: .command)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(channel, forKey: .channel)
    }
}

struct PresenceSnapshot: Encodable {
    struct Online: Encodable, Equatable {
        var userId: String
        var role: String
        var connections: Int
        /// What the user's connections look at ("products/p3"), without repeats.
        var views: [String]
    }

    var online: [Online]
}
