import Foundation
import Shop

/// A REST route that runs one of the table's commands once per id: an admin verifies, rejects or
/// fulfils several orders at once; the owner blocks, unblocks or changes the role of several users.
///
/// It is no command of its own: each item is the table entry its action names (``CommandEntry/run``),
/// with its own transaction, audit entry, notifications and live events, exactly as the single
/// route would run it, so an item either applies in full or not at all. The items run one after
/// another, in the order sent, and each one's outcome is answered (`BulkResult`).
struct BulkDoor: Sendable {
    /// What an action runs for one id.
    struct Action: Sendable {
        /// The table entry's name (`verifyOrder`).
        let command: String
        /// A body field the action needs (`reason` to reject, `role` to change roles).
        let needs: String?
        /// The command's input for one id, from the id and the request's other fields.
        let input: @Sendable (_ id: String, _ fields: [String: String]) -> [String: Any]
    }

    /// At most this many ids in one request.
    static let maxItems = 100

    let path: String
    let tag: String
    let summary: String
    let description: String
    /// The kind of the ids (`o12`, `u3`).
    let kind: EntityKind
    /// The lowest role that may call it; below it the whole request is 403.
    let minimumRole: Role
    let access: String
    /// The name of the record's schema each success carries (`Order`).
    let recordSchema: String
    let actions: [String: Action]
    /// A text field of the body besides `action` and `ids`: its schema and its check (the
    /// command's own, so that a bad value refuses the whole request rather than every item).
    struct Field: Sendable {
        /// The schema as JSON (a schema object is not Sendable; ``CommandEntry`` keeps its body so too).
        let schemaJSON: Data
        let check: @Sendable (String) throws -> Void

        init(schema: OpenAPISchema.Object, check: @escaping @Sendable (String) throws -> Void) {
            schemaJSON = (try? JSONSerialization.data(withJSONObject: schema, options: [.sortedKeys])) ?? Data()
            self.check = check
        }

        var schema: OpenAPISchema.Object { (try? JSONSerialization.jsonObject(with: schemaJSON)) as? OpenAPISchema.Object ?? [:] }
    }
    let extraFields: [String: Field]
    /// The body's schema (components/schemas `bodyName`).
    let bodyName: String
    let bodyDescription: String
    /// The answer's schema name in components/schemas.
    var resultName: String { bodyName.replacingOccurrences(of: "Request", with: "Result") }

    /// The body's schema: `action`, `ids` (1 to ``maxItems``, no id twice) and the extra fields; an
    /// action that needs a field requires it.
    var bodySchema: OpenAPISchema.Object {
        var properties: [String: OpenAPISchema.Object] = [
            "action": OpenAPISchema.string("What to do with every id.", enumeration: actions.keys.sorted()),
            "ids": OpenAPISchema.array(OpenAPISchema.id(kind.rawValue, example: kind.format(1)),
                                       "Run in this order, each on its own; no id twice.", count: 1...Self.maxItems)
                .merging(["uniqueItems": true]) { a, _ in a },
        ]
        for (name, field) in extraFields { properties[name] = field.schema }
        var schema = OpenAPISchema.object(bodyDescription, required: ["action", "ids"], properties)
        let needing = actions.filter { $0.value.needs != nil }
        if !needing.isEmpty {
            // Either an action that needs nothing more, or the field the action needs.
            var options: [[String: Any]] = []
            let free = actions.filter { $0.value.needs == nil }.keys.sorted()
            if !free.isEmpty { options.append(["properties": ["action": ["enum": free]]]) }
            for (name, action) in needing.sorted(by: { $0.key < $1.key }) {
                options.append(["required": ["action", action.needs!],
                                "properties": ["action": ["const": name], action.needs!: ["type": "string"]]])
            }
            schema["anyOf"] = options
        }
        return schema
    }

    /// The answer's schema.
    var resultSchema: OpenAPISchema.Object {
        OpenAPISchema.object("One outcome per id, in the order sent.", required: ["results", "succeeded", "failed"], [
            "results": OpenAPISchema.array(OpenAPISchema.object(
                "`ok` true with the changed `record`, or false with the `error` the single route would have answered (nothing of that item changed).",
                required: ["id", "ok"], [
                    "id": OpenAPISchema.id(kind.format(1)),
                    "ok": OpenAPISchema.boolean(),
                    "record": OpenAPISchema.ref(recordSchema),
                    "error": OpenAPISchema.ref("BulkItemError"),
                ])),
            "succeeded": OpenAPISchema.integer("Items applied.", format: "int32", minimum: 0, maximum: Self.maxItems),
            "failed": OpenAPISchema.integer("Items refused.", format: "int32", minimum: 0, maximum: Self.maxItems),
        ])
    }

    static var itemErrorSchema: OpenAPISchema.Object {
        OpenAPISchema.object("Why one item was refused: the contract's error (code, message, field), without a status.",
                             required: ["code", "message"], [
                                 "code": OpenAPISchema.string("snake_case code.", example: "invalid_transition"),
                                 "message": OpenAPISchema.string("Human text."),
                                 "field": OpenAPISchema.string("The input at fault."),
                                 "items": OpenAPISchema.array(OpenAPISchema.ref("ShortItem"), "The short lines of an insufficient_stock refusal."),
                             ])
    }

