import Foundation
import HTTPTypes
import Shop

/// One write the API offers, declared once in ``CommandTable``: its name, its input (the shop
/// command, decoded from JSON and validated once), the role it needs, the REST doors that
/// reach it and the answer it gives. The socket's `command` message, `POST
/// /api/commands/execute` with `params`, `tenda run` and the REST routes all run it through
/// ``run(_:_:)``, and `/openapi.json` documents it from the same entry.
struct CommandEntry: Sendable {
    /// A REST route that runs the command.
    struct Door: Sendable {
        var method: HTTPRequest.Method
        /// In OpenAPI's form: `/api/products/{id}/stock`.
        var path: String
        var status: HTTPResponse.Status
        var tag: String
        var summary: String
        var description: String

        static func post(_ path: String, status: HTTPResponse.Status = .ok, tag: String, _ summary: String, _ description: String = "") -> Door {
            Door(method: .post, path: path, status: status, tag: tag, summary: summary, description: description)
        }
        static func on(_ method: HTTPRequest.Method, _ path: String, status: HTTPResponse.Status = .ok, tag: String, _ summary: String,
                       _ description: String = "") -> Door {
            Door(method: method, path: path, status: status, tag: tag, summary: summary, description: description)
        }
    }

    /// What the doors answer.
    enum Answer: Sendable {
        /// A record: REST answers its view (schema `schema`); the socket `{key: view, "<key>Id": id}`.
        case record(key: String, schema: String)
        /// A number: `{key: n}` everywhere (schema `schema`).
        case count(key: String, schema: String)
        /// Nothing: REST answers 204, the socket `{}`.
        case nothing
    }

    /// What a door hands the command besides its JSON input.
    struct Call: Sendable {
        let shop: Shop
        let principal: Principal
        let idempotencyKey: String?
    }

    /// What the command answered: the JSON the door sends and the feed sequence of its commit.
    struct Result: Sendable {
        /// The record's view, or `{key: n}`, or empty for nothing.
        let json: Data
        /// The answered record's id ("s91").
        let recordId: String?
        let sequence: UInt64?
    }

    /// The command's name (the shop command's, as the audit trail writes it).
    let name: String
    /// The shop command's type name, which is its input's (`Buy`).
    let inputType: String
    /// The shop command's own access rule, as the documentation states it.
    let minimumRole: APIOperation.MinimumRole
    /// Who may run it, in words, for the documentation.
    let access: String
    /// The command honours `Idempotency-Key` (money and stock: a retry must not count twice).
    let idempotent: Bool
    /// The command takes `expectedVersion`, which REST reads from `If-Match`.
    let takesVersion: Bool
    /// The input field a door's `{id}` fills, and the kind of id it is.
    let pathField: (name: String, kind: EntityKind)?
    /// The body schema's name in components/schemas and the schema as JSON (REST's body: the
    /// input without `pathField` and `expectedVersion`); nil when the command takes no body.
    let body: (name: String, schema: Data)?
    /// The body takes nothing but these fields.
    let bodyFields: Set<String>
    let bodyRequired: Bool
    let answer: Answer
    let doors: [Door]
    /// Errors beyond the ones every write can give.
    let errors: [OpenAPIErrorResponse]
    /// Decodes the JSON input, runs the command and shapes its answer.
    let run: @Sendable (_ input: Data, _ call: Call) async throws -> Result

    /// Every field the input takes, by any door: the body's, the path's and `expectedVersion`.
    var inputFields: Set<String> {
        var fields = bodyFields
        if let pathField { fields.insert(pathField.name) }
        if takesVersion { fields.insert("expectedVersion") }
        return fields
    }

    private init<C: ShopCommand & Decodable>(
        _: C.Type, access: String, idempotent: Bool, pathField: (String, EntityKind)?,
        body: (String, OpenAPISchema.Object)?, bodyRequired: Bool, answer: Answer, doors: [Door], errors: [OpenAPIErrorResponse],
        shape: @escaping @Sendable (Committed<C.Result>, Call) throws -> Result
    ) {
        name = C.name
        inputType = String(describing: C.self)
        minimumRole = APIOperation.MinimumRole(C.access)
        self.access = access
        self.idempotent = idempotent
        takesVersion = C.self is any VersionedInput.Type
        self.pathField = pathField.map { (name: $0.0, kind: $0.1) }
        self.body = body.map { (name: $0.0, schema: (try? JSONSerialization.data(withJSONObject: $0.1, options: [.sortedKeys])) ?? Data()) }
        bodyFields = Set((body?.1["properties"] as? [String: Any])?.keys.map { $0 } ?? [])
        self.bodyRequired = bodyRequired
        self.answer = answer
        self.doors = doors
        self.errors = errors
        run = { input, call in
            let command = try JSONDecoder().decode(C.self, from: input)
            return try shape(try await call.shop.run(command, as: call.principal, idempotencyKey: idempotent ? call.idempotencyKey : nil), call)
        }
    }

