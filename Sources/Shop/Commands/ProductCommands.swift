import Foundation
import Store

/// Adds a product to the catalogue, with its opening stock (admin).
public struct CreateProduct: ShopCommand {
    public static let name = "createProduct"
    public static let access = Access.role(.admin)

    public var name: String
    public var emoji: String
    public var description: String
    public var category: String
    public var price: Int64
    /// Nil means the shop's currency; any other must equal it.
    public var currency: String?
    public var stock: Int64
    public var lowStockThreshold: Int64
    public var mediaIds: [String]

    public init(name: String, emoji: String = "", description: String = "", category: String = "", price: Int64,
                currency: String? = nil, stock: Int64 = 0, lowStockThreshold: Int64 = 5, mediaIds: [String] = []) {
        self.name = name; self.emoji = emoji; self.description = description; self.category = category; self.price = price
        self.currency = currency; self.stock = stock; self.lowStockThreshold = lowStockThreshold; self.mediaIds = mediaIds
    }

    public func validate() throws(ShopError) {
        try Check.text(name, "name", max: Bounds.Length.name)
        try Check.text(emoji, "emoji", min: 0, max: Bounds.Length.emoji)
        try Check.text(description, "description", min: 0, max: Bounds.Length.description)
        try Check.text(category, "category", min: 0, max: Bounds.Length.category)
        try Check.number(price, "price", in: Bounds.price)
        try Check.currency(currency)
        try Check.number(stock, "stock", in: Bounds.openingStock)
        try Check.number(lowStockThreshold, "lowStockThreshold", in: Bounds.threshold)
        try Check.mediaIds(mediaIds)
    }

    public var summary: String { "\(name) at \(price)" }

    public func execute(_ context: CommandContext) throws -> Product {
        let currency = currency ?? context.settings.currency
        guard currency == context.settings.currency else {
            throw ShopError(.ruleBroken, "this shop sells in \(context.settings.currency)", field: "currency")
        }
        let product = Product(
            id: try context.nextId(.product), name: name.trimmingCharacters(in: .whitespaces), emoji: emoji,
            description: description, category: category.trimmingCharacters(in: .whitespaces), price: price,
            currency: currency, stock: 0, lowStockThreshold: lowStockThreshold, mediaIds: mediaIds, active: true,
            createdAt: context.now, updatedAt: context.now)
        try context.put(context.shop.products, product.id, product, expecting: .absent)
        guard stock > 0 else { return product }
        return try context.moveStock(product.id, by: stock, reason: .initial, reference: nil)
    }
}

/// Changes a product's description, price, threshold, images or active flag (admin).
/// Stock changes go through ``Restock`` and ``AdjustStock``, so they are always recorded.
public struct UpdateProduct: ShopCommand {
    public static let name = "updateProduct"
    public static let access = Access.role(.admin)

    public var productId: UInt64
    /// The version the caller saw; a newer one refuses the update (412).
    public var expectedVersion: UInt64?
    public var name: String?
    public var emoji: String?
    public var description: String?
    public var category: String?
    public var price: Int64?
    public var lowStockThreshold: Int64?
    public var mediaIds: [String]?
    public var active: Bool?

    public init(productId: UInt64, expectedVersion: UInt64? = nil, name: String? = nil, emoji: String? = nil, description: String? = nil,
                category: String? = nil, price: Int64? = nil, lowStockThreshold: Int64? = nil, mediaIds: [String]? = nil, active: Bool? = nil) {
        self.productId = productId; self.expectedVersion = expectedVersion; self.name = name; self.emoji = emoji
        self.description = description; self.category = category; self.price = price
        self.lowStockThreshold = lowStockThreshold; self.mediaIds = mediaIds; self.active = active
    }

    public func validate() throws(ShopError) {
        if let name { try Check.text(name, "name", max: Bounds.Length.name) }
        if let emoji { try Check.text(emoji, "emoji", min: 0, max: Bounds.Length.emoji) }
        if let description { try Check.text(description, "description", min: 0, max: Bounds.Length.description) }
        if let category { try Check.text(category, "category", min: 0, max: Bounds.Length.category) }
        if let price { try Check.number(price, "price", in: Bounds.price) }
        if let lowStockThreshold { try Check.number(lowStockThreshold, "lowStockThreshold", in: Bounds.threshold) }
        if let mediaIds { try Check.mediaIds(mediaIds) }
    }

    public var summary: String { EntityKind.product.format(productId) }

    public func execute(_ context: CommandContext) throws -> Product {
        let current = try context.product(productId)
        if let expectedVersion, expectedVersion != current.version {
            throw ShopError(.versionConflict, "the product was changed by someone else (now at version \(current.version))")
        }
        var product = current.value
        if let name { product.name = name.trimmingCharacters(in: .whitespaces) }
        if let emoji { product.emoji = emoji }
        if let description { product.description = description }
        if let category { product.category = category.trimmingCharacters(in: .whitespaces) }
        if let price { product.price = price }
        if let lowStockThreshold { product.lowStockThreshold = lowStockThreshold }
        if let mediaIds { product.mediaIds = mediaIds }
        if let active { product.active = active }
        return try context.saveProduct(product, replacing: current)
    }
}

