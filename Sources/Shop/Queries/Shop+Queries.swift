import Foundation
import Store

/// A product's stock as the inventory screen shows it.
public struct InventoryLine: Sendable, Equatable {
    public var product: Stored<Product>
    public var isLow: Bool
}

/// One line of a product's stock history.
public struct StockHistoryEntry: Sendable, Equatable {
    public var movement: Stored<StockMovement>
    /// The product's stock right after the movement.
    public var levelAfter: Int64
    /// The name of the user who made it; nil for the system (an import, a scheduled job).
    public var actorName: String?
}

/// A page of a product's stock history, newest first, and the product as it is now.
public struct StockHistory: Sendable {
    public var product: Stored<Product>
    public var page: Page<StockHistoryEntry>
}

/// What one user owes.
public struct Debt: Sendable, Equatable {
    public var userId: UInt64
    public var amount: Int64
    public var currency: String
}

/// What the caller is: their user, role and the bot commands that role may run.
public struct Me: Sendable, Equatable {
    public var user: User?
    /// The user record's stored version.
    public var userVersion: UInt64?
    public var role: Role
    public var commands: [BotCommandInfo]
}

extension Shop {
    // MARK: Who

    public func me(as principal: Principal) throws -> Me {
        try query(as: principal) { q in
            try q.require(.user)
            let role = q.role ?? .user
            return Me(user: q.actor, userVersion: try q.actor.flatMap { try q.shop.users.record(q.txn, $0.id)?.version }, role: role,
                      commands: CommandCatalog.commands(for: role))
        }
    }

    /// Users, newest first (owner).
    public func users(page: PageRequest = PageRequest(), as principal: Principal) throws -> Page<Stored<User>> {
        try query(as: principal) { q in
            try q.require(.owner)
            return try q.shop.users.scan(q.txn, options: page.scanOptions)
        }
    }

    /// One user (the owner, admins, or the user themself).
    public func user(_ id: UInt64, as principal: Principal) throws -> Stored<User> {
        try query(as: principal) { q in
            try q.require(.user)
            return try q.visibleRecord(q.shop.users, id, "user") { _ in q.actor?.id == id || q.holds(.admin) }
        }
    }

    /// The user with this Telegram id, if known (admin; the bot uses it to name buyers).
    public func user(telegramId: Int64, as principal: Principal) throws -> Stored<User>? {
        try query(as: principal) { q in
            try q.require(.admin)
            return try q.shop.users.first(q.txn, index: "telegramId", equals: OrderedKey(telegramId))
        }
    }

    /// Users whose @username or name starts with `text`, ignoring case and accents (admin).
    public func findUsers(_ text: String, limit: Int = 10, as principal: Principal) throws -> [Stored<User>] {
        try query(as: principal) { q in
            try q.require(.admin)
            let folded = Text.fold(text.hasPrefix("@") ? String(text.dropFirst()) : text)
            var matches: [Stored<User>] = []
            try q.shop.users.forEach(q.txn) { record in
                let user = record.value
                if Text.fold(user.username ?? "").hasPrefix(folded) || Text.fold(user.name).contains(folded) { matches.append(record) }
                return matches.count < limit
            }
            return matches
        }
    }

    // MARK: Products

    /// Products by name; `search` matches name prefixes first, then any part of the name,
    /// ignoring case and accents. Archived products only when an admin asks for them.
    public func products(search: String? = nil, category: String? = nil, includeArchived: Bool = false,
                         page: PageRequest = PageRequest(), as principal: Principal) throws -> Page<Stored<Product>> {
        try query(as: principal) { q in
            try q.require(.user)
            let includeArchived = includeArchived && q.holds(.admin)
            let folded = search.map(Text.fold)?.trimmingCharacters(in: .whitespaces) ?? ""
            let foldedCategory = category.map(Text.fold)
            var prefixed: [Stored<Product>] = []
            var containing: [Stored<Product>] = []
            try q.shop.products.scan(q.txn, index: "name", from: nil, to: nil).items.forEach { record in
                let product = record.value
                guard includeArchived || product.active else { return }
                if let foldedCategory, Text.fold(product.category) != foldedCategory { return }
                let name = Text.fold(product.name)
                if folded.isEmpty || name.hasPrefix(folded) {
                    prefixed.append(record)
                } else if name.contains(folded) {
                    containing.append(record)
                }
            }
            return Self.pageByOffset(prefixed + containing, page)
        }
    }

