import Foundation

/// A question a client watches live: the records of one collection that match a filter, in an
/// order, the first `limit` of them (README, "Live queries").
///
/// ```json
/// {"collection":"products",
///  "filter":{"and":[{"field":"active","eq":true},{"field":"stock","lte":{"field":"lowStockThreshold"}}]},
///  "order":{"field":"stock"},"limit":20}
/// ```
///
/// Built only by ``parse(_:)``, which checks every field name, type and bound against the
/// collection's ``QueryCollection/schema``: a `LiveQuery` that exists is one the shop can run.
public struct LiveQuery: Sendable, Hashable {
    public let collection: QueryCollection
    /// Nil matches every record the caller may see.
    public let filter: QueryFilter?
    public let order: QueryOrder
    /// How many records the result holds at most (a top-N window).
    public let limit: Int

    /// The most records one query may hold.
    public static let maximumLimit = 500
    /// The limit of a query that names none.
    public static let defaultLimit = 100
    /// The most comparisons one filter may hold, and how deep `and`/`or` may nest.
    public static let maximumComparisons = 16
    public static let maximumDepth = 4
    /// The most values an `in` may list, and the longest text a value may be.
    public static let maximumListed = 50
    public static let maximumText = 200

    /// Whether `row` is in the result's set (before the order and the limit).
    public func matches(_ row: QueryRow) -> Bool {
        filter?.matches(row.fields) ?? true
    }

    /// Whether `a` comes before `b` in the result: by the order's field, then by key.
    public func precedes(_ a: QueryRow, _ b: QueryRow) -> Bool {
        order.precedes((order.value(of: a), a.key), (order.value(of: b), b.key))
    }
}

/// A filter: comparisons of a field with a value, a list or another field, combined with and/or.
public indirect enum QueryFilter: Sendable, Hashable {
    case all([QueryFilter])
    case any([QueryFilter])
    case compare(field: String, QueryOperator, QueryOperand)

    func matches(_ fields: [String: QueryValue]) -> Bool {
        switch self {
        case .all(let clauses): clauses.allSatisfy { $0.matches(fields) }
        case .any(let clauses): clauses.contains { $0.matches(fields) }
        case .compare(let field, let op, let operand):
            op.holds(fields[field] ?? .null, operand.resolve(in: fields))
        }
    }
}

public enum QueryOperator: String, Sendable, Hashable, CaseIterable {
    case eq, ne, lt, lte, gt, gte
    /// The field equals one of the listed values.
    case `in`
    /// The text field starts with the value, ignoring case and accents ("pao" finds "Pão de queijo").
    case prefix

    func holds(_ value: QueryValue, _ operand: [QueryValue]) -> Bool {
        guard let first = operand.first else { return false }
        switch self {
        case .eq: return value == first
        case .ne: return value != first
        // Ordering comparisons never hold against null: a sale without an order is not "before" one.
        case .lt: return value != .null && first != .null && value < first
        case .lte: return value != .null && first != .null && value <= first
        case .gt: return value != .null && first != .null && value > first
        case .gte: return value != .null && first != .null && value >= first
        case .in: return operand.contains(value)
        case .prefix:
            guard case .string(let text) = value, case .string(let start) = first else { return false }
            return Text.fold(text).hasPrefix(Text.fold(start))
        }
    }
}

/// What a field is compared with.
public enum QueryOperand: Sendable, Hashable {
    case value(QueryValue)
    case values([QueryValue])
    /// Another field of the same record ("stock below its own threshold").
    case field(String)

    func resolve(in fields: [String: QueryValue]) -> [QueryValue] {
        switch self {
        case .value(let value): [value]
        case .values(let values): values
        case .field(let name): [fields[name] ?? .null]
        }
    }
}

/// One field's value as filters compare it. Times are RFC 3339 UTC text of whole seconds,
/// which sorts as the times do.
public enum QueryValue: Sendable, Hashable, Comparable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)

    public static func < (a: QueryValue, b: QueryValue) -> Bool {
        switch (a, b) {
        case (.bool(let x), .bool(let y)): !x && y
        case (.int(let x), .int(let y)): x < y
        case (.string(let x), .string(let y)): x < y
        default: a.rank < b.rank
        }
    }

    private var rank: Int {
        switch self {
        case .null: 0
        case .bool: 1
        case .int: 2
        case .string: 3
        }
    }
}

/// The result's order: one field, ascending unless `descending`; records with equal values
/// follow their ids (newest last when ascending).
public struct QueryOrder: Sendable, Hashable {
    /// Nil orders by id.
    public let field: String?
    public let descending: Bool

    public func value(of row: QueryRow) -> QueryValue {
        field.map { row.fields[$0] ?? .null } ?? .int(0)
    }

    public func precedes(_ a: (QueryValue, UInt64), _ b: (QueryValue, UInt64)) -> Bool {
        if a.0 != b.0 { return descending ? b.0 < a.0 : a.0 < b.0 }
        return descending ? a.1 > b.1 : a.1 < b.1
    }
}