/// Takes a product off sale, keeping it for history (admin): the API's delete.
public struct ArchiveProduct: ShopCommand {
    public static let name = "archiveProduct"
    public static let access = Access.role(.admin)

    public var productId: UInt64
    public var expectedVersion: UInt64?

    public init(productId: UInt64, expectedVersion: UInt64? = nil) {
        self.productId = productId
        self.expectedVersion = expectedVersion
    }

    public var summary: String { EntityKind.product.format(productId) }

    public func execute(_ context: CommandContext) throws -> Product {
        try UpdateProduct(productId: productId, expectedVersion: expectedVersion, active: false).execute(context)
    }
}

/// Sets the stock level at or below which admins are told a product runs low (admin).
public struct SetThreshold: ShopCommand {
    public static let name = "setThreshold"
    public static let access = Access.role(.admin)

    public var productId: UInt64
    public var threshold: Int64
    /// The product's version the caller saw (`If-Match`); a newer one refuses the change.
    public var expectedVersion: UInt64?

    public init(productId: UInt64, threshold: Int64, expectedVersion: UInt64? = nil) {
        self.productId = productId
        self.threshold = threshold
        self.expectedVersion = expectedVersion
    }

    public func validate() throws(ShopError) { try Check.number(threshold, "threshold", in: Bounds.threshold) }
    public var summary: String { "\(EntityKind.product.format(productId)) threshold \(threshold)" }

    public func execute(_ context: CommandContext) throws -> Product {
        try UpdateProduct(productId: productId, expectedVersion: expectedVersion, lowStockThreshold: threshold).execute(context)
    }
}

/// Adds received units to a product's stock (admin).
public struct Restock: ShopCommand {
    public static let name = "restock"
    public static let access = Access.role(.admin)

    public var productId: UInt64
    public var quantity: Int64
    public var note: String

    public init(productId: UInt64, quantity: Int64, note: String = "") {
        self.productId = productId
        self.quantity = quantity
        self.note = note
    }

    public func validate() throws(ShopError) {
        try Check.number(quantity, "quantity", in: Bounds.restock)
        try Check.text(note, "note", min: 0, max: Bounds.Length.note)
    }

    public var summary: String { "\(EntityKind.product.format(productId)) +\(quantity)" }

    public func execute(_ context: CommandContext) throws -> Product {
        try context.moveStock(productId, by: quantity, reason: .restock, reference: nil, note: note)
    }
}

/// Corrects a product's stock up or down, with the reason recorded (admin).
public struct AdjustStock: ShopCommand {
    public static let name = "adjustStock"
    public static let access = Access.role(.admin)

    public var productId: UInt64
    public var delta: Int64
    /// `adjustment` (a count, a loss), `restock` or `return`.
    public var reason: StockMovement.Reason
    public var note: String

    public init(productId: UInt64, delta: Int64, reason: StockMovement.Reason = .adjustment, note: String = "") {
        self.productId = productId
        self.delta = delta
        self.reason = reason
        self.note = note
    }

    /// The reasons a person gives for a stock change (sales and orders move stock themselves).
    public static let reasons: [StockMovement.Reason] = [.adjustment, .restock, .return]

    public func validate() throws(ShopError) {
        try Check.number(delta, "delta", in: Bounds.stockAdjustment)
        if delta == 0 { throw ShopError.invalid("delta", "delta must not be zero") }
        guard Self.reasons.contains(reason) else {
            throw ShopError.invalid("reason", "reason must be " + Self.reasons.map(\.rawValue).joined(separator: ", "))
        }
        // Each field is well formed; a removal with a reason that only adds breaks a rule (422).
        if reason != .adjustment && delta < 0 { throw ShopError(.ruleBroken, "a \(reason.rawValue) adds units", field: "delta") }
        try Check.text(note, "note", min: 0, max: Bounds.Length.note)
    }

    public var summary: String { "\(EntityKind.product.format(productId)) \(delta > 0 ? "+" : "")\(delta) \(reason.rawValue)" }

    public func execute(_ context: CommandContext) throws -> Product {
        try context.moveStock(productId, by: delta, reason: reason, reference: nil, note: note)
    }
}

extension CommandContext {
    /// Writes a changed product and tells admins when the change made it low on stock.
    @discardableResult
    func saveProduct(_ product: Product, replacing current: StoredRecord<UInt64, Product>) throws -> Product {
        var product = product
        product.updatedAt = now
        try put(shop.products, product, over: current)
        if product.becameLowOnStock(since: current.value) {
            try notify(role: .admin, .lowStock, priority: .high,
                       params: ["product": product.name, "emoji": product.emoji, "stock": String(product.stock),
                                "threshold": String(product.lowStockThreshold)],
                       link: "products/\(product.publicId)")
        }
        return product
    }
}
