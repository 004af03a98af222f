import Store

/// What a command stored, as its doors answer it: the command's result, the stored version of
/// the record it answers with, and the feed sequence of its commit.
///
/// Doors answer from this and never read a record back to learn its version. The result's own
/// fields read through it (`committed.publicId`), as in the record it holds.
@dynamicMemberLookup
public struct Committed<Value: Sendable>: Sendable {
    public let value: Value
    /// The version the answered record has after the command: nil when the result is no record
    /// (a count, `Done`).
    public let version: UInt64?
    /// The sequence of the last change record of the command's commit: a follower of the feed
    /// (the hub, a client's `since`) that has reached it sees the command's whole effect. Nil
    /// when the command changed nothing.
    public let sequence: UInt64?

    public init(value: Value, version: UInt64?, sequence: UInt64?) {
        self.value = value
        self.version = version
        self.sequence = sequence
    }

    public subscript<Field>(dynamicMember field: KeyPath<Value, Field>) -> Field { value[keyPath: field] }
}

// The API's view of what a command stored, with the version it got.
extension ProductView { public init(_ stored: Committed<Product>) { self.init(stored.value, version: stored.version ?? 0) } }
extension SaleView { public init(_ stored: Committed<Sale>) { self.init(stored.value, version: stored.version ?? 0) } }
extension PaymentView { public init(_ stored: Committed<Payment>) { self.init(stored.value, version: stored.version ?? 0) } }
extension OrderView { public init(_ stored: Committed<Order>) { self.init(stored.value, version: stored.version ?? 0) } }
extension ContractView { public init(_ stored: Committed<Contract>) { self.init(stored.value, version: stored.version ?? 0) } }
extension UserView { public init(_ stored: Committed<User>) { self.init(stored.value, version: stored.version ?? 0) } }

/// A record a command may answer with: kept in one of the shop's collections under `id`.
public protocol ShopRecord: Sendable {
    var id: UInt64 { get }
    /// The id as the API writes it ("s91").
    var publicId: String { get }
}

extension Sale: ShopRecord {}
extension Payment: ShopRecord {}
extension Product: ShopRecord {}
extension Order: ShopRecord {}
extension Contract: ShopRecord {}
extension Notice: ShopRecord {}
extension User: ShopRecord {}

extension ShopCollections {
    /// The stored version of `record`, read in the command's own transaction: for a command that
    /// answers a record it did not change (marking a read notice read again).
    func storedVersion(of record: any ShopRecord, in txn: ReadTransaction) throws -> UInt64? {
        switch record {
        case is Sale: try sales.record(txn, record.id)?.version
        case is Payment: try payments.record(txn, record.id)?.version
        case is Product: try products.record(txn, record.id)?.version
        case is Order: try orders.record(txn, record.id)?.version
        case is Contract: try contracts.record(txn, record.id)?.version
        case is Notice: try notifications.record(txn, record.id)?.version
        case is User: try users.record(txn, record.id)?.version
        // A debtor's version is its reminder record's.
        case is Debtor: try debtReminders.record(txn, record.id)?.version
        default: nil
        }
    }
}
