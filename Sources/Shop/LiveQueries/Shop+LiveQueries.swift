import Foundation
import Store

/// A live query's result at one point of the feed.
public struct LiveQuerySnapshot: Sendable {
    /// The result, in the query's order.
    public let rows: [QueryRow]
    /// The feed sequence the rows are consistent with: every change up to it, none after.
    public let head: UInt64
    /// The caller's role when it was read.
    public let role: Role
}

/// What one change record does to the live queries over its collection: the record `key` is
/// now `after` (nil: deleted, or no longer in the collection). Whether it enters, moves in or
/// leaves a result follows from `after` and the result's members: no other record is read.
public struct QueryChange: Sendable {
    public let collection: QueryCollection
    public let key: UInt64
    public let after: QueryRow?
}

extension Shop {
    /// The result of `query` for `principal` now, and the feed sequence it is read at.
    ///
    /// Refuses a caller below the collection's ``QueryCollection/minimumRole``. Reads a
    /// secondary index where one narrows the records (the caller's own sales, orders, payments and
    /// notifications; an `eq` on an indexed field; sales and payments in time order) and the whole
    /// collection otherwise, stopping once the window is full when records come in its order.
    public func snapshot(of query: LiveQuery, as principal: Principal) throws -> LiveQuerySnapshot {
        try self.query(as: principal) { q in
            try q.require(query.collection.minimumRole)
            guard let role = q.role else { throw ShopError(.notAuthenticated, "sign in first") }
            var window = ResultWindow(query: query, userId: q.actor?.id, role: role)
            try q.fill(&window, currency: settings.currency)
            return LiveQuerySnapshot(rows: window.rows, head: try q.txn.feedHead(), role: role)
        }
    }

    /// What `change` means to live queries, decoded from its own bytes; nil for collections no
    /// query watches and for bytes that do not decode (the store wrote them with the same codecs).
    ///
    /// A debt is a counter, not a record: a ledger entry's change is its user's debt as the store
    /// holds it now (one counter read), which is at or past the entry; the changes after it that
    /// move the same debt follow in feed order, so a result that folds them ends where the store is.
    public func queryChange(_ change: ChangeRecord) -> QueryChange? {
        func record<R: BinaryCodable>(_ collection: QueryCollection, _: R.Type, _ row: (R, UInt64) -> QueryRow) -> QueryChange? {
            guard let key = try? change.key.withUnsafeBytes({ try UInt64Key.decode($0) }) else { return nil }
            guard change.operation == .put, let value = change.value else { return QueryChange(collection: collection, key: key, after: nil) }
            guard let decoded = try? R(binary: value) else { return nil }
            return QueryChange(collection: collection, key: key, after: row(decoded, change.version))
        }
        switch change.collection {
        case "products": return record(.products, Product.self, QueryRow.product)
        case "sales": return record(.sales, Sale.self, QueryRow.sale)
        case "orders": return record(.orders, Order.self, QueryRow.order)
        case "payments": return record(.payments, Payment.self, QueryRow.payment)
        case "notifications": return record(.notifications, Notice.self, QueryRow.notification)
        case "users": return record(.users, User.self, QueryRow.user)
        case "ledger":
            guard change.previous == nil, let value = change.value, let entry = try? LedgerEntry(binary: value),
                  let amount = try? environment.read({ txn in try txn.counter(Aggregates.debt(entry.userId)) }) else { return nil }
            // A settled debt is not in the collection (as in GET /api/debts).
            let after = amount == 0 ? nil : QueryRow.debt(userId: entry.userId, amount: amount, currency: settings.currency)
            return QueryChange(collection: .debts, key: entry.userId, after: after)
        default: return nil
        }
    }
}

/// The first `limit` rows of a query's result for one caller, kept sorted as rows arrive in any order.
struct ResultWindow {
    let query: LiveQuery
    let userId: UInt64?
    let role: Role
    private(set) var rows: [QueryRow] = []
    /// Rows arrive in the query's own order: once the window is full nothing after can enter.
    var arrivesInOrder = false

    init(query: LiveQuery, userId: UInt64?, role: Role) {
        self.query = query
        self.userId = userId
        self.role = role
        rows.reserveCapacity(min(query.limit, 64))
    }

    /// Takes `row` when the caller may see it and it matches; false once nothing more can enter.
    mutating func offer(_ row: QueryRow) -> Bool {
        if row.access.admits(userId: userId, role: role), query.matches(row) { insert(row) }
        return !(arrivesInOrder && rows.count >= query.limit)
    }

    private mutating func insert(_ row: QueryRow) {
        if rows.count == query.limit, let last = rows.last, !query.precedes(row, last) { return }
        var low = 0, high = rows.count
        while low < high {
            let middle = (low + high) / 2
            if query.precedes(rows[middle], row) { low = middle + 1 } else { high = middle }
        }
        rows.insert(row, at: low)
        if rows.count > query.limit { rows.removeLast() }
    }
}

