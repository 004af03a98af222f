import Foundation
import Realtime
import Shop

// The OpenAPI components: record shapes (Sources/Shop/Views), request bodies (the
// Decodable structs in Sources/Server/Routes), list wrappers and the error shape
// (Sources/Server/HTTP/APIError.swift). Plain dictionaries, serialised by
// ``OpenAPIDocument``.

/// Small helpers for writing JSON Schema (OpenAPI 3.1 dialect) as dictionaries.
enum OpenAPISchema {
    typealias Object = [String: Any]

    static func ref(_ name: String) -> Object { ["$ref": "#/components/schemas/\(name)"] }
    static func string(_ description: String? = nil, format: String? = nil, example: Any? = nil, enumeration: [String]? = nil) -> Object {
        var s: Object = ["type": "string"]
        if let description { s["description"] = description }
        if let format { s["format"] = format }
        if let example { s["example"] = example }
        if let enumeration { s["enum"] = enumeration }
        return s
    }
    static func integer(_ description: String? = nil, format: String = "int64", minimum: Int? = nil, maximum: Int? = nil, example: Any? = nil) -> Object {
        var s: Object = ["type": "integer", "format": format]
        if let description { s["description"] = description }
        if let minimum { s["minimum"] = minimum }
        if let maximum { s["maximum"] = maximum }
        if let example { s["example"] = example }
        return s
    }
    static func boolean(_ description: String? = nil) -> Object {
        var s: Object = ["type": "boolean"]
        if let description { s["description"] = description }
        return s
    }
    static func array(_ items: Object, _ description: String? = nil) -> Object {
        var s: Object = ["type": "array", "items": items]
        if let description { s["description"] = description }
        return s
    }
    static func nullable(_ schema: Object) -> Object {
        if schema["$ref"] != nil { return ["anyOf": [schema, ["type": "null"]]] }
        var s = schema
        if let type = s["type"] as? String { s["type"] = [type, "null"] }
        if let values = s["enum"] as? [Any] { s["enum"] = values + [NSNull()] }
        return s
    }
    static func money(_ description: String = "Minor units (1250 = 12.50), never floating point.") -> Object {
        integer(description, example: 1250)
    }
    static func id(_ example: String, _ description: String? = nil) -> Object {
        string(description ?? "An id such as \"\(example)\".", example: example)
    }

    // Input schemas, with the bounds the server enforces (Shop's `Bounds`), so a fuzzer
    // generates the edges and a client knows the limits before it is refused.

    /// An integer input inside `range`.
    static func integer(_ description: String? = nil, in range: ClosedRange<Int64>, example: Int64? = nil) -> Object {
        var s = integer(description, minimum: Int(range.lowerBound), maximum: Int(range.upperBound))
        if let example { s["example"] = example }
        return s
    }
    /// A money input inside `range`, in minor units.
    static func money(in range: ClosedRange<Int64>, _ description: String = "Minor units (1250 = 12.50), never floating point.") -> Object {
        integer(description, in: range, example: min(max(1250, range.lowerBound), range.upperBound))
    }
    /// A text input of at most `maxLength` characters; `required` texts need one that is not white space.
    static func text(_ description: String? = nil, maxLength: Int, required: Bool = false, example: String? = nil) -> Object {
        var s = string(description, example: example)
        s["maxLength"] = maxLength
        if required {
            s["minLength"] = 1
            s["pattern"] = "\\S"  // at least one character that is not white space
        }
        return s
    }
    /// An id input of `kind` ("p3"): the letter and a number without leading zeros.
    static func id(_ kind: String, example: String, _ description: String? = nil) -> Object {
        var s = id(example, description)
        s["pattern"] = "^\(kind)[1-9][0-9]{0,18}$"
        return s
    }
    /// A whole number sent as a JSON number or as its digits (the Login Widget sends either).
    static func numberOrDigits(_ description: String) -> Object {
        ["description": description,
         "anyOf": [integer(minimum: 0, maximum: Int(Int64.max)), ["type": "string", "pattern": "^[0-9]{1,18}$"]]]
    }
    /// An ISO 4217 code input; the shop takes only its own currency (another is 422).
    static var currencyCode: Object {
        string("ISO 4217; default the shop's currency, the only one it takes.", example: "BRL").merging(["pattern": "^[A-Z]{3}$"]) { a, _ in a }
    }
    /// An array input of `range` elements.
    static func array(_ items: Object, _ description: String? = nil, count range: ClosedRange<Int>) -> Object {
        var s = array(items, description)
        s["minItems"] = range.lowerBound
        s["maxItems"] = range.upperBound
        return s
    }
    static var time: Object { string("RFC 3339 UTC time.", format: "date-time", example: "2026-11-21T10:00:00Z") }
    static var currency: Object { string("ISO 4217 currency code.", example: "BRL") }
    static var version: Object { integer("Bumped on each change; send it back in If-Match.", format: "int64", minimum: 0, example: 3) }

    /// An object schema; `required` lists the fields always present.
    static func object(_ description: String? = nil, required: [String], _ properties: [String: Object], additional: Bool? = nil) -> Object {
        var s: Object = ["type": "object", "properties": properties]
        if !required.isEmpty { s["required"] = required }
        if let description { s["description"] = description }
        if let additional { s["additionalProperties"] = additional }
        return s
    }