    public func product(_ id: UInt64, as principal: Principal) throws -> Stored<Product> {
        try query(as: principal) { q in
            try q.require(.user)
            return try q.visibleRecord(q.shop.products, id, "product") { $0.active || q.holds(.admin) }
        }
    }

    /// The categories in use, sorted.
    public func categories(as principal: Principal) throws -> [String] {
        try products(page: PageRequest(limit: 200), as: principal).items.map(\.value.category)
            .reduce(into: Set<String>()) { $0.insert($1) }.filter { !$0.isEmpty }.sorted()
    }

    /// Every active product's stock, low ones first (lowest stock first), then by name (admin).
    public func inventory(as principal: Principal) throws -> [InventoryLine] {
        try query(as: principal) { q in
            try q.require(.admin)
            var lines: [InventoryLine] = []
            try q.shop.products.forEach(q.txn) { record in
                if record.value.active { lines.append(InventoryLine(product: record, isLow: record.value.isLowOnStock)) }
                return true
            }
            return lines.sorted {
                if $0.isLow != $1.isLow { return $0.isLow }
                if $0.isLow { return $0.product.value.stock < $1.product.value.stock }
                return $0.product.value.name.localizedStandardCompare($1.product.value.name) == .orderedAscending
            }
        }
    }

    /// A product's stock movements, newest first (admin).
    public func stockMovements(of productId: UInt64, page: PageRequest = PageRequest(), as principal: Principal) throws -> Page<Stored<StockMovement>> {
        try query(as: principal) { q in
            try q.require(.admin)
            return try q.shop.stockMovements.lookup(q.txn, index: "product", equals: OrderedKey(productId), options: page.scanOptions)
        }
    }

    /// A product's stock history, newest first (admin; archived products too): each movement
    /// with the level right after it and the name of who made it, a page at a time over the
    /// `product` index (the same cursors as ``stockMovements(of:page:as:)``). An unknown product
    /// is `not_found`.
    ///
    /// The level after a movement is the one its command left, stored on the movement since
    /// this history was added, so any page reads it from its own records whatever the cursor.
    /// A movement written before has none: its level is derived as the product's current stock
    /// minus the deltas of every newer movement (a product's stock is the sum of its movements),
    /// then walked down the page (each older level is the newer one minus the newer delta). That
    /// depends only on the snapshot, never on the pages fetched before, so paging backwards from
    /// any cursor gives the same levels; the newer movements are summed only when a page's
    /// newest movement has no stored level.
    public func stockHistory(of productId: UInt64, page: PageRequest = PageRequest(), as principal: Principal) throws -> StockHistory {
        try query(as: principal) { q in
            try q.require(.admin)
            let product = try q.visibleRecord(q.shop.products, productId, "product") { _ in true }
            let key = OrderedKey(productId)
            let movements = try q.shop.stockMovements.lookup(q.txn, index: "product", equals: key, options: page.scanOptions)
            var level: Int64 = movements.items.first?.value.levelAfter ?? product.value.stock
            if let first = movements.items.first, first.value.levelAfter == nil {
                // Σ of the deltas newer than `first`: from the newest movement down to it.
                var newer: Int64 = 0
                var cursor: PageCursor?
                scanning: while true {
                    let chunk = try q.shop.stockMovements.lookup(q.txn, index: "product", equals: key,
                                                                  options: ScanOptions(limit: 500, reverse: true, after: cursor))
                    for movement in chunk.items {
                        if movement.key == first.key { break scanning }
                        newer = try Checked.sum(newer, movement.value.delta, "stock")
                    }
                    guard let next = chunk.next else { break }
                    cursor = next
                }
                level = try Checked.sum(product.value.stock, -newer, "stock")
            }
            var names: [UInt64: String] = [:]
            var entries: [StockHistoryEntry] = []
            for movement in movements.items {
                let after = movement.value.levelAfter ?? level
                var actorName: String?
                if let actorId = movement.value.actorId {
                    if let known = names[actorId] {
                        actorName = known
                    } else if let user = try q.shop.users.get(q.txn, actorId) {
                        names[actorId] = user.name
                        actorName = user.name
                    }
                }
                entries.append(StockHistoryEntry(movement: movement, levelAfter: after, actorName: actorName))
                level = try Checked.sum(after, -movement.value.delta, "stock")
            }
            return StockHistory(product: product, page: Page(items: entries, next: movements.next))
        }
    }