extension QueryContext {
    /// Offers `window` the rows that may belong to its result, narrowed by an index where one
    /// fits; the window still checks each row's visibility and the filter.
    fileprivate func fill(_ window: inout ResultWindow, currency: String) throws {
        let query = window.query
        let mine = holds(.admin) ? nil : actor?.id
        switch query.collection {
        case .products:
            if case .string(let category)? = query.equality("category") {
                return try each(shop.products.lookup(txn, index: "category", equals: OrderedKey(Text.fold(category))).items, QueryRow.product, &window)
            }
            try all(shop.products, QueryRow.product, &window)
        case .sales:
            if let buyer = mine ?? query.equalityId("buyerId", .user) {
                return try each(shop.sales.lookup(txn, index: "buyer", equals: OrderedKey(buyer)).items, QueryRow.sale, &window)
            }
            try inTime(shop.sales, QueryRow.sale, &window)
        case .payments:
            if let user = mine ?? query.equalityId("userId", .user) {
                return try each(shop.payments.lookup(txn, index: "user", equals: OrderedKey(user)).items, QueryRow.payment, &window)
            }
            try inTime(shop.payments, QueryRow.payment, &window)
        case .orders:
            if let customer = mine ?? query.equalityId("customerId", .user) {
                return try each(shop.orders.lookup(txn, index: "customer", equals: OrderedKey(customer)).items, QueryRow.order, &window)
            }
            if case .string(let state)? = query.equality("state") {
                return try each(shop.orders.lookup(txn, index: "state", equals: OrderedKey(state)).items, QueryRow.order, &window)
            }
            try all(shop.orders, QueryRow.order, &window)
        case .notifications:
            // Only the addressee sees a notification, so only the caller's own are read.
            try each(shop.notifications.lookup(txn, index: "user", equals: OrderedKey(actor?.id ?? 0)).items, QueryRow.notification, &window)
        case .users:
            if case .string(let role)? = query.equality("role") {
                return try each(shop.users.lookup(txn, index: "role", equals: OrderedKey(role)).items, QueryRow.user, &window)
            }
            try all(shop.users, QueryRow.user, &window)
        case .debts:
            for (key, amount) in try txn.counters(from: Aggregates.debtPrefix, to: Aggregates.debtPrefix.prefixEnd) where amount != 0 {
                var reader = OrderedKeyReader(key)
                _ = try reader.readString()
                guard window.offer(QueryRow.debt(userId: try reader.readUInt64(), amount: amount, currency: currency)) else { return }
            }
        }
    }

    private func each<R>(_ records: [Stored<R>], _ row: (R, UInt64) -> QueryRow, _ window: inout ResultWindow) throws {
        for record in records where !window.offer(row(record.value, record.version)) { return }
    }

    /// The whole collection in key order: the query's own order when it is ordered by id.
    private func all<R>(_ records: Records<R>, _ row: (R, UInt64) -> QueryRow, _ window: inout ResultWindow) throws {
        window.arrivesInOrder = window.query.order.field == nil
        try records.forEach(txn, reverse: window.query.order.descending) { record in window.offer(row(record.value, record.version)) }
    }

    /// Sales or payments through their time index (time, then key: the query's own order when it
    /// is ordered by `at`), narrowed to the `at` bounds of the filter.
    private func inTime<R>(_ records: Records<R>, _ row: (R, UInt64) -> QueryRow, _ window: inout ResultWindow) throws {
        let query = window.query
        guard query.order.field == "at" else { return try all(records, row, &window) }
        window.arrivesInOrder = true
        let (lower, upper) = query.timeBounds("at")
        func key(_ date: Date?) -> OrderedKey? {
            guard let date else { return nil }
            var key = OrderedKey()
            key.append(date)
            return key
        }
        var after: PageCursor?
        repeat {
            let page = try records.scan(txn, index: "time", from: key(lower), to: key(upper),
                                        options: ScanOptions(limit: 256, reverse: query.order.descending, after: after))
            for record in page.items where !window.offer(row(record.value, record.version)) { return }
            after = page.next
        } while after != nil
    }
}

extension LiveQuery {
    /// The value a top-level `eq` (alone or inside the top `and`) asks `field` to have.
    func equality(_ field: String) -> QueryValue? {
        for clause in topClauses {
            if case .compare(field, .eq, .value(let value)) = clause { return value }
        }
        return nil
    }

    /// The record number of a top-level `eq` on an id field ("u7" → 7).
    func equalityId(_ field: String, _ kind: EntityKind) -> UInt64? {
        guard case .string(let id)? = equality(field) else { return nil }
        return kind.parse(id)
    }

    /// The widest time range top-level comparisons of `field` allow: `lower` inclusive, `upper`
    /// exclusive (a second past an `lte`), nil where unbounded.
    func timeBounds(_ field: String) -> (lower: Date?, upper: Date?) {
        var lower: Date?, upper: Date?
        for clause in topClauses {
            guard case .compare(field, let op, .value(.string(let text))) = clause, let date = RFC3339.date(from: text) else { continue }
            switch op {
            case .gt, .gte, .eq: lower = max(lower ?? date, date)
            case .lt: upper = min(upper ?? date, date)
            default: break
            }
            if op == .lte || op == .eq {
                let end = date.addingTimeInterval(1)
                upper = min(upper ?? end, end)
            }
        }
        return (lower, upper)
    }

    private var topClauses: [QueryFilter] {
        switch filter {
        case .all(let clauses)?: clauses
        case let single?: [single]
        case nil: []
        }
    }
}
