import Foundation
import Store

/// What a running command works with: the write transaction, who is acting, and the
/// shared steps every command takes (ids, stock, ledger, counters, notifications, audit).
///
/// It lives on the writer thread for one command and is not `Sendable`.
public final class CommandContext {
    let txn: WriteTransaction
    let shop: ShopCollections
    let settings: ShopSettings
    public let principal: Principal
    /// The acting user (nil for the system and for anonymous callers).
    public let actor: User?
    /// The acting role: the user's stored role, owner for the system, nil when anonymous.
    public let role: Role?
    /// The command's time: now, or the historical time of an imported event.
    public let now: Date

    init(txn: WriteTransaction, shop: ShopCollections, settings: ShopSettings, principal: Principal, now: Date) throws {
        self.txn = txn
        self.shop = shop
        self.settings = settings
        self.principal = principal
        self.now = now
        (actor, role) = try shop.resolve(principal, in: txn)
    }

    public var actorId: UInt64? { actor?.id }

    /// Checks the command's access rule against the acting role.
    func authorize(_ access: Access) throws(ShopError) {
        guard case .role(let needed) = access else { return }
        guard let role else { throw ShopError(.notAuthenticated, "sign in first") }
        guard role >= needed else { throw ShopError.forbidden }
    }

    /// True when the actor holds at least `role` (the system always does).
    func holds(_ needed: Role) -> Bool { (role ?? .user) >= needed && role != nil }

    /// Refuses unless the actor is `userId` or holds `role`.
    func requireSelf(_ userId: UInt64, or needed: Role) throws(ShopError) {
        if actor?.id == userId || holds(needed) { return }
        throw ShopError.forbidden
    }

    // MARK: Records

    /// The next id of a kind; kept in the store so it is never given twice.
    func nextId(_ kind: EntityKind) throws -> UInt64 {
        UInt64(try txn.add(toCounter: Aggregates.lastId(kind), 1))
    }

    func user(_ id: UInt64, field: String = "userId") throws -> User {
        guard let user = try shop.users.get(txn, id) else { throw ShopError(.notFound, "user \(EntityKind.user.format(id)) not found", field: field) }
        return user
    }

    func product(_ id: UInt64, field: String = "productId") throws -> StoredRecord<UInt64, Product> {
        guard let product = try shop.products.record(txn, id) else {
            throw ShopError(.notFound, "product \(EntityKind.product.format(id)) not found", field: field)
        }
        return product
    }

    /// Writes a record, turning the store's version conflicts into the shop's, and remembers
    /// the version it got for the command's answer.
    @discardableResult
    func put<V>(_ collection: Records<V>, _ id: UInt64, _ value: V, expecting: Expectation = .any) throws -> UInt64 {
        try storing(V.self, id) { try collection.put(txn, id, value, expecting: expecting) }
    }

    /// Writes a record in place of `current`, as this command read it: refused when someone
    /// changed it since (the store's version check), and its index entries move without the
    /// stored record being decoded again.
    @discardableResult
    func put<V>(_ collection: Records<V>, _ value: V, over current: StoredRecord<UInt64, V>) throws -> UInt64 {
        try storing(V.self, current.key) { try collection.put(txn, value, over: current) }
    }

    private func storing<V>(_ type: V.Type, _ id: UInt64, _ put: () throws -> UInt64) throws -> UInt64 {
        do {
            let version = try put()
            storedVersions.append(StoredVersion(type: ObjectIdentifier(V.self), id: id, version: version))
            return version
        } catch let error as StoreError {
            throw ShopError(error)
        }
    }

    /// The version `record` has now: the one this command stored, else (a record it answers
    /// without changing it) the stored one.
    func version(of record: any ShopRecord) throws -> UInt64? {
        let type = ObjectIdentifier(type(of: record))
        if let stored = storedVersions.last(where: { $0.type == type && $0.id == record.id }) { return stored.version }
        return try shop.storedVersion(of: record, in: txn)
    }

    private struct StoredVersion {
        let type: ObjectIdentifier
        let id: UInt64
        let version: UInt64
    }
    /// The versions of the records this command stored, the latest last: a handful per command,
    /// asked for once, so a list costs less than hashing every put.
    private var storedVersions: [StoredVersion] = []

    // MARK: Stock

    /// Changes a product's stock by `delta` and records the movement; refuses to go below zero.
    /// Tells admins when the change takes the product to or below its threshold.
    @discardableResult
    func moveStock(_ productId: UInt64, by delta: Int64, reason: StockMovement.Reason, reference: String?, note: String = "") throws -> Product {
        let current = try product(productId)
        var product = current.value
        let level = try Checked.sum(product.stock, delta, "stock")
        guard level >= 0 else {
            throw ShopError(.insufficientStock, "only \(product.stock) of \(product.name) in stock",
                            shortItems: [.init(productId: productId, requested: -delta, available: product.stock)])
        }
        guard level <= Bounds.stockLevel.upperBound else {
            throw ShopError(.outOfRange, "\(product.name) would hold more than \(Bounds.stockLevel.upperBound) units", field: "stock")
        }
        product.stock = level
        let movement = StockMovement(id: try nextId(.stockMovement), productId: productId, delta: delta, reason: reason,
                                     actorId: actorId, reference: reference, note: note, at: now, levelAfter: level)
        try put(shop.stockMovements, movement.id, movement)
        return try saveProduct(product, replacing: current)
    }