    /// The contract's list shape: `{"items": [...], "next": cursor|null}`.
    static func list(of item: String, extra: [String: Object] = [:], extraRequired: [String] = []) -> Object {
        var properties: [String: Object] = [
            "items": array(ref(item)),
            "next": nullable(string("Opaque cursor for the next page; null on the last page.")),
        ]
        for (key, value) in extra { properties[key] = value }
        return object("A page of \(item) records.", required: ["items", "next"] + extraRequired, properties)
    }
}

enum OpenAPISchemas {
    typealias Object = OpenAPISchema.Object

    static var all: [String: Object] {
        var schemas = records
        for (key, value) in lists { schemas[key] = value }
        for (key, value) in responses { schemas[key] = value }
        for door in CommandTable.bulk { schemas[door.resultName] = door.resultSchema }
        schemas["BulkItemError"] = BulkDoor.itemErrorSchema
        for (key, value) in requests { schemas[key] = value }
        return schemas
    }

    // MARK: Records (Sources/Shop/Views)

    static var records: [String: Object] {
        [
            "Error": OpenAPISchema.object("Every error: a fitting status and this body.", required: ["error"], [
                "error": OpenAPISchema.object(nil, required: ["code", "message"], [
                    "code": OpenAPISchema.string("snake_case code.", example: "insufficient_stock"),
                    "message": OpenAPISchema.string("Human text."),
                    "field": OpenAPISchema.string("The input at fault, as a path (\"items[0].quantity\", \"If-Match\").", example: "items[0].quantity"),
                    "items": OpenAPISchema.array(OpenAPISchema.ref("ShortItem"), "The short lines of an insufficient_stock refusal."),
                    "requestId": OpenAPISchema.string("The request id, to find the request in the logs."),
                ]),
            ]),
            "ShortItem": OpenAPISchema.object("A line the stock cannot cover.", required: ["productId", "requested", "available"], [
                "productId": OpenAPISchema.id("p3"),
                "requested": OpenAPISchema.integer(),
                "available": OpenAPISchema.integer(),
            ]),
            "Product": OpenAPISchema.object(nil, required: ["id", "name", "emoji", "category", "description", "price", "currency", "stock",
                                                    "lowStockThreshold", "mediaIds", "active", "updatedAt", "version"], [
                "id": OpenAPISchema.id("p3"),
                "name": OpenAPISchema.string(example: "Coxinha"),
                "emoji": OpenAPISchema.string(example: "🥟"),
                "category": OpenAPISchema.string(example: "Salgados"),
                "description": OpenAPISchema.string(),
                "price": OpenAPISchema.money(),
                "currency": OpenAPISchema.currency,
                "stock": OpenAPISchema.integer(example: 12),
                "lowStockThreshold": OpenAPISchema.integer(example: 5),
                "mediaIds": OpenAPISchema.array(OpenAPISchema.string()),
                "active": OpenAPISchema.boolean("False once archived (soft delete)."),
                "updatedAt": OpenAPISchema.time,
                "version": OpenAPISchema.version,
            ]),
            "User": OpenAPISchema.object(nil, required: ["id", "telegramId", "name", "role", "blocked", "version"], [
                "id": OpenAPISchema.id("u1"),
                "telegramId": OpenAPISchema.integer(example: 436432850),
                "name": OpenAPISchema.string(example: "Ana Souza"),
                "username": OpenAPISchema.string(example: "ana"),
                "language": OpenAPISchema.string(example: "pt-br"),
                "role": OpenAPISchema.string(enumeration: ["user", "admin", "owner"]),
                "blocked": OpenAPISchema.boolean(),
                "version": OpenAPISchema.version,
            ]),
            "SaleLine": OpenAPISchema.object("One line of a sale or an order.", required: ["productId", "quantity", "unitPrice"], [
                "productId": OpenAPISchema.id("p3"),
                "quantity": OpenAPISchema.integer(example: 2),
                "unitPrice": OpenAPISchema.money(),
            ]),
            "Sale": OpenAPISchema.object(nil, required: ["id", "buyerId", "lines", "total", "currency", "refundedQuantities", "at", "version"], [
                "id": OpenAPISchema.id("s91"),
                "buyerId": OpenAPISchema.id("u1"),
                "lines": OpenAPISchema.array(OpenAPISchema.ref("SaleLine")),
                "total": OpenAPISchema.money(),
                "currency": OpenAPISchema.currency,
                "actorId": OpenAPISchema.id("u9", "Who recorded it."),
                "orderId": OpenAPISchema.id("o5", "The order it came from, if any."),
                "refundedQuantities": OpenAPISchema.array(OpenAPISchema.integer(), "Refunded quantity per line."),
                "at": OpenAPISchema.time,
                "version": OpenAPISchema.version,
            ]),
            "StockMovement": OpenAPISchema.object("One movement of a product's stock.",
                                                  required: ["id", "productId", "kind", "reason", "delta", "levelAfter", "note", "at", "version"], [
                "id": OpenAPISchema.id("m12"),
                "productId": OpenAPISchema.id("p3"),
                "kind": OpenAPISchema.string("What the movement was.", enumeration: StockMovement.Kind.allCases.map(\.rawValue)),
                "reason": OpenAPISchema.string("The stored reason (`kind` splits `order` and `return` further).",
                                               enumeration: StockMovement.Reason.allCases.map(\.rawValue)),
                "delta": OpenAPISchema.integer("Signed: a sale or a reservation is negative.", example: -2),
                "levelAfter": OpenAPISchema.integer("The stock right after the movement.", example: 10),
                "actorId": OpenAPISchema.id("u9", "Who made it; absent for the system."),
                "actorName": OpenAPISchema.string("Their name; absent for the system or a user no longer known."),
                "reference": OpenAPISchema.string("The sale or order behind it (\"s91\", \"o5\"), if any.", example: "s91"),
                "note": OpenAPISchema.string("Why, in the words of who made it."),
                "at": OpenAPISchema.time,
                "version": OpenAPISchema.version,
            ]),
            "Payment": OpenAPISchema.object(nil, required: ["id", "userId", "amount", "currency", "method", "note", "at", "version"], [
                "id": OpenAPISchema.id("y4"),
                "userId": OpenAPISchema.id("u1"),
                "amount": OpenAPISchema.money(),
                "currency": OpenAPISchema.currency,
                "method": OpenAPISchema.string(example: "pix"),
                "note": OpenAPISchema.string(),
                "actorId": OpenAPISchema.id("u9"),
                "at": OpenAPISchema.time,
                "version": OpenAPISchema.version,
            ]),
            "Debt": OpenAPISchema.object("What one user owes.", required: ["userId", "amount", "currency"], [
                "userId": OpenAPISchema.id("u1"),
                "amount": OpenAPISchema.money(),
                "currency": OpenAPISchema.currency,
            ]),
            "Debtor": OpenAPISchema.object("One debtor with the debt's age and reminders.",
                                           required: ["userId", "name", "amount", "currency", "ageDays", "overdue", "reminders", "paused"], [
                "userId": OpenAPISchema.id("u1"),
                "name": OpenAPISchema.string(example: "Ana Souza"),
                "amount": OpenAPISchema.money(),
                "currency": OpenAPISchema.currency,
                "since": OpenAPISchema.nullable(OpenAPISchema.time.merging(["description": "The oldest unpaid charge; null when nothing is owed."]) { _, b in b }),
                "ageDays": OpenAPISchema.integer("Whole days since `since`.", format: "int32", minimum: 0),
                "overdue": OpenAPISchema.boolean("Owed for at least the shop's overdueDays."),
                "lastReminderAt": OpenAPISchema.nullable(OpenAPISchema.time),
                "reminders": OpenAPISchema.integer("Reminders sent for this debt (counted again from 0 once what was owed at the last one is paid).",
                                                   format: "int32", minimum: 0),
                "paused": OpenAPISchema.boolean("An admin paused the automatic reminders to this customer."),
            ]),
            "Transition": OpenAPISchema.object("One step of an order's or a contract's life.", required: ["to", "note", "at"], [
                "from": OpenAPISchema.string(),
                "to": OpenAPISchema.string(),
                "actorId": OpenAPISchema.id("u9"),
                "note": OpenAPISchema.string(),
                "at": OpenAPISchema.time,
            ]),
            "Order": OpenAPISchema.object(nil, required: ["id", "customerId", "lines", "total", "currency", "state", "history", "createdAt", "updatedAt", "version"], [
                "id": OpenAPISchema.id("o5"),
                "customerId": OpenAPISchema.id("u1"),
                "lines": OpenAPISchema.array(OpenAPISchema.ref("SaleLine")),
                "total": OpenAPISchema.money(),
                "currency": OpenAPISchema.currency,
                "state": OpenAPISchema.string(enumeration: orderStates),
                "receiptMediaId": OpenAPISchema.string(),
                "reviewerId": OpenAPISchema.id("u9"),
                "reason": OpenAPISchema.string(),
                "saleId": OpenAPISchema.id("s91", "The sale recorded when the order was verified."),
                "history": OpenAPISchema.array(OpenAPISchema.ref("Transition")),
                "createdAt": OpenAPISchema.time,
                "updatedAt": OpenAPISchema.time,
                "version": OpenAPISchema.version,
            ]),
            "ContractParty": OpenAPISchema.object(nil, required: ["userId", "part"], [
                "userId": OpenAPISchema.id("u1"),
                "part": OpenAPISchema.string("The party's role in the contract."),
                "confirmedAt": OpenAPISchema.time,
                "declinedAt": OpenAPISchema.time,
            ]),
            "Contract": OpenAPISchema.object(nil, required: ["id", "title", "terms", "amount", "currency", "parties", "requiredConfirmations", "confirmations",
                                                     "state", "history", "createdAt", "updatedAt", "version"], [
                "id": OpenAPISchema.id("k2"),
                "title": OpenAPISchema.string(),
                "terms": OpenAPISchema.string(),
                "amount": OpenAPISchema.money(),
                "currency": OpenAPISchema.currency,
                "parties": OpenAPISchema.array(OpenAPISchema.ref("ContractParty")),
                "requiredConfirmations": OpenAPISchema.integer(format: "int32"),
                "confirmations": OpenAPISchema.integer(format: "int32"),
                "state": OpenAPISchema.string(enumeration: contractStates),
                "createdBy": OpenAPISchema.id("u9"),
                "history": OpenAPISchema.array(OpenAPISchema.ref("Transition")),
                "createdAt": OpenAPISchema.time,
                "updatedAt": OpenAPISchema.time,
                "version": OpenAPISchema.integer("Bumped on each change; 0 when the caller can no longer read the contract back.", minimum: 0),
            ]),
            "Notification": OpenAPISchema.object(
                "A notification: its kind and parameters, which a client words from GET /api/notifications/wording in its " +
                    "reader's language, and the title and body already worded in the reader's stored language (Portuguese when unknown).",
                required: ["id", "userId", "kind", "priority", "title", "body", "read", "createdAt", "version"], [
                "id": OpenAPISchema.id("n7"),
                "userId": OpenAPISchema.id("u1"),
                "audience": OpenAPISchema.string("The role it was addressed to, when sent to a role.", enumeration: ["user", "admin", "owner"]),
                "kind": OpenAPISchema.string(NoticeKind.allCases.map(\.rawValue).joined(separator: ", ") +
                                                 "; older notifications may have order_update or contract_update.", example: "low_stock"),
                "params": ["type": "object", "additionalProperties": OpenAPISchema.string(),
                           "description": "The values the kind's words are filled with, as they were when it happened " +
                               "(`{\"product\": \"Coxinha\", \"stock\": \"4\"}`); absent on notifications from before they were kept, " +
                               "whose title and body are as stored."],
                "priority": OpenAPISchema.string(enumeration: ["low", "normal", "high"]),
                "title": OpenAPISchema.string("Worded in the reader's language."),
                "body": OpenAPISchema.string("Worded in the reader's language; may be empty."),
                "link": OpenAPISchema.string(),
                "read": OpenAPISchema.boolean(),
                "createdAt": OpenAPISchema.time,
                "version": OpenAPISchema.version,
            ]),
            "LedgerEntry": OpenAPISchema.object("An entry of the money ledger.", required: ["id", "userId", "kind", "amount", "currency", "note", "at"], [
                "id": OpenAPISchema.string(),
                "userId": OpenAPISchema.id("u1"),
                "kind": OpenAPISchema.string(enumeration: ["sale", "payment", "refund", "adjustment"]),
                "amount": OpenAPISchema.money("Positive raises the user's debt, negative lowers it; minor units."),
                "currency": OpenAPISchema.currency,
                "reference": OpenAPISchema.string("The sale or payment behind the entry (\"s91\", \"y4\")."),
                "note": OpenAPISchema.string(),
                "actorId": OpenAPISchema.id("u9"),
                "at": OpenAPISchema.time,
            ]),
            "DeviceSession": OpenAPISchema.object("A signed-in device of the caller (a refresh-token family).",
                                                  required: ["id", "createdAt", "lastUsedAt", "expiresAt", "userAgent", "current"], [
                "id": OpenAPISchema.id("t5", "The session's id (its newest link); end it with DELETE /api/auth/sessions/{id}."),
                "createdAt": OpenAPISchema.string("The device's first sign-in (RFC 3339 UTC).", format: "date-time", example: "2026-11-21T10:00:00Z"),
                "lastUsedAt": OpenAPISchema.string("Its last known use: the later of its newest sign-in or refresh and its last request since the server started.",
                                                   format: "date-time", example: "2026-11-21T12:30:00Z"),
                "expiresAt": OpenAPISchema.string("When it must sign in again unless it refreshes before.", format: "date-time",
                                                  example: "2026-12-21T12:30:00Z"),
                "userAgent": OpenAPISchema.string("The User-Agent of its newest sign-in or refresh (at most 200 characters).", example: "Mozilla/5.0 (Android 14) Telegram"),
                "address": OpenAPISchema.string("The client's address at its newest sign-in or refresh; absent when not known.", example: "203.0.113.7"),
                "current": OpenAPISchema.boolean("True for the session of the access token asking."),
            ]),
            "AuditEntry": OpenAPISchema.object("An entry of the audit trail.", required: ["id", "command", "summary", "outcome", "channel", "at"], [
                "id": OpenAPISchema.string(),
                "actorId": OpenAPISchema.id("u9"),
                "command": OpenAPISchema.string(example: "buy"),
                "summary": OpenAPISchema.string(),
                "outcome": OpenAPISchema.string(),
                "channel": OpenAPISchema.string(enumeration: ["rest", "ws", "bot", "cli"]),
                "clientAddress": OpenAPISchema.string(
                    "The caller's IP address: the connection's peer, or behind a `--trusted-proxy` the right-most X-Forwarded-For address that is not a trusted proxy. " +
                    "For /ws commands, that of the upgrade request.", example: "203.0.113.7"),
                "userAgent": OpenAPISchema.string("The User-Agent of the request that caused the entry (of the upgrade request, for /ws commands), up to 200 characters."),
                "at": OpenAPISchema.time,
            ]),
        ]
    }