    /// A command that answers a record, shown through `view`.
    static func record<C: ShopCommand & Decodable, View: Encodable & Sendable>(
        _ type: C.Type, key: String, schema: String, view: @escaping @Sendable (C.Result, UInt64) -> View,
        access: String, idempotent: Bool = false, pathField: (String, EntityKind)? = nil,
        body: (String, OpenAPISchema.Object)? = nil, bodyRequired: Bool = true, doors: [Door], errors: [OpenAPIErrorResponse] = []
    ) -> CommandEntry where C.Result: ShopRecord {
        record(type, key: key, schema: schema, viewForCaller: { record, version, _ in view(record, version) }, access: access,
               idempotent: idempotent, pathField: pathField, body: body, bodyRequired: bodyRequired, doors: doors, errors: errors)
    }

    /// A command that answers a record whose view depends on who asks (a notification in its reader's language).
    static func record<C: ShopCommand & Decodable, View: Encodable & Sendable>(
        _ type: C.Type, key: String, schema: String, viewForCaller view: @escaping @Sendable (C.Result, UInt64, Call) throws -> View,
        access: String, idempotent: Bool = false, pathField: (String, EntityKind)? = nil,
        body: (String, OpenAPISchema.Object)? = nil, bodyRequired: Bool = true, doors: [Door], errors: [OpenAPIErrorResponse] = []
    ) -> CommandEntry where C.Result: ShopRecord {
        CommandEntry(type, access: access, idempotent: idempotent, pathField: pathField, body: body, bodyRequired: bodyRequired,
                     answer: .record(key: key, schema: schema), doors: doors, errors: errors) { committed, call in
            Result(json: try JSONEncoder().encode(try view(committed.value, committed.version ?? 0, call)),
                   recordId: committed.value.publicId, sequence: committed.sequence)
        }
    }

    /// A command that answers how many things it reached or changed, as `{key: n}`.
    static func count<C: ShopCommand & Decodable>(
        _ type: C.Type, key: String, schema: String, access: String, pathField: (String, EntityKind)? = nil,
        body: (String, OpenAPISchema.Object)? = nil, bodyRequired: Bool = true, doors: [Door], errors: [OpenAPIErrorResponse] = []
    ) -> CommandEntry where C.Result == Int {
        CommandEntry(type, access: access, idempotent: false, pathField: pathField, body: body, bodyRequired: bodyRequired,
                     answer: .count(key: key, schema: schema), doors: doors, errors: errors) { committed, _ in
            Result(json: try JSONEncoder().encode([key: committed.value]), recordId: nil, sequence: committed.sequence)
        }
    }

    /// A command whose doors answer nothing but success (REST's 204), whatever it returns.
    static func nothing<C: ShopCommand & Decodable>(
        _ type: C.Type, access: String, pathField: (String, EntityKind)? = nil,
        doors: [Door], errors: [OpenAPIErrorResponse] = []
    ) -> CommandEntry {
        CommandEntry(type, access: access, idempotent: false, pathField: pathField, body: nil, bodyRequired: false,
                     answer: .nothing, doors: doors, errors: errors) { committed, _ in
            Result(json: Data(), recordId: nil, sequence: committed.sequence)
        }
    }
}

/// A command whose input carries the version the caller saw (`expectedVersion`, `If-Match`).
protocol VersionedInput {}
extension UpdateProduct: VersionedInput {}
extension ArchiveProduct: VersionedInput {}
extension SetThreshold: VersionedInput {}
extension UpdateUser: VersionedInput {}

extension APIOperation.MinimumRole {
    /// A shop command's access rule, in the documentation's words.
    init(_ access: Access) {
        switch access {
        case .anyone: self = .anyone
        case .role(let role): self = APIOperation.MinimumRole(rawValue: role.rawValue) ?? .owner
        }
    }
}
