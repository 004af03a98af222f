import Foundation
import HTTPTypes
import Hummingbird
import Shop
import Store

/// A JSON response with a status: what every route returns.
struct JSON<Value: Encodable & Sendable>: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    let value: Value

    init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try JSONEncoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A page of a list, as the contract shapes lists: `{"items": […], "next": cursor|null}`.
struct ListBody<Item: Encodable & Sendable>: Encodable, Sendable {
    let items: [Item]
    let next: String?

    init<Record>(_ page: Page<Record>, _ view: (Record) -> Item) {
        items = page.items.map(view)
        next = page.next?.token
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(next, forKey: .next)  // null, not absent, at the end
    }

    enum CodingKeys: String, CodingKey { case items, next }
}

extension Request {
    /// `limit` and `cursor` from the query string (limit 1–200, default 50).
    func pageRequest() throws -> PageRequest {
        let query = uri.queryParameters
        let limit = try integer("limit", in: 1...200) ?? 50
        var cursor: PageCursor?
        if let text = query["cursor"] {
            guard let parsed = PageCursor(token: String(text)) else { throw APIError.invalid("cursor", "not a cursor from this API") }
            cursor = parsed
        }
        return PageRequest(limit: limit, cursor: cursor)
    }

    /// A whole-number query parameter inside `range`, when present; anything else is a 400.
    func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = uri.queryParameters[Substring(name)] else { return nil }
        guard let n = Int(String(text)), range.contains(n) else {
            throw APIError.invalid(name, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    /// A `true`/`false` query parameter; absent is false, anything else a 400.
    func flag(_ name: String) throws -> Bool {
        switch uri.queryParameters[Substring(name)] {
        case nil, "false": return false
        case "true": return true
        default: throw APIError.invalid(name, "\(name) must be true or false")
        }
    }

    /// A query parameter holding an id of `kind` ("p3"), when present.
    func id(_ name: String, _ kind: EntityKind) throws -> UInt64? {
        guard let text = uri.queryParameters[Substring(name)] else { return nil }
        guard let id = kind.parse(String(text)) else { throw APIError.invalid(name, "\(name) must be an id like \(kind.format(1))") }
        return id
    }

    /// A query parameter holding an RFC 3339 time (fractional seconds allowed), when present.
    func date(_ name: String) throws -> Date? {
        guard let text = uri.queryParameters[Substring(name)] else { return nil }
        guard let date = RFC3339.date(from: String(text)) else {
            throw APIError.invalid(name, "\(name) must be an RFC 3339 time")
        }
        return date
    }

    /// The `state` query parameter as one of a record's states ("pending_payment"), when present.
    func state<State: RawRepresentable>(_: State.Type) throws -> State? where State.RawValue == String {
        guard let text = uri.queryParameters["state"] else { return nil }
        guard let state = State(rawValue: String(text)) else { throw APIError.invalid("state", "unknown state \(text)") }
        return state
    }

    /// `Idempotency-Key`, when sent.
    var idempotencyKey: String? {
        headers[HTTPField.Name("Idempotency-Key")!]
    }

    /// `If-Match: <version>` (quotes allowed), when sent.
    func expectedVersion() throws -> UInt64? {
        guard let text = headers[.ifMatch] else { return nil }
        guard let version = UInt64(text.trimmingCharacters(in: CharacterSet(charactersIn: "\" W/"))) else {
            throw APIError.invalid("If-Match", "If-Match must be the record's version")
        }
        return version
    }
}

extension AppRequestContext {
    /// The path parameter `name` as an id of `kind`.
    func id(_ name: String, _ kind: EntityKind) throws -> UInt64 {
        guard let text = parameters.get(name), let id = kind.parse(text) else {
            throw APIError(.notFound, "not_found", "no \(name) \(parameters.get(name) ?? "")")
        }
        return id
    }
}

/// An id in a JSON body ("p3"), parsed to its number.
struct BodyID<Kind: IDKind>: Decodable, Sendable {
    let value: UInt64

    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Kind.kind.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an id like \(Kind.kind.format(1))"))
        }
        self.value = value
    }
}

protocol IDKind { static var kind: EntityKind { get } }
enum ProductID: IDKind { static let kind = EntityKind.product }
enum UserID: IDKind { static let kind = EntityKind.user }
enum OrderID: IDKind { static let kind = EntityKind.order }
enum ContractID: IDKind { static let kind = EntityKind.contract }
enum NotificationID: IDKind { static let kind = EntityKind.notification }

extension Request {
    /// Decodes a JSON body as `T` and refuses fields `T` does not have (a typo such as
    /// `"quantiy"` is an error, not a silently ignored field).
    ///
    /// The allowed names are `T`'s stored properties, which are its JSON keys for the
    /// synthesized `Decodable` the route bodies use. Only the top level is checked.
    func decodeStrict<T: Decodable>(as type: T.Type, context: AppRequestContext) async throws -> T {
        try Self.decodeStrict(T.self, from: try await jsonBody(context))
    }

    /// A body a route may go without: none, or an empty one, is nil; anything else must be
    /// what ``decodeStrict(as:context:)`` takes.
    func decodeOptional<T: Decodable>(as type: T.Type, context: AppRequestContext) async throws -> T? {
        let data = try await jsonBody(context)
        return data.isEmpty ? nil : try Self.decodeStrict(T.self, from: data)
    }

    /// The body's bytes, after ``requireJSONBody()``; empty when there is none.
    func jsonBody(_ context: AppRequestContext) async throws -> Data {
        try requireJSONBody()
        var buffer = try await body.collect(upTo: context.maxUploadSize)
        return Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
    }

    private static func decodeStrict<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let value = try JSONDecoder().decode(T.self, from: data)
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            let known = Set(Mirror(reflecting: value).children.compactMap(\.label))
            if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
                throw APIError.invalid(unknown, "unknown field \(unknown)")
            }
        }
        return value
    }
}

extension Request {
    /// Refuses a body declared as anything but JSON with 415. A body sent without a
    /// `Content-Type` is read as JSON, as the routes always have (scripts often omit it).
    func requireJSONBody() throws {
        guard let type = headers[.contentType] else { return }
        let mediaType = type.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json")) else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "this route takes application/json, not \(mediaType)", field: "Content-Type")
        }
    }
}