    // MARK: Sales and money

    /// Sales in `from..<to`, newest first, optionally of one buyer or one product (admin;
    /// a user sees only their own).
    public func sales(from: Date? = nil, to: Date? = nil, buyerId: UInt64? = nil, productId: UInt64? = nil,
                      page: PageRequest = PageRequest(), as principal: Principal) throws -> Page<Stored<Sale>> {
        try query(as: principal) { q in
            try q.require(.user)
            let buyerId = try q.ownUnlessAdmin(buyerId)
            func bounds(_ prefix: OrderedKey?) -> (OrderedKey?, OrderedKey?) {
                var lower = prefix ?? OrderedKey()
                var upper = prefix ?? OrderedKey()
                if let from { lower.append(from) }
                if let to { upper.append(to) }
                return (lower.bytes.isEmpty ? nil : lower, to == nil ? prefix?.prefixEnd : upper)
            }
            if let buyerId {
                let (lower, upper) = bounds(OrderedKey(buyerId))
                let page = try q.shop.sales.scan(q.txn, index: "buyer", from: lower, to: upper, options: page.scanOptions)
                guard let productId else { return page }
                return Page(items: page.items.filter { $0.value.lines.contains { $0.productId == productId } }, next: page.next)
            }
            if let productId {
                let (lower, upper) = bounds(OrderedKey(productId))
                return try q.shop.sales.scan(q.txn, index: "product", from: lower, to: upper, options: page.scanOptions)
            }
            let (lower, upper) = bounds(nil)
            return try q.shop.sales.scan(q.txn, index: "time", from: lower, to: upper, options: page.scanOptions)
        }
    }

    public func sale(_ id: UInt64, as principal: Principal) throws -> Stored<Sale> {
        try query(as: principal) { q in
            try q.require(.user)
            return try q.visibleRecord(q.shop.sales, id, "sale") { q.holds(.admin) || $0.buyerId == q.actor?.id }
        }
    }

    /// Payments, newest first, optionally of one user (admin; a user sees only their own).
    public func payments(userId: UInt64? = nil, page: PageRequest = PageRequest(), as principal: Principal) throws -> Page<Stored<Payment>> {
        try query(as: principal) { q in
            try q.require(.user)
            if let userId = try q.ownUnlessAdmin(userId) {
                return try q.shop.payments.lookup(q.txn, index: "user", equals: OrderedKey(userId), options: page.scanOptions)
            }
            return try q.shop.payments.scan(q.txn, index: "time", from: nil, to: nil, options: page.scanOptions)
        }
    }

    /// Everyone who owes something, largest debt first (admin).
    public func debts(as principal: Principal) throws -> [Debt] {
        try query(as: principal) { q in
            try q.require(.admin)
            return try q.txn.counters(from: Aggregates.debtPrefix, to: Aggregates.debtPrefix.prefixEnd).compactMap { key, amount in
                var reader = OrderedKeyReader(key)
                _ = try reader.readString()
                return amount == 0 ? nil : Debt(userId: try reader.readUInt64(), amount: amount, currency: settings.currency)
            }.sorted { $0.amount > $1.amount }
        }
    }

    /// What one user owes (the user themself or an admin).
    public func debt(of userId: UInt64, as principal: Principal) throws -> Debt {
        try query(as: principal) { q in
            try q.require(.user)
            guard q.actor?.id == userId || q.holds(.admin) else { throw ShopError.forbidden }
            return Debt(userId: userId, amount: try q.txn.counter(Aggregates.debt(userId)), currency: settings.currency)
        }
    }

    /// The money ledger, newest first, optionally of one user (owner).
    public func ledger(userId: UInt64? = nil, page: PageRequest = PageRequest(), as principal: Principal) throws -> Page<Stored<LedgerEntry>> {
        try query(as: principal) { q in
            try q.require(.owner)
            return try q.newestFirst(q.shop.ledger, index: "user", equals: userId, page)
        }
    }