    // MARK: Money

    /// Adds a signed ledger entry for a user and moves their debt and the shop's total with it.
    func postLedger(_ userId: UInt64, _ kind: LedgerEntry.Kind, amount: Int64, reference: String?, note: String = "") throws {
        let entry = LedgerEntry(id: try nextId(.ledgerEntry), userId: userId, kind: kind, amount: amount,
                                currency: settings.currency, reference: reference, note: note, actorId: actorId, at: now)
        try put(shop.ledger, entry.id, entry)
        try txn.add(toCounter: Aggregates.debt(userId), amount)
        try txn.add(toCounter: Aggregates.totalDebt, amount)
    }

    /// What a user owes now.
    func debt(of userId: UInt64) throws -> Int64 {
        try txn.counter(Aggregates.debt(userId))
    }

    /// Counts sold (or, with a negative sign, refunded) lines into the totals of the sale's
    /// day, its products and its buyer. Refunds count against the day of the sale they undo,
    /// so every figure is net sales by sale date and can be recomputed from the sales alone.
    func countSale(buyerId: UInt64, lines: [SaleLine], sign: Int64, countsAsSale: Bool, soldAt: Date) throws {
        let day = Aggregates.day(soldAt)
        let total = lines.reduce(0) { $0 + $1.total }
        for (span, period) in [(Aggregates.Span.day, day), (.week, Aggregates.week(day))] {
            for line in lines {
                try txn.add(toCounter: OrderedKey(Aggregates.productRevenuePrefix(span), period, line.productId), sign * line.total)
                try txn.add(toCounter: OrderedKey(Aggregates.productUnitsPrefix(span), period, line.productId), sign * line.quantity)
            }
            try txn.add(toCounter: OrderedKey(Aggregates.buyerRevenuePrefix(span), period, buyerId), sign * total)
            if countsAsSale { try txn.add(toCounter: OrderedKey(Aggregates.buyerSalesPrefix(span), period, buyerId), 1) }
        }
        try txn.add(toCounter: Aggregates.buyerLifetimeRevenue(buyerId), sign * total)
        try txn.add(toCounter: Aggregates.revenue(day), sign * total)
        if countsAsSale {
            try txn.add(toCounter: Aggregates.salesCount(day), 1)
            try markBuyerSalesCounted()
        }
    }

    /// Marks, with the first sale counted per buyer, since when those counters hold every sale
    /// (see ``Aggregates/buyerSalesCountedSince``). The sale being counted is stored already, so
    /// a store with exactly one sale had none before. The wall clock, not the command's `now`
    /// (an import's past time): every sale of an older store was made before this moment.
    private func markBuyerSalesCounted() throws {
        guard try txn.counter(Aggregates.buyerSalesCountedSince) == 0 else { return }
        let since = try shop.sales.count(txn) <= 1
            ? Aggregates.buyerSalesCountedFromStart : max(Date().microsecondsSince1970, Aggregates.buyerSalesCountedFromStart + 1)
        try txn.add(toCounter: Aggregates.buyerSalesCountedSince, since)
    }

    // MARK: Notifications

    /// Notifies one user: the notice keeps its kind and `params` (names, numbers and amounts as
    /// they are now, text a person wrote as written); its words come from ``NoticeCatalogue``.
    func notify(_ userId: UInt64, _ kind: NoticeKind, priority: Notice.Priority = .normal, params: [String: String],
                link: String?, audience: Role? = nil) throws {
        let notification = Notice(id: try nextId(.notification), userId: userId, audience: audience, kind: kind,
                                  priority: priority, params: params, link: link, read: false, createdAt: now)
        try put(shop.notifications, notification.id, notification)
        try txn.add(toCounter: Aggregates.unread(userId), 1)
    }

    /// Notifies every user who holds `role` or a higher one and is not blocked.
    func notify(role: Role, _ kind: NoticeKind, priority: Notice.Priority = .normal, params: [String: String], link: String?) throws {
        for user in try usersHolding(role) {
            try notify(user.id, kind, priority: priority, params: params, link: link, audience: role)
        }
    }

    func usersHolding(_ role: Role) throws -> [User] {
        var users: [User] = []
        for r in Role.allCases where r >= role {
            users += try shop.users.lookup(txn, index: "role", equals: OrderedKey(r.rawValue)).items.map(\.value)
        }
        return users.filter { !$0.blocked }.sorted { $0.id < $1.id }
    }

    // MARK: Audit

    /// Appends to the audit trail; `actorId` overrides the acting user (for refusals).
    func audit(command: String, summary: String, outcome: String, actorId: UInt64? = nil) throws {
        let entry = AuditEntry(id: try nextId(.audit), actorId: actorId ?? self.actorId, command: command, summary: summary, outcome: outcome,
                               channel: principal.channel, clientAddress: principal.clientAddress,
                               userAgent: principal.userAgent, at: now)
        try put(shop.audit, entry.id, entry)
    }
}
