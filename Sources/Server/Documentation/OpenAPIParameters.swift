import Foundation
import Store

/// The reusable parameters (components/parameters), named as the routes read them.
enum OpenAPIParameters {
    typealias Object = [String: Any]

    static func ref(_ name: String) -> Object { ["$ref": "#/components/parameters/\(name)"] }

    private static func query(_ name: String, _ description: String, _ schema: Object) -> Object {
        ["name": name, "in": "query", "required": false, "description": description, "schema": schema]
    }

    static var all: [String: Object] {
        [
            "id": ["name": "id", "in": "path", "required": true, "description": "The record's id (\"p3\", \"u1\", \"o5\", \"k2\", \"n7\"). A malformed id is 404.",
                   "schema": OpenAPISchema.string()],
            "limit": query("limit", "Page size, 1 to 200 (default 50).", OpenAPISchema.integer(format: "int32", minimum: 1, maximum: 200)),
            "cursor": query("cursor", "The `next` of the previous page (base64url).",
                            OpenAPISchema.string().merging(["minLength": 2, "maxLength": PageCursor.maxTokenLength,
                                                            "pattern": "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$"]) { a, _ in a }),
            "search": query("search", "Text to find in the product's name, description or category.", OpenAPISchema.string()),
            "category": query("category", "Only products of this category.", OpenAPISchema.string()),
            "archived": query("archived", "true to include archived (inactive) products.", OpenAPISchema.boolean()),
            "from": query("from", "Start time (RFC 3339).", OpenAPISchema.string(format: "date-time")),
            "to": query("to", "End time (RFC 3339).", OpenAPISchema.string(format: "date-time")),
            "reportFrom": query("from", "Start (RFC 3339; whole UTC days; default 29 days before `to`).", OpenAPISchema.string(format: "date-time")),
            "reportTo": query("to", "End (RFC 3339; whole UTC days; default now).", OpenAPISchema.string(format: "date-time")),
            "groupBy": query("groupBy", "Rows per day (default), week, month, product or buyer.",
                             OpenAPISchema.string(enumeration: OpenAPISchemas.reportGroupings)),
            "buyerId": query("buyerId", "Only this buyer's sales (\"u1\").", OpenAPISchema.id("u", example: "u1")),
            "productId": query("productId", "Only sales with this product (\"p3\").", OpenAPISchema.id("p", example: "p3")),
            "userId": query("userId", "Only this user's records (\"u1\").", OpenAPISchema.id("u", example: "u1")),
            "actorId": query("actorId", "Only what this user did (\"u9\").", OpenAPISchema.id("u", example: "u9")),
            "orderState": query("state", "Only orders in this state.", OpenAPISchema.string(enumeration: OpenAPISchemas.orderStates)),
            "contractState": query("state", "Only contracts in this state.", OpenAPISchema.string(enumeration: OpenAPISchemas.contractStates)),
            "unread": query("unread", "true for unread notifications only.", OpenAPISchema.boolean()),
            "since": query("since", "Resume after this feed sequence (default: the current head, i.e. only what comes next).",
                           OpenAPISchema.integer(minimum: 0, maximum: Int(Int64.max))),
            "epoch": query("epoch", "The store epoch the client's `since` belongs to (the `epoch` of its `ready`, resync or last page): " +
                           "another epoch (the store was restored since) is told to resync (`epoch_changed`) instead of resuming.",
                           OpenAPISchema.string()),
            "changesLimit": query("limit", "Events per page, 1 to 500 (default 100).", OpenAPISchema.integer(format: "int32", minimum: 1, maximum: 500)),
            "wait": query("wait", "Long-poll: when there is nothing new, wait up to this many whole seconds (0–25, default 0).",
                          OpenAPISchema.integer(format: "int32", minimum: 0, maximum: 25)),
            "topics": query("topics", "Comma-separated topics (default all): \(OpenAPISchemas.topics.joined(separator: ", ")).", OpenAPISchema.string()),
            "watch": query("watch", "A live query, as the socket's `watch` message without its `type` (JSON, URL-encoded; repeat for more): " +
                           "`{\"id\",\"collection\",\"filter\",\"order\",\"limit\"}`, and `since`, `epoch`, `have` to resume (README, \"Live queries\"). " +
                           "A stream that watches and names no `topics` carries only the queries' frames.", OpenAPISchema.string()),
            "token": query("token", "The accessToken (or send {\"type\": \"auth\", \"token\"} as the first message).", OpenAPISchema.string()),
            "IdempotencyKey": ["name": "Idempotency-Key", "in": "header", "required": false,
                               "description": "Replays with the same key and body return the first answer and write nothing new.",
                               "schema": OpenAPISchema.string()],
            "TelegramSecretToken": ["name": "X-Telegram-Bot-Api-Secret-Token", "in": "header", "required": true,
                                    "description": "The secret the bot gave Telegram with setWebhook; compared in constant time.",
                                    "schema": OpenAPISchema.string()],
            "IfMatch": ["name": "If-Match", "in": "header", "required": false,
                        "description": "The record's version (quotes allowed); a stale one is 412.",
                        "schema": OpenAPISchema.string().merging(["pattern": #"^(W/)?"?[0-9]{1,19}"?$"#]) { a, _ in a }],
            "LastEventID": ["name": "Last-Event-ID", "in": "header", "required": false,
                            "description": "Sent by EventSource on reconnect: resume after this sequence (when `since` is absent).",
                            "schema": OpenAPISchema.string()],
        ]
    }
}
