import Foundation
import Store

/// Something the shop sells, with its stock.
public struct Product: Sendable, Equatable, BinaryCodable {
    public var id: UInt64
    public var name: String
    public var emoji: String
    public var description: String
    public var category: String
    /// Minor units of `currency` (650 = R$ 6,50).
    public var price: Int64
    public var currency: String
    /// Units on hand; never below zero.
    public var stock: Int64
    /// At or below this many units the product is low on stock and admins are told.
    public var lowStockThreshold: Int64
    public var mediaIds: [String]
    /// Archived products are kept for history but not sold.
    public var active: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public var publicId: String { EntityKind.product.format(id) }
    public var isLowOnStock: Bool { active && stock <= lowStockThreshold }

    /// Whether this version of the product is low on stock and `previous` was not: the
    /// moment admins are told (the shop's notification and the hub's `low_stock` event), once
    /// per crossing rather than on every sale while it stays low.
    public func becameLowOnStock(since previous: Product) -> Bool { isLowOnStock && !previous.isLowOnStock }

    public init(id: UInt64, name: String, emoji: String, description: String, category: String, price: Int64, currency: String,
                stock: Int64, lowStockThreshold: Int64, mediaIds: [String], active: Bool, createdAt: Date, updatedAt: Date) {
        self.id = id; self.name = name; self.emoji = emoji; self.description = description; self.category = category
        self.price = price; self.currency = currency; self.stock = stock; self.lowStockThreshold = lowStockThreshold
        self.mediaIds = mediaIds; self.active = active; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    public func encode(to w: inout BinaryWriter) {
        w.write(id); w.write(name); w.write(emoji); w.write(description); w.write(category); w.write(price); w.write(currency)
        w.write(stock); w.write(lowStockThreshold); w.write(mediaIds); w.write(active); w.write(createdAt); w.write(updatedAt)
    }

    public init(from r: inout BinaryReader) throws {
        id = try r.read(); name = try r.read(); emoji = try r.read(); description = try r.read(); category = try r.read()
        price = try r.read(); currency = try r.read(); stock = try r.read(); lowStockThreshold = try r.read()
        mediaIds = try r.read(); active = try r.read(); createdAt = try r.read(); updatedAt = try r.read()
    }
}

extension BinaryView where Record == Product {
    /// ``Product/isLowOnStock``, read in place: stock, threshold and `active` without the
    /// product's strings (in ``Product/encode(to:)``'s order).
    public var isLowOnStock: Bool {
        get throws {
            var r = reader
            try r.skip(UInt64.self)
            for _ in 0..<4 { try r.skip(String.self) }  // name, emoji, description, category
            try r.skip(Int64.self); try r.skip(String.self)  // price, currency
            let stock: Int64 = try r.read()
            let threshold: Int64 = try r.read()
            try r.skip([String].self)
            let active: Bool = try r.read()
            return active && stock <= threshold
        }
    }
}