    static let orderStates = ["pending_payment", "receipt_submitted", "verified", "fulfilled", "rejected", "cancelled"]
    static let contractStates = ["draft", "pending", "active", "completed", "declined", "cancelled"]

    // MARK: Lists

    static var lists: [String: Object] {
        [
            "ProductList": OpenAPISchema.list(of: "Product"),
            "SaleList": OpenAPISchema.list(of: "Sale"),
            "StockMovementList": OpenAPISchema.list(of: "StockMovement"),
            "PaymentList": OpenAPISchema.list(of: "Payment"),
            "DebtList": OpenAPISchema.list(of: "Debt"),
            "InventoryList": OpenAPISchema.list(of: "InventoryItem"),
            "ShopSettings": OpenAPISchema.object("The shop's stored settings.", required: ["timeZone", "dailySummary", "debtReminders"], [
                "timeZone": OpenAPISchema.string("IANA time zone name.", example: "America/Sao_Paulo"),
                "dailySummary": OpenAPISchema.object("The bot's daily summary to owners and admins.", required: ["enabled", "time"], [
                    "enabled": OpenAPISchema.boolean(),
                    "time": OpenAPISchema.string("HH:MM in the shop's time zone.", example: "21:00"),
                ]),
                "debtReminders": OpenAPISchema.object("The bot's reminders of overdue debts, and the admins' daily overdue list.",
                                                      required: ["enabled", "overdueDays", "intervalDays", "maxReminders", "quietStart", "quietEnd"], [
                    "enabled": OpenAPISchema.boolean(),
                    "overdueDays": OpenAPISchema.integer("Days after its oldest unpaid charge that a debt is overdue.", format: "int32", example: 30),
                    "intervalDays": OpenAPISchema.integer("Days at least between two automatic reminders.", format: "int32", example: 7),
                    "maxReminders": OpenAPISchema.integer("Automatic reminders one debt gets at most.", format: "int32", example: 3),
                    "quietStart": OpenAPISchema.string("HH:MM: quiet hours start (shop's time zone).", example: "21:00"),
                    "quietEnd": OpenAPISchema.string("HH:MM: quiet hours end; the admins' overdue list goes then.", example: "09:00"),
                ]),
            ]),
            "DebtorList": OpenAPISchema.list(of: "Debtor"),
            "CommandList": OpenAPISchema.list(of: "Command"),
            "UserList": OpenAPISchema.list(of: "User"),
            "OrderList": OpenAPISchema.list(of: "Order"),
            "ContractList": OpenAPISchema.list(of: "Contract"),
            "NotificationList": OpenAPISchema.list(of: "Notification", extra: ["unread": OpenAPISchema.integer("Unread notifications in all.", format: "int32")],
                                            extraRequired: ["unread"]),
            "LedgerEntryList": OpenAPISchema.list(of: "LedgerEntry"),
            "AuditEntryList": OpenAPISchema.list(of: "AuditEntry"),
            "DeviceSessionList": OpenAPISchema.list(of: "DeviceSession"),
            "PersonalDataExport": OpenAPISchema.object(
                "Everything the shop holds about the caller (GET /api/me/export).",
                required: ["exportedAt", "user", "debt", "sales", "payments", "ledger", "orders", "receipts", "contracts",
                           "notifications", "sessions", "audit"], [
                    "exportedAt": OpenAPISchema.time,
                    "user": OpenAPISchema.ref("User"),
                    "debt": OpenAPISchema.ref("Debt"),
                    "sales": OpenAPISchema.array(OpenAPISchema.ref("Sale")),
                    "payments": OpenAPISchema.array(OpenAPISchema.ref("Payment")),
                    "ledger": OpenAPISchema.array(OpenAPISchema.ref("LedgerEntry")),
                    "orders": OpenAPISchema.array(OpenAPISchema.ref("Order")),
                    "receipts": OpenAPISchema.array(OpenAPISchema.object("A receipt the caller uploaded: what it is, not its bytes.",
                                                                         required: ["id", "orderId", "contentType", "bytes", "uploadedAt"], [
                        "id": OpenAPISchema.string(),
                        "orderId": OpenAPISchema.id("o1"),
                        "contentType": OpenAPISchema.string(example: "image/jpeg"),
                        "bytes": OpenAPISchema.integer(),
                        "uploadedAt": OpenAPISchema.time,
                    ])),
                    "contracts": OpenAPISchema.array(OpenAPISchema.ref("Contract")),
                    "notifications": OpenAPISchema.array(OpenAPISchema.ref("Notification")),
                    "sessions": OpenAPISchema.array(OpenAPISchema.object("One link of a sign-in's refresh-token family; never a token.",
                                                                         required: ["id", "familyId", "device", "createdAt", "expiresAt"], [
                        "id": OpenAPISchema.id("t1"),
                        "familyId": OpenAPISchema.id("t1"),
                        "device": OpenAPISchema.string(),
                        "address": OpenAPISchema.string(),
                        "createdAt": OpenAPISchema.time,
                        "expiresAt": OpenAPISchema.time,
                        "lastUsedAt": OpenAPISchema.time,
                        "rotatedAt": OpenAPISchema.time,
                        "revokedAt": OpenAPISchema.time,
                    ])),
                    "audit": OpenAPISchema.array(OpenAPISchema.ref("AuditEntry"), "The caller's own acts and the entries naming them."),
                ]),
        ]
    }