    // MARK: Orders and contracts

    /// Orders, newest first, optionally in one state (admin: all; a user: their own).
    public func orders(state: Order.State? = nil, page: PageRequest = PageRequest(), as principal: Principal) throws -> Page<Stored<Order>> {
        try query(as: principal) { q in
            try q.require(.user)
            if !q.holds(.admin) {
                let mine = try q.shop.orders.lookup(q.txn, index: "customer", equals: OrderedKey(q.actor?.id ?? 0), options: page.scanOptions)
                guard let state else { return mine }
                return Page(items: mine.items.filter { $0.value.state == state }, next: mine.next)
            }
            if let state {
                return try q.shop.orders.lookup(q.txn, index: "state", equals: OrderedKey(state.rawValue), options: page.scanOptions)
            }
            return try q.shop.orders.scan(q.txn, options: page.scanOptions)
        }
    }

    public func order(_ id: UInt64, as principal: Principal) throws -> Stored<Order> {
        try query(as: principal) { q in
            try q.require(.user)
            return try q.visibleRecord(q.shop.orders, id, "order") { q.holds(.admin) || $0.customerId == q.actor?.id }
        }
    }

    /// Contracts, newest first, optionally in one state (the owner: all; others: those they are a party of).
    public func contracts(state: Contract.State? = nil, page: PageRequest = PageRequest(), as principal: Principal) throws -> Page<Stored<Contract>> {
        try query(as: principal) { q in
            try q.require(.user)
            let all: Page<Stored<Contract>>
            if q.holds(.owner) {
                all = try q.shop.contracts.scan(q.txn, options: page.scanOptions)
            } else {
                all = try q.shop.contracts.lookup(q.txn, index: "party", equals: OrderedKey(q.actor?.id ?? 0), options: page.scanOptions)
            }
            guard let state else { return all }
            return Page(items: all.items.filter { $0.value.state == state }, next: all.next)
        }
    }

    public func contract(_ id: UInt64, as principal: Principal) throws -> Stored<Contract> {
        try query(as: principal) { q in
            try q.require(.user)
            return try q.visibleRecord(q.shop.contracts, id, "contract") { contract in
                q.holds(.owner) || contract.parties.contains { $0.userId == q.actor?.id }
            }
        }
    }

    // MARK: Notifications and audit

    /// The caller's notifications, newest first, and how many are unread.
    public func notifications(unreadOnly: Bool = false, page: PageRequest = PageRequest(), as principal: Principal) throws -> (page: Page<Stored<Notice>>, unread: Int) {
        try query(as: principal) { q in
            try q.require(.user)
            guard let userId = q.actor?.id else { return (Page(items: [], next: nil), 0) }
            let page = try q.shop.notifications.lookup(q.txn, index: unreadOnly ? "unread" : "user", equals: OrderedKey(userId),
                                                       options: page.scanOptions)
            return (page, Int(try q.txn.counter(Aggregates.unread(userId))))
        }
    }

    /// One of the caller's notifications (someone else's is not found).
    public func notification(_ id: UInt64, as principal: Principal) throws -> Stored<Notice> {
        try query(as: principal) { q in
            try q.require(.user)
            return try q.visibleRecord(q.shop.notifications, id, "notification") { $0.userId == q.actor?.id }
        }
    }

    /// The audit trail, newest first, optionally of one actor (owner).
    public func auditTrail(actorId: UInt64? = nil, page: PageRequest = PageRequest(), as principal: Principal) throws -> Page<Stored<AuditEntry>> {
        try query(as: principal) { q in
            try q.require(.owner)
            return try q.newestFirst(q.shop.audit, index: "actor", equals: actorId, page)
        }
    }

    /// Pages through a list built in memory; the cursor holds the offset.
    static func pageByOffset<T>(_ all: [T], _ page: PageRequest) -> Page<T> {
        let start = page.cursor.flatMap { try? UInt64(binary: $0.key) }.map { Int(min($0, UInt64(all.count))) } ?? 0
        let end = min(all.count, start + page.limit)
        return Page(items: Array(all[start..<end]), next: end < all.count ? PageCursor(key: UInt64(end).binaryEncoded()) : nil)
    }
}
