import Foundation

/// Field checks shared by the commands' `validate()`, against the ranges in ``Bounds``.
enum Check {
    /// A text of at most `max` Unicode scalars (the unit JSON Schema's `maxLength` counts)
    /// with at least `min` characters that are not white space (``isSchemaWhiteSpace(_:)``).
    static func text(_ value: String, _ field: String, min: Int = 1, max: Int) throws(ShopError) {
        if value.unicodeScalars.count > max { throw ShopError.invalid(field, "\(field) is longer than \(max) characters") }
        let count = min == 0 ? 0 : value.unicodeScalars.lazy.filter { !Check.isSchemaWhiteSpace($0) }.count
        if count < min { throw ShopError.invalid(field, min == 1 ? "\(field) is required" : "\(field) needs at least \(min) characters") }
    }

    /// White space as the OpenAPI document's `pattern: "\S"` means it: ECMAScript's `\s`
    /// (WhiteSpace and LineTerminator). Foundation's `.whitespacesAndNewlines` also holds
    /// U+0085 and U+001C–U+001F, which the document lets through; judging by a different set
    /// would refuse a text the contract promises to take (the API fuzzer found `"\u0085"`).
    static func isSchemaWhiteSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: true
        default: false
        }
    }

    /// A number inside `range`: every number from outside passes here before any arithmetic.
    static func number(_ value: Int64, _ field: String, in range: ClosedRange<Int64>) throws(ShopError) {
        if value < range.lowerBound { throw ShopError.invalid(field, "\(field) must be at least \(range.lowerBound)") }
        if value > range.upperBound { throw ShopError.invalid(field, "\(field) must be at most \(range.upperBound)") }
    }

    /// A count of things (lines, parties, images) inside `range`.
    static func count(_ value: Int, _ field: String, in range: ClosedRange<Int>, of things: String) throws(ShopError) {
        if !range.contains(value) { throw ShopError.invalid(field, "\(range.lowerBound) to \(range.upperBound) \(things)") }
    }

    /// A product's images: ``Bounds/mediaPerProduct`` ids at most, each a bounded text.
    static func mediaIds(_ ids: [String]) throws(ShopError) {
        try count(ids.count, "mediaIds", in: 0...Bounds.mediaPerProduct, of: "images")
        for (i, id) in ids.enumerated() { try text(id, "mediaIds[\(i)]", max: Bounds.Length.mediaId) }
    }

    static func currency(_ value: String?, _ field: String = "currency") throws(ShopError) {
        guard let value else { return }
        if value.unicodeScalars.count != 3 || !value.unicodeScalars.allSatisfy({ $0.isASCII && ("A"..."Z").contains($0) }) {
            throw ShopError.invalid(field, "currency must be an ISO 4217 code such as BRL")
        }
    }

    /// Purchase, order and refund lines: ``Bounds/lines`` lines of ``Bounds/quantity`` units, no product twice.
    static func lines(_ items: [LineItem], _ field: String = "items") throws(ShopError) {
        try count(items.count, field, in: Bounds.lines, of: "items at once")
        var seen = Set<UInt64>()
        for (i, item) in items.enumerated() {
            try number(item.quantity, "\(field)[\(i)].quantity", in: Bounds.quantity)
            // Each line is well formed; two lines for one product break a rule across lines (422).
            if !seen.insert(item.productId).inserted {
                throw ShopError(.ruleBroken, "a product may appear only once", field: "\(field)[\(i)].productId")
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