    // MARK: Other answers

    static var responses: [String: Object] {
        let row = OpenAPISchema.object("One row of a report or of the dashboard.", required: ["key", "label", "sales", "units", "revenue"], [
            "key": OpenAPISchema.string("The day, week, month, product id or buyer id."),
            "label": OpenAPISchema.string(),
            "sales": OpenAPISchema.integer(),
            "units": OpenAPISchema.integer(),
            "revenue": OpenAPISchema.money(),
            "lifetimeRevenue": OpenAPISchema.money("Buyer rows of a report only: the buyer's net purchases of all time, in minor units."),
            "debt": OpenAPISchema.money("Buyer rows of a report only: what the buyer owes now, in minor units."),
        ])
        return [
            "Health": OpenAPISchema.object(nil, required: ["status", "storage", "feedHead", "epoch", "hubPosition", "subscribers"], [
                "status": OpenAPISchema.string("`degraded` while writes are refused for want of room; on a replica (answered with 503), `behind` while it is too far behind its primary and `stopped` when it has stopped following it.",
                                               enumeration: ["ok", "degraded", "behind", "stopped"]),
                "storage": OpenAPISchema.string("`full` from the first write refused with 507 storage_full until a write succeeds again.",
                                                enumeration: ["ok", "full"]),
                "storageFullSince": OpenAPISchema.string("When the store turned full; absent while ok.", format: "date-time"),
                "feedHead": OpenAPISchema.integer("The change feed's last sequence.", minimum: 0),
                "epoch": OpenAPISchema.string("The history the feed's sequences belong to: new on every restore; a replica's is its primary's."),
                "hubPosition": OpenAPISchema.integer("The last sequence the realtime hub has published.", minimum: 0),
                "subscribers": OpenAPISchema.integer(format: "int32"),
                "replication": OpenAPISchema.object("How the change feed's travel through NATS stands; absent on a single box.",
                                                    required: ["role", "nats", "position", "lagSequences", "lagMilliseconds"], [
                    "role": OpenAPISchema.string(enumeration: ["primary", "replica"]),
                    "nats": OpenAPISchema.string("The NATS client's state: connected, reconnecting, closed, not started…"),
                    "position": OpenAPISchema.integer("A primary: the last feed sequence stored in the stream; a replica: the last applied.", minimum: 0),
                    "primaryHead": OpenAPISchema.integer("A replica: the primary's feed head as last heard.", minimum: 0),
                    "primaryReachable": OpenAPISchema.boolean("A replica: whether the primary answered its last status request."),
                    "lagSequences": OpenAPISchema.integer("A replica: sequences behind the primary.", minimum: 0),
                    "lagMilliseconds": OpenAPISchema.integer("A replica: how long it has been behind; a primary: how long the oldest unshipped commit has waited.", minimum: 0),
                    "lastApplyDelayMilliseconds": OpenAPISchema.integer("A replica: commit on the primary to applied here, last batch.", minimum: 0),
                    "stopped": OpenAPISchema.string("Why following or shipping stopped (restart to recover); absent while it runs."),
                    "lastError": OpenAPISchema.string("The last error met and recovered from."),
                ]),
            ]),
            "Tokens": OpenAPISchema.object(nil, required: ["accessToken", "refreshToken", "expiresIn", "user"], [
                "accessToken": OpenAPISchema.string("Send as Authorization: Bearer <accessToken>."),
                "refreshToken": OpenAPISchema.string("For POST /api/auth/refresh; rotated on each use."),
                "expiresIn": OpenAPISchema.integer("Seconds the access token stays valid.", format: "int32"),
                "user": OpenAPISchema.ref("User"),
            ]),
            "Me": OpenAPISchema.object(nil, required: ["role", "commands"], [
                "user": OpenAPISchema.ref("User"),
                "role": OpenAPISchema.string(enumeration: ["user", "admin", "owner"]),
                "commands": OpenAPISchema.array(OpenAPISchema.string(), "The bot commands this role may run (names without the slash)."),
            ]),
            "Command": OpenAPISchema.object(nil, required: ["command", "description"], [
                "command": OpenAPISchema.string(example: "estoque"),
                "description": OpenAPISchema.string("Portuguese description, as the bot shows it."),
            ]),
            "CommandLine": OpenAPISchema.object("`params` runs a command of the table; `args` (or neither) a bot command line.", required: ["command"], [
                "command": OpenAPISchema.string("A table command's name (buy, restock…) with `params`; else a bot command, with or without its slash.",
                                                example: "buy"),
                // Left out or null alike, as in every request body.
                "args": OpenAPISchema.nullable(OpenAPISchema.string("The rest of the line, as typed in the chat.", example: "2 coxinha @ana ok")),
                "params": OpenAPISchema.nullable(OpenAPISchema.object("A table command's input: its REST body, with the record's id where REST has it in the path " +
                                               "(productId, orderId…) and expectedVersion for If-Match.", required: [], [:], additional: true)),
            ], additional: false),
            "CommandAnswer": [
                "description": "A bot command line's answer (`text`, `data`), or a table command's: the record under its name and id " +
                    "(`{\"sale\": {…}, \"saleId\": \"s91\"}`), a count (`{\"marked\": 3}`), or `{}`.",
                "anyOf": [
                    OpenAPISchema.object(nil, required: ["text", "data"], [
                        "text": OpenAPISchema.string("The bot's reply, in Telegram HTML."),
                        "data": OpenAPISchema.object("The reply's facts: records in the contract's shapes (`sale`, `product`, `debts`…).", required: [], [:], additional: true),
                    ]),
                    OpenAPISchema.object(nil, required: [], [:], additional: true),
                ],
            ] as Object,
            "TelegramUpdate": OpenAPISchema.object("A Bot API Update (core.telegram.org/bots/api#update).", required: ["update_id"], [
                "update_id": OpenAPISchema.integer(),
            ], additional: true),
            "Accepted": OpenAPISchema.object(nil, required: ["ok"], ["ok": OpenAPISchema.boolean()]),
            "ReportRow": row,
            "Dashboard": OpenAPISchema.object(nil, required: ["currency", "todaySales", "todayRevenue", "todayReceived", "daily", "lowStockCount",
                                                      "outstandingDebt", "topProducts", "topBuyers"], [
                "currency": OpenAPISchema.currency,
                "todaySales": OpenAPISchema.integer(),
                "todayRevenue": OpenAPISchema.money(),
                "todayReceived": OpenAPISchema.money(),
                "daily": OpenAPISchema.array(OpenAPISchema.ref("ReportRow"), "The last 90 days, day by day."),
                "lowStockCount": OpenAPISchema.integer(format: "int32"),
                "outstandingDebt": OpenAPISchema.money(),
                "topProducts": OpenAPISchema.array(OpenAPISchema.ref("ReportRow")),
                "topBuyers": OpenAPISchema.array(OpenAPISchema.ref("ReportRow")),
            ]),
            "Report": OpenAPISchema.object(nil, required: ["from", "to", "groupBy", "currency", "rows", "totalRevenue", "customers"], [
                "from": OpenAPISchema.time,
                "to": OpenAPISchema.time,
                "groupBy": OpenAPISchema.string(enumeration: reportGroupings),
                "currency": OpenAPISchema.currency,
                "rows": OpenAPISchema.array(OpenAPISchema.ref("ReportRow")),
                "totalRevenue": OpenAPISchema.money(),
                "customers": OpenAPISchema.ref("ReportCustomers"),
            ]),
            "ReportCustomers": OpenAPISchema.object("The buyers of the report's days.", required: ["buyers", "repeatBuyers", "sales", "revenue", "averageBasket", "rows"], [
                "buyers": OpenAPISchema.integer("Distinct buyers with at least one sale in the period."),
                "repeatBuyers": OpenAPISchema.integer("Buyers with two sales or more in the period."),
                "sales": OpenAPISchema.integer("Sales made in the period (refunded ones included)."),
                "revenue": OpenAPISchema.money("Their net revenue, in minor units."),
                "averageBasket": OpenAPISchema.money("revenue ÷ sales in minor units, rounded to the nearest unit (halves away from zero); 0 without sales."),
                "rows": OpenAPISchema.array(OpenAPISchema.ref("ReportCustomer"), "Best first: by revenue in the period, then by id."),
            ]),
            "ReportCustomer": OpenAPISchema.object(nil, required: ["id", "name", "sales", "revenue", "lifetimeRevenue", "debt"], [
                "id": OpenAPISchema.string("The buyer's user id."),
                "name": OpenAPISchema.string(),
                "sales": OpenAPISchema.integer("Sales made to them in the period."),
                "revenue": OpenAPISchema.money("Their net purchases in the period, in minor units."),
                "lifetimeRevenue": OpenAPISchema.money("Their net purchases of all time, in minor units."),
                "debt": OpenAPISchema.money("What they owe now, in minor units (negative: credit)."),
            ]),
            "InventoryItem": OpenAPISchema.object(nil, required: ["product", "isLow"], [
                "product": OpenAPISchema.ref("Product"),
                "isLow": OpenAPISchema.boolean("Stock at or below the product's lowStockThreshold."),
            ]),
            "ChangesPage": OpenAPISchema.object("A page of the change feed.", required: ["events", "next", "epoch", "role", "topics"], [
                "events": OpenAPISchema.array(OpenAPISchema.ref("EventFrame")),
                "next": OpenAPISchema.integer("The sequence to pass as since for the next page.", minimum: 0),
                "epoch": OpenAPISchema.string("The store's epoch: pass it as epoch with since; it changes when the store is restored."),
                "role": OpenAPISchema.string("The caller's role now: the page was filtered with it.", enumeration: Role.allCases.map(\.rawValue)),
                "topics": OpenAPISchema.array(OpenAPISchema.string(enumeration: Topic.allCases.map(\.rawValue)),
                                              "The topics asked for that the role allows: the page holds only these."),
            ]),
            "ChangeEvent": OpenAPISchema.object("""
                One Server-Sent Event: `data` is a frame (an EventFrame, a resync, an `access` frame when the caller's role \
                changed, or a last `closed` frame when the session ended), `id` its sequence for event frames.
                """,
                                                required: ["data"], [
                "data": OpenAPISchema.string("The frame's JSON text.", example: #"{"type":"resync","reason":"since_too_old","epoch":"9f0c2d4e6a8b1c3d5e7f90a1b2c3d4e5"}"#),
                "id": OpenAPISchema.string("The frame's sequence, for Last-Event-ID.", example: "1044"),
                "event": OpenAPISchema.string("The default, message; `ready` for the stream's first event.", example: "message"),
            ]),
            "EventFrame": OpenAPISchema.object("One change, in the same frame the WebSocket sends.", required: ["type", "topic", "event", "data"], [
                "type": OpenAPISchema.string(enumeration: ["event"]),
                "seq": OpenAPISchema.integer(minimum: 0),
                "topic": OpenAPISchema.string(enumeration: topics),
                "event": OpenAPISchema.string(example: "inventory_update"),
                "data": ["type": "object", "description": "The event's payload."],
                "at": OpenAPISchema.time,
            ]),
            "MediaInfo": OpenAPISchema.object("A stored image.", required: ["id", "contentType", "size", "url"], [
                "id": OpenAPISchema.string(),
                "contentType": OpenAPISchema.string(example: "image/jpeg"),
                "size": OpenAPISchema.integer("Bytes.", format: "int32"),
                "url": OpenAPISchema.string("Where to download it: /media/{id}.", example: "/media/abc123"),
            ]),
            "Marked": OpenAPISchema.object(nil, required: ["marked"], ["marked": OpenAPISchema.integer("Notifications marked read.", format: "int32")]),
            "NotificationWording": OpenAPISchema.object(
                "The words of every notification kind, by kind and language (`pt`, `en`). In a template `{name}` is replaced by " +
                    "the notification's parameter of that name; an empty or missing value takes the space after it along, and the " +
                    "result is trimmed.", required: ["kinds"], [
                "kinds": ["type": "object", "description": "Kind → language → templates.",
                          "additionalProperties": ["type": "object", "additionalProperties": OpenAPISchema.ref("NotificationWords")]],
            ]),
            "NotificationWords": OpenAPISchema.object(nil, required: ["title", "body"], [
                "title": OpenAPISchema.string(example: "Low stock: {emoji} {product}"),
                "body": OpenAPISchema.string(example: "{stock} left (threshold {threshold})."),
            ]),
            "Reached": OpenAPISchema.object(nil, required: ["reached"], ["reached": OpenAPISchema.integer("Users the notification was sent to.", format: "int32")]),
        ]
    }

    static let reportGroupings = ["day", "week", "month", "product", "buyer"]
    static let topics = ["inventory", "sales", "notifications", "orders", "contracts", "activity", "presence"]

    // MARK: Request bodies (Sources/Server/Routes)

    /// The top-level bodies: the routes refuse unknown fields (400 naming the field).
    /// Bodies that take nothing but their fields (the command table's bodies always are).
    static let strictBodies: Set<String> = ["InitDataRequest", "CodeRequest", "RefreshRequest"]

    static var requests: [String: Object] {
        var schemas = requestShapes
        for entry in CommandTable.entries {
            guard let body = entry.body, let schema = try? JSONSerialization.jsonObject(with: body.schema) as? Object else { continue }
            schemas[body.name] = schema.merging(["additionalProperties": false]) { _, strict in strict }
        }
        for door in CommandTable.bulk { schemas[door.bodyName] = door.bodySchema.merging(["additionalProperties": false]) { _, strict in strict } }
        for name in strictBodies { schemas[name]?["additionalProperties"] = false }
        // A field a body may leave out may also be sent as null, which means the same.
        for (name, schema) in schemas {
            guard var properties = schema["properties"] as? [String: Object] else { continue }
            let required = Set(schema["required"] as? [String] ?? [])
            for (key, property) in properties where !required.contains(key) { properties[key] = OpenAPISchema.nullable(property) }
            schemas[name]?["properties"] = properties
        }
        return schemas
    }

    static var requestShapes: [String: Object] {
        typealias S = OpenAPISchema
        typealias L = Bounds.Length
        return [
            "InitDataRequest": S.object(nil, required: ["initData"], [
                "initData": S.text("The raw Telegram.WebApp.initData string.", maxLength: 8_192),
            ]),
            "WidgetRequest": S.object("The Telegram Login Widget's fields, unchanged.", required: ["id", "auth_date", "hash"], [
                "id": S.numberOrDigits("The Telegram user id."),
                "first_name": S.string(),
                "last_name": S.string(),
                "username": S.string(),
                "photo_url": S.string(),
                "auth_date": S.numberOrDigits("Unix time of the sign-in, whole seconds."),
                "hash": S.string("HMAC-SHA-256 of the other fields, keyed with SHA-256(bot token)."),
            ], additional: true),
            "CodeRequest": S.object(nil, required: ["code"], ["code": S.text("A one-time code from the bot's /login link.", maxLength: L.code, required: true)]),
            "RefreshRequest": S.object(nil, required: ["refreshToken"], ["refreshToken": S.text(maxLength: 512)]),
            "LineItem": S.object(nil, required: ["productId", "quantity"], [
                "productId": S.id("p", example: "p3"),
                "quantity": S.integer(in: Bounds.quantity),
            ]),
            "ContractPartyInput": S.object(nil, required: ["userId"], [
                "userId": S.id("u", example: "u1"),
                "part": S.text("Default \"\".", maxLength: L.contractPart),
            ]),
        ]
    }
}
