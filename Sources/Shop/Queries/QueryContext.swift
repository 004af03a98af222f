import Foundation
import Store

/// A query's view: a read snapshot and who is asking, with their current role.
public final class QueryContext {
    let txn: ReadTransaction
    let shop: ShopCollections
    public let principal: Principal
    public let actor: User?
    public let role: Role?

    init(txn: ReadTransaction, shop: ShopCollections, principal: Principal) throws {
        self.txn = txn
        self.shop = shop
        self.principal = principal
        (actor, role) = try shop.resolve(principal, in: txn)
    }

    /// Refuses callers below `needed` (anonymous callers are told to sign in).
    func require(_ needed: Role) throws(ShopError) {
        guard let role else { throw ShopError(.notAuthenticated, "sign in first") }
        guard role >= needed else { throw ShopError.forbidden }
    }

    func holds(_ needed: Role) -> Bool { role.map { $0 >= needed } ?? false }

    /// Record `id` of `records` when `visible` admits it, and "`name` not found" otherwise: a
    /// record the caller may not see is answered as one that does not exist, so that its id
    /// tells them nothing.
    func visibleRecord<Value: BinaryCodable>(_ records: Records<Value>, _ id: UInt64, _ name: String,
                                             if visible: (Value) -> Bool) throws -> Stored<Value> {
        guard let record = try records.record(txn, id), visible(record.value) else { throw ShopError.notFound(name) }
        return record
    }

    /// A page of `records`, newest first: those whose `index` holds `key` when there is one,
    /// and all of them otherwise.
    func newestFirst<Value: BinaryCodable>(_ records: Records<Value>, index: String, equals key: UInt64?,
                                           _ page: PageRequest) throws -> Page<Stored<Value>> {
        guard let key else { return try records.scan(txn, options: page.scanOptions) }
        return try records.lookup(txn, index: index, equals: OrderedKey(key), options: page.scanOptions)
    }

    /// Whose records a list may show: an admin's `requested` as asked (nil for everyone's); a
    /// caller below admin sees only their own, and asking for someone else's is refused.
    func ownUnlessAdmin(_ requested: UInt64?) throws(ShopError) -> UInt64? {
        guard !holds(.admin) else { return requested }
        guard requested == nil || requested == actor?.id else { throw ShopError.forbidden }
        return actor?.id
    }
}

/// Which page of a list to return.
public struct PageRequest: Sendable, Equatable {
    public var limit: Int
    public var cursor: PageCursor?

    /// `limit` is clamped to 1...200.
    public init(limit: Int = 50, cursor: PageCursor? = nil) {
        self.limit = min(max(limit, 1), 200)
        self.cursor = cursor
    }

    var scanOptions: ScanOptions { ScanOptions(limit: limit, reverse: true, after: cursor) }
}

public typealias Stored<Value> = StoredRecord<UInt64, Value>

extension Shop {
    /// Runs a query in a read snapshot for `principal`.
    public func query<T>(as principal: Principal, _ body: (QueryContext) throws -> T) throws -> T {
        do {
            return try environment.read { txn in try body(try QueryContext(txn: txn, shop: collections, principal: principal)) }
        } catch let error as StoreError {
            throw ShopError(error)
        }
    }
}
