import Foundation

/// Field checks shared by the commands' `validate()`.
enum Check {
    static func text(_ value: String, _ field: String, min: Int = 1, max: Int) throws(ShopError) {
        let count = value.trimmingCharacters(in: .whitespacesAndNewlines).count
        if count < min { throw ShopError.invalid(field, min == 1 ? "\(field) is required" : "\(field) needs at least \(min) characters") }
        if value.count > max { throw ShopError.invalid(field, "\(field) is longer than \(max) characters") }
    }

    static func amount(_ value: Int64, _ field: String, min: Int64 = 0, max: Int64 = 1_000_000_000_00) throws(ShopError) {
        if value < min { throw ShopError.invalid(field, "\(field) must be at least \(min)") }
        if value > max { throw ShopError.invalid(field, "\(field) must be at most \(max)") }
    }

    static func currency(_ value: String?, _ field: String = "currency") throws(ShopError) {
        guard let value else { return }
        if value.count != 3 || !value.allSatisfy({ $0.isASCII && $0.isUppercase }) {
            throw ShopError.invalid(field, "currency must be an ISO 4217 code such as BRL")
        }
    }

    /// Purchase and order lines: 1 to 50 lines, 1 to 10,000 units each, no product twice.
    static func lines(_ items: [LineItem], _ field: String = "items") throws(ShopError) {
        if items.isEmpty { throw ShopError.invalid(field, "at least one item is needed") }
        if items.count > 50 { throw ShopError.invalid(field, "at most 50 items at once") }
        var seen = Set<UInt64>()
        for (i, item) in items.enumerated() {
            if item.quantity < 1 || item.quantity > 10_000 {
                throw ShopError.invalid("\(field)[\(i)].quantity", "quantity must be between 1 and 10000")
            }
            if !seen.insert(item.productId).inserted {
                throw ShopError.invalid("\(field)[\(i)].productId", "a product may appear only once")
            }
        }
    }
}

/// A product and a quantity, as purchases, orders and refunds take them.
public struct LineItem: Sendable, Equatable {
    public var productId: UInt64
    public var quantity: Int64

    public init(productId: UInt64, quantity: Int64) {
        self.productId = productId
        self.quantity = quantity
    }
}

extension CommandContext {
    /// The lines for `items` at today's prices, after checking every product is on sale and in
    /// stock; all short lines are named together.
    func priceLines(_ items: [LineItem]) throws -> [SaleLine] {
        var lines: [SaleLine] = []
        var short: [ShopError.ShortItem] = []
        for (i, item) in items.enumerated() {
            let product = try self.product(item.productId, field: "items[\(i)].productId").value
            guard product.active else {
                throw ShopError(.ruleBroken, "\(product.name) is no longer sold", field: "items[\(i)].productId")
            }
            guard product.currency == settings.currency else {
                throw ShopError(.ruleBroken, "\(product.name) is priced in \(product.currency)", field: "items[\(i)].productId")
            }
            if product.stock < item.quantity {
                short.append(.init(productId: item.productId, requested: item.quantity, available: product.stock))
            }
            lines.append(SaleLine(productId: item.productId, quantity: item.quantity, unitPrice: product.price))
        }
        if !short.isEmpty {
            throw ShopError(.insufficientStock, "not enough stock for \(short.count) item(s)", field: "items", shortItems: short)
        }
        return lines
    }
}