    /// A parsed request: the action, the ids as sent, and the extra fields.
    struct Request {
        let action: Action
        let ids: [String]
        let fields: [String: String]
    }

    /// Reads and checks the whole body; anything malformed refuses the whole request (400).
    func parse(_ body: Data) throws -> Request {
        guard !body.isEmpty else { throw APIError(.badRequest, "invalid_input", "this route takes a JSON body") }
        try CommandInput.refuseUnknownFields(body, allowed: Set(["action", "ids"]).union(extraFields.keys))
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw APIError(.badRequest, "invalid_input", "the body must be a JSON object")
        }
        guard let name = object["action"] as? String, let action = actions[name] else {
            throw APIError.invalid("action", "action is required: one of \(actions.keys.sorted().joined(separator: ", "))")
        }
        guard let list = object["ids"] as? [Any] else { throw APIError.invalid("ids", "ids is required: a list of ids like \(kind.format(1))") }
        guard !list.isEmpty else { throw APIError.invalid("ids", "ids must name at least one \(kind.format(1))") }
        guard list.count <= Self.maxItems else { throw APIError.invalid("ids", "at most \(Self.maxItems) ids in one request (\(list.count) sent)") }
        var ids: [String] = []
        var seen = Set<UInt64>()
        for (index, element) in list.enumerated() {
            guard let text = element as? String, let number = kind.parse(text) else {
                throw APIError.invalid("ids[\(index)]", "ids[\(index)] must be an id like \(kind.format(1))")
            }
            guard seen.insert(number).inserted else { throw APIError.invalid("ids[\(index)]", "\(text) is listed twice") }
            ids.append(text)
        }
        var fields: [String: String] = [:]
        for (name, field) in extraFields.sorted(by: { $0.key < $1.key }) {
            switch object[name] {
            case nil, is NSNull: continue
            case let text as String:
                do { try field.check(text) } catch let error as ShopError { throw APIError(error) }
                fields[name] = text
            default: throw APIError.invalid(name, "\(name) must be a string")
            }
        }
        if let needed = action.needs, fields[needed] == nil { throw APIError.invalid(needed, "\(needed) is required to \(name)") }
        return Request(action: action, ids: ids, fields: fields)
    }
}

extension CommandTable {
    typealias Bulk = BulkDoor

    /// The routes that run a command per id (see ``BulkDoor``).
    static let bulk: [BulkDoor] = [
        BulkDoor(path: "/api/orders/bulk", tag: "Orders", summary: "Verify, reject or fulfil several orders at once",
                 description: "Runs the single route's command (verifyOrder, rejectOrder, fulfilOrder) once per id, in the order sent, " +
                     "each in its own write with its own audit entry and live events: an item applies in full or not at all, and one " +
                     "item's refusal (an order already fulfilled, one that is not there) leaves the others applied. Answers 200 with " +
                     "one outcome per id. 1 to \(BulkDoor.maxItems) ids, no id twice; `reason` is required to reject (the customer reads it). " +
                     "A malformed body is 400 and runs nothing.",
                 kind: .order, minimumRole: .admin, access: "admin", recordSchema: "Order",
                 actions: [
                     "verify": .init(command: VerifyOrder.name, needs: nil) { id, _ in ["orderId": id] },
                     "reject": .init(command: RejectOrder.name, needs: "reason") { id, fields in ["orderId": id, "reason": fields["reason"] ?? ""] },
                     "fulfil": .init(command: FulfilOrder.name, needs: nil) { id, _ in ["orderId": id] },
                 ],
                 extraFields: ["reason": .init(schema: OpenAPISchema.text("Why the receipts are refused (reject only; the other actions ignore it).",
                                                                          maxLength: Bounds.Length.reason, required: true)) { text in
                     try RejectOrder(orderId: 1, reason: text).validate()
                 }],
                 bodyName: "OrderBulkRequest", bodyDescription: "An action and the orders to apply it to."),
        BulkDoor(path: "/api/users/bulk", tag: "Users", summary: "Block, unblock or change the role of several users at once",
                 description: "Runs updateUser (the command of PATCH /api/users/{id}) once per id, in the order sent, each in its own " +
                     "write with its own audit entry and live events: an item applies in full or not at all, and one item's refusal " +
                     "leaves the others applied. Answers 200 with one outcome per id. 1 to \(BulkDoor.maxItems) ids, no id twice; " +
                     "`role` is required for the action `role`. A malformed body is 400 and runs nothing.",
                 kind: .user, minimumRole: .owner, access: "owner", recordSchema: "User",
                 actions: [
                     "block": .init(command: UpdateUser.name, needs: nil) { id, _ in ["userId": id, "blocked": true] },
                     "unblock": .init(command: UpdateUser.name, needs: nil) { id, _ in ["userId": id, "blocked": false] },
                     "role": .init(command: UpdateUser.name, needs: "role") { id, fields in ["userId": id, "role": fields["role"] ?? ""] },
                 ],
                 extraFields: ["role": .init(schema: OpenAPISchema.string("The role to give (action role only; the other actions ignore it).",
                                                                          enumeration: Role.allCases.map(\.rawValue))) { text in
                     guard Role(rawValue: text) != nil else {
                         throw ShopError(.invalidInput, "role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))", field: "role")
                     }
                 }],
                 bodyName: "UserBulkRequest", bodyDescription: "An action and the users to apply it to."),
    ]
}
