import Foundation

/// Any JSON value, decoded without losing the difference between `true`, `1` and `1.5`
/// (which `JSONSerialization` blurs): a filter compares typed fields.
public enum JSONValue: Decodable, Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    /// A number that is not an integer within Int64.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let bool = try? container.decode(Bool.self) { self = .bool(bool) }
        else if let int = try? container.decode(Int64.self) { self = .int(int) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else if let string = try? container.decode(String.self) { self = .string(string) }
        else if let array = try? container.decode([JSONValue].self) { self = .array(array) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }
}

extension LiveQuery {
    /// The query a client sent (`collection`, `filter`, `order`, `limit` of a `watch` message),
    /// checked against the collection's schema. Every refusal is `invalid_input` naming the
    /// field at fault ("filter.and[1].lt"), and nothing about it is run.
    public static func parse(_ json: [String: JSONValue]) throws(ShopError) -> LiveQuery {
        guard case .string(let name)? = json["collection"] else {
            throw .invalid("collection", "name the collection to watch: \(QueryCollection.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let collection = QueryCollection(rawValue: name) else {
            throw .invalid("collection", "unknown collection \(name.prefix(40)); watch one of \(QueryCollection.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var parser = FilterParser(schema: collection.schema)
        let filter = try json["filter"].map { value throws(ShopError) in try parser.parse(value, at: "filter", depth: 1) }
        let order = try parseOrder(json["order"], schema: collection.schema)
        var limit = defaultLimit
        switch json["limit"] {
        case nil, .null?: break
        case .int(let n)? where n >= 1 && n <= Int64(maximumLimit): limit = Int(n)
        default: throw .invalid("limit", "limit is a whole number from 1 to \(maximumLimit)")
        }
        return LiveQuery(collection: collection, filter: filter, order: order, limit: limit)
    }

    private static func parseOrder(_ json: JSONValue?, schema: [String: QueryFieldType]) throws(ShopError) -> QueryOrder {
        switch json {
        case nil, .null?:
            return QueryOrder(field: nil, descending: false)
        case .object(let object)?:
            var descending = false
            switch object["direction"] {
            case nil, .string("asc")?: break
            case .string("desc")?: descending = true
            default: throw .invalid("order.direction", "direction is \"asc\" or \"desc\"")
            }
            guard case .string(let field)? = object["field"] else { throw .invalid("order.field", "order names a field") }
            guard schema[field] != nil else { throw .invalid("order.field", "unknown field \(field.prefix(40))") }
            // Ordering by id is ordering by key: "p10" after "p9", as the ids were given.
            return QueryOrder(field: field == "id" ? nil : field, descending: descending)
        default:
            throw .invalid("order", "order is {\"field\":…,\"direction\":\"asc\"|\"desc\"}")
        }
    }
}

/// Reads a filter, counting its comparisons against the limit as it goes.
private struct FilterParser {
    let schema: [String: QueryFieldType]
    var comparisons = 0

    mutating func parse(_ json: JSONValue, at path: String, depth: Int) throws(ShopError) -> QueryFilter {
        guard depth <= LiveQuery.maximumDepth else {
            throw .invalid(path, "and/or nest at most \(LiveQuery.maximumDepth) deep")
        }
        guard case .object(let object) = json else {
            throw .invalid(path, "a filter is {\"field\":…,\"<op>\":…} or {\"and\":[…]} or {\"or\":[…]}")
        }
        for combinator in ["and", "or"] {
            guard let clauses = object[combinator] else { continue }
            guard object.count == 1, case .array(let list) = clauses, !list.isEmpty else {
                throw .invalid(path + "." + combinator, "\(combinator) holds a non-empty list of filters and nothing beside it")
            }
            var parsed: [QueryFilter] = []
            for (index, clause) in list.enumerated() {
                parsed.append(try parse(clause, at: "\(path).\(combinator)[\(index)]", depth: depth + 1))
            }
            return combinator == "and" ? .all(parsed) : .any(parsed)
        }
        return try comparison(object, at: path)
    }

    private mutating func comparison(_ object: [String: JSONValue], at path: String) throws(ShopError) -> QueryFilter {
        comparisons += 1
        guard comparisons <= LiveQuery.maximumComparisons else {
            throw .invalid(path, "a filter holds at most \(LiveQuery.maximumComparisons) comparisons")
        }
        guard case .string(let field)? = object["field"] else { throw .invalid(path + ".field", "a comparison names a field") }
        guard let type = schema[field] else { throw .invalid(path + ".field", "unknown field \(field.prefix(40))") }
        let operators = object.keys.filter { $0 != "field" }
        guard operators.count == 1, let name = operators.first, let op = QueryOperator(rawValue: name) else {
            throw .invalid(path, "a comparison has one operator of \(QueryOperator.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let at = path + "." + name
        let operand = object[name] ?? .null
        if case .object(let other) = operand {
            guard other.count == 1, case .string(let otherField)? = other["field"] else {
                throw .invalid(at, "compare with a value or with {\"field\":…}")
            }
            guard let otherType = schema[otherField] else { throw .invalid(at + ".field", "unknown field \(otherField.prefix(40))") }
            guard otherType.comparesWith(type), op != .in else {
                throw .invalid(at, "\(field) and \(otherField) cannot be compared with \(name)")
            }
            try check(op, on: type, at: at)
            return .compare(field: field, op, .field(otherField))
        }
        try check(op, on: type, at: at)
        if op == .in {
            guard case .array(let list) = operand, !list.isEmpty, list.count <= LiveQuery.maximumListed else {
                throw .invalid(at, "in lists 1 to \(LiveQuery.maximumListed) values")
            }
            var values: [QueryValue] = []
            for (index, item) in list.enumerated() { values.append(try type.value(of: item, at: "\(at)[\(index)]")) }
            return .compare(field: field, op, .values(values))
        }
        let value = try type.value(of: operand, at: at)
        if value == .null, op != .eq, op != .ne { throw .invalid(at, "only eq and ne compare with null") }
        return .compare(field: field, op, .value(value))
    }

    private func check(_ op: QueryOperator, on type: QueryFieldType, at path: String) throws(ShopError) {
        switch (op, type) {
        case (.prefix, .text), (.prefix, .time): return
        case (.prefix, _): throw .invalid(path, "prefix compares text fields only")
        case (.lt, .bool), (.lte, .bool), (.gt, .bool), (.gte, .bool): throw .invalid(path, "yes/no fields compare with eq, ne or in")
        default: return
        }
    }
}

extension QueryFieldType {
    /// `json` as a value of this field type, or the error naming `path`.
    func value(of json: JSONValue, at path: String) throws(ShopError) -> QueryValue {
        switch (self, json) {
        case (_, .null): return .null
        case (.bool, .bool(let b)): return .bool(b)
        case (.integer, .int(let n)): return .int(n)
        case (.text, .string(let s)), (.id, .string(let s)):
            guard s.count <= LiveQuery.maximumText else { throw .invalid(path, "text values are at most \(LiveQuery.maximumText) characters") }
            return .string(s)
        case (.time, .string(let s)):
            // Stored times are whole-second UTC text; the value is written the same way so text order is time order.
            guard s.count <= 64, let date = RFC3339.date(from: s) else { throw .invalid(path, "times are RFC 3339 (2026-12-04T00:00:00Z)") }
            return .string(RFC3339.string(from: date))
        default:
            throw .invalid(path, "this field holds \(description)")
        }
    }

    func comparesWith(_ other: QueryFieldType) -> Bool {
        self == other || (self == .text && other == .id) || (self == .id && other == .text)
    }

    var description: String {
        switch self {
        case .bool: "true or false"
        case .integer: "whole numbers"
        case .text: "text"
        case .id: "ids (\"p3\")"
        case .time: "RFC 3339 times"
        }
    }
}
