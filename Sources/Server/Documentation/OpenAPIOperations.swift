import Foundation

/// One documented route: what `GET /openapi.json` says about a method and path.
struct APIOperation: Sendable {
    enum MinimumRole: String, Sendable { case anyone, user, admin, owner }

    enum Answer: Sendable {
        /// A JSON body of this schema.
        case json(String)
        /// A JSON array of this schema.
        case jsonArray(String)
        /// Another media type, described in words.
        case other(mediaType: String, schema: String)
        /// Server-Sent Events, each event's fields (`id`, `event`, `data`) of this schema.
        case eventStream(String)
        /// No body.
        case empty
    }

    var method: String
    var path: String
    var tag: String
    var summary: String
    var description: String = ""
    /// Who may call it, in words (CONTRACT.md and the commands' role checks).
    var access: String
    var minimumRole: MinimumRole
    /// Names in components/parameters.
    var parameters: [String] = []
    /// A schema in components/schemas.
    var body: String? = nil
    var bodyRequired = true
    /// The body is an image: multipart/form-data (a file part) or the raw bytes.
    var imageUpload = false
    var status = 200
    var answerDescription = "OK"
    var answer: Answer
    /// Errors beyond the ones every route of its kind can give.
    var errors: [OpenAPIErrorResponse] = []

    var operationId: String {
        let words = path.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { $0.prefix(1).uppercased() + $0.dropFirst() }
        return method.lowercased() + words.joined()
    }

    /// The error answers: the route's own, plus what the middleware and the input handling can give.
    var allErrors: [OpenAPIErrorResponse] {
        var set = Set(errors)
        set.formUnion([.unauthorized, .tooManyRequests, .internalError])  // a bad bearer token is 401 on every route
        if minimumRole != .anyone { set.insert(.forbidden) }  // blocked users, too-low roles
        if body != nil || imageUpload { set.formUnion([.badRequest, .contentTooLarge, .unsupportedMediaType]) }
        if body != nil { set.insert(.notFound) }  // an id in the body (a product, a buyer) may name no record
        if parameters.contains(where: { !["id", "IdempotencyKey", "IfMatch", "LastEventID", "token"].contains($0) }) { set.insert(.badRequest) }
        if path.contains("{id}") { set.insert(.notFound) }
        if parameters.contains("IfMatch") { set.formUnion([.preconditionFailed, .badRequest]) }  // stale, or not a version
        if parameters.contains("IdempotencyKey") { set.insert(.unprocessable) }
        if method != "GET" { set.insert(.insufficientStorage) }  // every write may meet a full disk
        return set.sorted { $0.rawValue < $1.rawValue }
    }

    func object() -> [String: Any] {
        var responses: [String: Any] = [:]
        var success: [String: Any] = ["description": answerDescription]
        switch answer {
        case .json(let name): success["content"] = ["application/json": ["schema": OpenAPISchema.ref(name)]]
        case .jsonArray(let name): success["content"] = ["application/json": ["schema": OpenAPISchema.array(OpenAPISchema.ref(name))]]
        case .other(let mediaType, let schema): success["content"] = [mediaType: ["schema": OpenAPISchema.string(schema)]]
        case .eventStream(let name): success["content"] = ["text/event-stream": ["schema": OpenAPISchema.ref(name)]]
        case .empty: break
        }
        responses[String(status)] = success
        for error in allErrors { responses[String(error.rawValue)] = error.reference }

        var operation: [String: Any] = [
            "operationId": operationId,
            "tags": [tag],
            "summary": summary,
            "description": (description.isEmpty ? "" : description + "\n\n") + "**Who:** " + access,
            "x-access": access,
            "x-minimum-role": minimumRole.rawValue,
            "responses": responses,
        ]
        if minimumRole == .anyone { operation["security"] = [[String: Any]]() }
        var parameterPath = ["id"]
        parameterPath.removeAll { !path.contains("{\($0)}") }
        let names = parameterPath.filter { !parameters.contains($0) } + parameters
        if !names.isEmpty { operation["parameters"] = names.map(OpenAPIParameters.ref) }
        if let body {
            operation["requestBody"] = [
                "required": bodyRequired,
                "content": ["application/json": ["schema": OpenAPISchema.ref(body)]],
            ] as [String: Any]
        }
        if imageUpload {
            let binary: [String: Any] = ["type": "string", "contentMediaType": "application/octet-stream"]
            operation["requestBody"] = [
                "required": true,
                "description": "A JPEG, PNG, GIF or WebP image of at most 5 MiB: a multipart/form-data file part, or the raw bytes as the body.",
                "content": [
                    "multipart/form-data": ["schema": OpenAPISchema.object(nil, required: ["file"], ["file": binary])],
                    "image/*": ["schema": binary],
                    "application/octet-stream": ["schema": binary],
                ] as [String: Any],
            ] as [String: Any]
        }
        return operation
    }
}

/// Every route the server registers.
enum OpenAPIOperations {
    static let tags: [(name: String, description: String)] = [
        ("System", "Health, metrics and this documentation."),
        ("Auth", "Sign-in with Telegram or a one-time code; token refresh; signed-in devices; who am I."),
        ("Products", "The catalogue and stock adjustments."),
        ("Inventory", "Stock levels, low-stock flags and thresholds."),
        ("Sales", "Purchases recorded by admins, and the sales they make."),
        ("Payments", "Payments received."),
        ("Debts", "What users owe."),
        ("Orders", "Customer orders: place, send the receipt, verify, reject, fulfil, cancel."),
        ("Contracts", "Multi-party contracts: create, send, confirm, decline, cancel, complete."),
        ("Media", "Image upload and download (product pictures, payment receipts)."),
        ("Notifications", "The caller's notifications; admins broadcast."),
        ("Users", "Users, roles and blocking (owner)."),
        ("Reports", "Dashboard figures and sales reports."),
        ("Settings", "The shop's time zone and the daily summary (owner changes, admins read)."),
        ("Commands", "The bot commands the caller may run."),
        ("Ledger", "The money ledger (owner)."),
        ("Audit", "The audit trail (owner)."),
        ("Realtime", "The change feed: WebSocket, long-poll and Server-Sent Events."),
    ]

    static let list = ["limit", "cursor"]

    /// The hand-written routes (reads, sign-in, media, the feed) and the command table's doors.
    static var all: [APIOperation] {
        system + auth + products + media + sales + orders + contracts + accounts + reports + realtime + commands + bulk
    }

    /// Every door of every command of ``CommandTable``.
    static var commands: [APIOperation] {
        CommandTable.entries.flatMap { entry in
            entry.doors.map { door in
                APIOperation(method: door.method.rawValue, path: door.path, tag: door.tag, summary: door.summary, description: door.description,
                             access: entry.access, minimumRole: entry.minimumRole,
                             parameters: (entry.takesVersion ? ["IfMatch"] : []) + (entry.idempotent ? ["IdempotencyKey"] : []),
                             body: entry.body?.name, bodyRequired: entry.bodyRequired, status: Int(door.status.code),
                             answerDescription: door.status == .created ? "Created." : door.status == .noContent ? "Done." : "OK",
                             answer: entry.answer.documented, errors: entry.errors)
            }
        }
    }

    /// The bulk doors (``CommandTable/bulk``): one table command per id.
    static var bulk: [APIOperation] {
        CommandTable.bulk.map { door in
            APIOperation(method: "POST", path: door.path, tag: door.tag, summary: door.summary, description: door.description,
                         access: door.access, minimumRole: APIOperation.MinimumRole(.role(door.minimumRole)), body: door.bodyName,
                         answerDescription: "One outcome per id, in the order sent.", answer: .json(door.resultName))
        }
    }

    static var media: [APIOperation] {
        [
            APIOperation(method: "POST", path: "/api/media", tag: "Media", summary: "Upload an image",
                         description: "Answers the image's id (use it in a product's mediaIds or an order's receipt) and its URL.",
                         access: "signed in (user)", minimumRole: .user, imageUpload: true, status: 201, answerDescription: "The stored image.",
                         answer: .json("MediaInfo"), errors: [.unprocessable]),
            APIOperation(method: "GET", path: "/media/{id}", tag: "Media", summary: "Download an image",
                         description: "Cacheable forever: an id never changes its bytes.",
                         access: "signed in (user)", minimumRole: .user,
                         answer: .other(mediaType: "image/*", schema: "The image bytes (JPEG, PNG, GIF or WebP).")),
        ]
    }

    static var system: [APIOperation] {
        [
            APIOperation(method: "GET", path: "/health", tag: "System", summary: "Liveness, room for writes and the feed position",
                         description: "Always 200 while the process serves. When the disk is full (or the store at its size limit), " +
                             "writes answer 507 storage_full while reads, sockets and the bot go on; /health then says " +
                             "`\"status\": \"degraded\", \"storage\": \"full\"` with `storageFullSince`, until a write succeeds again. " +
                             "It stays 200 on purpose: a restart would not make room and would drop the sockets, so a liveness probe " +
                             "must not act on it; a monitoring check alerts on `storage` (or `status`) not being `ok`. " +
                             "A replica answers 503 (`behind`, `stopped`) while it is too far behind its primary or has stopped following it, " +
                             "so that a load balancer sends its clients elsewhere.",
                         access: "anyone", minimumRole: .anyone, answer: .json("Health")),
            APIOperation(method: "GET", path: "/metrics", tag: "System", summary: "Prometheus metrics",
                         description: "Who may read it is set with `tenda serve --metrics public|owner|off` (or `TENDA_METRICS`): " +
                             "`public` (the default) anyone; `owner` only an owner's bearer token (401 without one, 403 for other roles); " +
                             "`off` not served (404).",
                         access: "anyone by default; configurable to the owner only, or off", minimumRole: .anyone,
                         answer: .other(mediaType: "text/plain; version=0.0.4", schema: "Prometheus text exposition format."),
                         errors: [.forbidden, .notFound]),
            APIOperation(method: "GET", path: "/openapi.json", tag: "System", summary: "This OpenAPI document",
                         access: "anyone", minimumRole: .anyone, answer: .other(mediaType: "application/json", schema: "An OpenAPI 3.1 document.")),
            APIOperation(method: "GET", path: "/docs", tag: "System", summary: "Human-readable API documentation",
                         access: "anyone", minimumRole: .anyone, answer: .other(mediaType: "text/html", schema: "An HTML page rendering /openapi.json.")),
        ]
    }

    static var auth: [APIOperation] {
        let telegram = "Verifies initData, creates the user on first sight with role user, and opens a session. " +
            "With the bot's token (`tenda serve --bot-token`) the `hash` is checked (HMAC-SHA256). " +
            "With `--bot-id` (a bot whose token this server does not hold) Telegram's Ed25519 `signature` over " +
            "`<bot id>:WebAppData` and the other fields is checked with Telegram's production key, or its test-environment key " +
            "under `--telegram-test-environment`: alone when there is no token, and with a token for data whose `hash` is not ours " +
            "but which carries a `signature`. `auth_date` must be younger than `--initdata-max-age`. " +
            "401 codes: `invalid_hash`, `invalid_signature`, `missing_hash`, `missing_signature`, `missing_auth_date`, `expired`, " +
            "`malformed`, `invalid_user`; 503 `telegram_not_configured` when the server has neither a token nor a bot id."
        return [
            APIOperation(method: "POST", path: "/api/auth/telegram", tag: "Auth", summary: "Sign in with Telegram WebApp initData",
                         description: telegram, access: "anyone", minimumRole: .anyone, body: "InitDataRequest",
                         answer: .json("Tokens"), errors: [.forbidden, .serviceUnavailable]),
            APIOperation(method: "POST", path: "/api/auth/verify", tag: "Auth", summary: "Sign in with Telegram WebApp initData (alias of /api/auth/telegram)",
                         description: telegram, access: "anyone", minimumRole: .anyone, body: "InitDataRequest",
                         answer: .json("Tokens"), errors: [.forbidden, .serviceUnavailable]),
            APIOperation(method: "POST", path: "/api/auth/widget", tag: "Auth", summary: "Sign in with the Telegram Login Widget",
                         description: "For the dashboard opened in a normal browser. Send the widget's fields as they come (numbers as numbers or strings); the hash and auth_date age are checked.",
                         access: "anyone", minimumRole: .anyone, body: "WidgetRequest",
                         answer: .json("Tokens"), errors: [.forbidden, .serviceUnavailable]),
            APIOperation(method: "POST", path: "/api/auth/code", tag: "Auth", summary: "Sign in with a one-time code from the bot's /login link",
                         access: "anyone", minimumRole: .anyone, body: "CodeRequest", answer: .json("Tokens"), errors: [.forbidden, .notFound]),
            APIOperation(method: "POST", path: "/api/auth/refresh", tag: "Auth", summary: "Rotate the tokens",
                         description: "The old refresh token stops working; reusing a rotated one revokes the whole session family.",
                         access: "the refresh token's holder", minimumRole: .anyone, body: "RefreshRequest", answer: .json("Tokens"),
                         errors: [.forbidden]),
            APIOperation(method: "POST", path: "/api/auth/logout", tag: "Auth", summary: "End the session",
                         access: "signed in", minimumRole: .user, status: 204, answerDescription: "Signed out.", answer: .empty),
            APIOperation(method: "GET", path: "/api/auth/sessions", tag: "Auth", summary: "The caller's signed-in devices",
                         description: "One entry per device still signed in (a refresh-token family whose newest link is neither " +
                             "revoked nor expired; refreshing keeps a device one entry), most recently used first, as one page " +
                             "(`next` is null). `current` marks the session of the token asking. `lastUsedAt` is the later of the " +
                             "device's newest sign-in or refresh and its last request since the server started.",
                         access: "signed in (self)", minimumRole: .user, answer: .json("DeviceSessionList")),
            APIOperation(method: "GET", path: "/api/auth/me", tag: "Auth", summary: "The caller, their role and their commands",
                         access: "signed in", minimumRole: .user, answer: .json("Me")),
            APIOperation(method: "GET", path: "/api/user/permissions", tag: "Auth", summary: "The caller, their role and their commands (alias of /api/auth/me)",
                         access: "signed in", minimumRole: .user, answer: .json("Me")),
        ]
    }

    static var products: [APIOperation] {
        return [
            APIOperation(method: "GET", path: "/api/products", tag: "Products", summary: "List products",
                         access: "user", minimumRole: .user, parameters: ["search", "category", "archived"] + list, answer: .json("ProductList")),
            APIOperation(method: "GET", path: "/api/products/{id}", tag: "Products", summary: "One product",
                         access: "user", minimumRole: .user, answer: .json("Product")),
            APIOperation(method: "GET", path: "/api/products/{id}/stock-movements", tag: "Inventory", summary: "A product's stock history",
                         description: "Every movement of the product's stock, newest first, a page at a time: `kind` is what it was " +
                             "(`initial`, `sale`, `restock`, `adjustment`, `order` (reserved by a customer order), `cancel` (released " +
                             "when an order was rejected or cancelled), `return` (counted back in by an admin), `refund` (given back by " +
                             "a refund of a sale)), `delta` the signed quantity, `levelAfter` the stock right after it, `actorId` and " +
                             "`actorName` who made it (absent for the system), `reference` the sale or order behind it, `note` why. " +
                             "Archived products included; an unknown product is 404.",
                         access: "admin", minimumRole: .admin, parameters: list, answer: .json("StockMovementList")),
            APIOperation(method: "GET", path: "/api/inventory", tag: "Inventory", summary: "Stock levels with low-stock flags",
                         description: "Every active product, low ones first, as one page (`next` is null).",
                         access: "admin", minimumRole: .admin, answer: .json("InventoryList")),
        ]
    }

    static var sales: [APIOperation] {
        return [
            APIOperation(method: "GET", path: "/api/sales", tag: "Sales", summary: "List sales",
                         access: "admin: all; user: only their own", minimumRole: .user,
                         parameters: ["from", "to", "buyerId", "productId"] + list, answer: .json("SaleList")),
            APIOperation(method: "GET", path: "/api/sales/{id}", tag: "Sales", summary: "One sale",
                         description: "With `refundedQuantities`, the units of each line refunded so far. A user may read only their own.",
                         access: "admin: any; user: only their own", minimumRole: .user, answer: .json("Sale")),
            APIOperation(method: "GET", path: "/api/payments", tag: "Payments", summary: "List payments",
                         access: "admin: all; user: only their own", minimumRole: .user, parameters: ["userId"] + list, answer: .json("PaymentList")),
            APIOperation(method: "GET", path: "/api/debts", tag: "Debts", summary: "What every user owes",
                         description: "One page with every debtor; `next` is always null.", access: "admin", minimumRole: .admin,
                         answer: .json("DebtList")),
            APIOperation(method: "GET", path: "/api/debts/reminders", tag: "Debts", summary: "Every debtor with the debt's age and reminders",
                         description: "Largest debt first, one page (`next` is always null). A debt's age runs from its oldest unpaid " +
                             "charge (payments pay the oldest charges first); `overdue` once it is the shop's `overdueDays` old.",
                         access: "admin", minimumRole: .admin, answer: .json("DebtorList")),
            APIOperation(method: "GET", path: "/api/debts/me", tag: "Debts", summary: "What the caller owes",
                         access: "signed in (self)", minimumRole: .user, answer: .json("Debt")),
            APIOperation(method: "GET", path: "/api/me/export", tag: "Users", summary: "Download everything the shop holds about the caller",
                         description: "The caller's user record, debt, sales, payments, ledger entries, orders (with their receipts' " +
                             "metadata), contracts, notifications, sessions (never a token) and the audit entries of their acts or " +
                             "naming them, as one JSON document. The system (no person) is 422 rule_broken.",
                         access: "signed in (self)", minimumRole: .user, answer: .json("PersonalDataExport")),
        ]
    }

    static var orders: [APIOperation] {
        return [
            APIOperation(method: "GET", path: "/api/orders", tag: "Orders", summary: "List orders",
                         access: "user: their own; admin: all", minimumRole: .user, parameters: ["orderState"] + list, answer: .json("OrderList")),
            APIOperation(method: "GET", path: "/api/orders/{id}", tag: "Orders", summary: "One order",
                         access: "the order's customer; admin", minimumRole: .user, answer: .json("Order")),
        ]
    }

    static var contracts: [APIOperation] {
        return [
            APIOperation(method: "GET", path: "/api/contracts", tag: "Contracts", summary: "List contracts",
                         access: "the parties (owner: all)", minimumRole: .user, parameters: ["contractState"] + list, answer: .json("ContractList")),
            APIOperation(method: "GET", path: "/api/contracts/{id}", tag: "Contracts", summary: "One contract",
                         access: "the parties; owner", minimumRole: .user, answer: .json("Contract")),
        ]
    }

    static var accounts: [APIOperation] {
        [
            APIOperation(method: "GET", path: "/api/users", tag: "Users", summary: "List users",
                         access: "owner", minimumRole: .owner, parameters: list, answer: .json("UserList")),
            APIOperation(method: "GET", path: "/api/users/{id}", tag: "Users", summary: "One user",
                         access: "owner and admins; a user may read themself", minimumRole: .user, answer: .json("User")),
            APIOperation(method: "GET", path: "/api/notifications", tag: "Notifications", summary: "The caller's notifications",
                         access: "signed in (self)", minimumRole: .user, parameters: ["unread"] + list, answer: .json("NotificationList")),
            APIOperation(method: "GET", path: "/api/notifications/wording", tag: "Notifications", summary: "The words of every notification kind",
                         description: "The one catalogue the bot and the MiniApp word notifications from, in Portuguese and English: " +
                             "a client fills its reader's language's templates with a notification's `params`, and shows the stored " +
                             "`title` and `body` for a notification without `params` or of a kind it does not find here.",
                         access: "anyone", minimumRole: .anyone, answer: .json("NotificationWording")),
            APIOperation(method: "GET", path: "/api/transactions", tag: "Ledger", summary: "The money ledger",
                         access: "owner", minimumRole: .owner, parameters: ["userId"] + list, answer: .json("LedgerEntryList")),
            APIOperation(method: "GET", path: "/api/audit", tag: "Audit", summary: "The audit trail",
                         access: "owner", minimumRole: .owner, parameters: ["actorId"] + list, answer: .json("AuditEntryList")),
            APIOperation(method: "GET", path: "/api/commands", tag: "Commands", summary: "The bot commands the caller may run",
                         access: "signed in", minimumRole: .user, answer: .json("CommandList")),
            APIOperation(method: "POST", path: "/api/commands/execute", tag: "Commands", summary: "Run a command: a table command, or a bot command as the chat would",
                         description: "With `params`, runs the command of that name from the command table (the same as its REST route and "
                             + "the socket's `command`), answering the record under its name and id; `Feed-Sequence` names its commit. "
                             + "With `args`, the command bridge: the same parser and handlers as the Telegram bot, so the same line gives the same answer. "
                             + "`text` is the bot's reply (Telegram HTML), `data` its facts. A refusal is the contract's error with the shop's code "
                             + "and the bot's words as `message`. Money commands honour `Idempotency-Key`.",
                         access: "per command (CONTRACT.md's bot table)", minimumRole: .user, parameters: ["IdempotencyKey"],
                         body: "CommandLine", answer: .json("CommandAnswer"),
                         errors: [.notFound, .conflict, .preconditionFailed, .unprocessable, .serviceUnavailable]),
            APIOperation(method: "POST", path: "/telegram/webhook", tag: "Commands", summary: "Telegram's webhook deliveries",
                         description: "Telegram posts bot updates here when the server has an https `--public-url`. The "
                             + "`X-Telegram-Bot-Api-Secret-Token` header must carry the secret set with `setWebhook`; the update is "
                             + "acknowledged at once and handled after. A server whose bot takes updates by long polling (no https "
                             + "`--public-url`, or no bot token) has no webhook: 404 `webhook_off`.",
                         access: "Telegram (secret token)", minimumRole: .anyone, parameters: ["TelegramSecretToken"],
                         body: "TelegramUpdate", answer: .json("Accepted"), errors: [.notFound]),
        ]
    }

    static var reports: [APIOperation] {
        [
            APIOperation(method: "GET", path: "/api/dashboard", tag: "Reports", summary: "Today's figures, the last 90 days, low stock, debt and top lists",
                         access: "admin", minimumRole: .admin, answer: .json("Dashboard")),
            APIOperation(method: "GET", path: "/api/settings", tag: "Settings", summary: "The shop's settings",
                         description: "The shop's time zone and the bot's daily summary (defaults before the owner changes them: " +
                             "America/Sao_Paulo, the summary off, at 21:00). Admins read them; only the owner changes them (PUT).",
                         access: "admin", minimumRole: .admin, answer: .json("ShopSettings")),
            APIOperation(method: "GET", path: "/api/reports", tag: "Reports", summary: "A sales report",
                         access: "admin", minimumRole: .admin, parameters: ["reportFrom", "reportTo", "groupBy"], answer: .json("Report"),
                         errors: [.unprocessable]),
            APIOperation(method: "GET", path: "/api/reports/export.csv", tag: "Reports", summary: "The same report as CSV",
                         access: "admin", minimumRole: .admin, parameters: ["reportFrom", "reportTo", "groupBy"],
                         answer: .other(mediaType: "text/csv", schema: "CSV with a header row (key, label, sales, units, revenue, currency, " +
                                        "lifetimeRevenue, debt: the last two on buyer rows only); amounts in minor units; sent as an attachment."),
                         errors: [.unprocessable]),
            APIOperation(method: "GET", path: "/api/reports/export.xlsx", tag: "Reports", summary: "The same report as an .xlsx workbook",
                         access: "admin", minimumRole: .admin, parameters: ["reportFrom", "reportTo", "groupBy"],
                         answer: .other(mediaType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                        schema: "A workbook with typed cells (amounts as currency numbers with two decimals, days and months as dates): " +
                                            "sheets Summary, By day|week|month|product (none for buyer), Customers; sent as an attachment."),
                         errors: [.unprocessable, .serviceUnavailable]),
        ]
    }

    static var realtime: [APIOperation] {
        [
            APIOperation(method: "GET", path: "/ws", tag: "Realtime", summary: "WebSocket: live events and commands",
                         description: """
                            Upgrade to a WebSocket; every message is one JSON text frame. Authenticate with `?token=` or a first \
                            message `{"type": "auth", "token"}`. Client messages: subscribe (`topics`, `since`), unsubscribe, \
                            command (`id`, `command`, `params`), presence (`view`), ping, `auth` again with a refreshed \
                            token, and `watch` (`id`, `collection`, `filter`, `order`, `limit`; `since`, `epoch`, `have` to resume) \
                            and `unwatch` (`id`) for live queries (README, "Live queries"): `query_snapshot` (`id`, `seq`, `epoch`, \
                            `collection`, `records`, and `reason` when it replaces a result), then `query_diff` (`id`, `seq`, \
                            `enter`, `update`, `leave`, `resumed`) in commit order; a refused or ended watch is an `error` with its `id`. \
                            A subscribe's `since` goes with the `epoch` it belongs to (or `?since=&epoch=` on the address). \
                            Server messages: ready (with the store's `epoch` and the token's `expiresAt`), event, result (a table command's carries \
                            `seq`, its commit's place in the feed), error, resync, pong; \
                            `access` (`role`, `topics`) when the caller's role changes; `auth_expiring` ahead of the token's \
                            expiry and `auth_ok` after a re-authentication; `closed` (`code`, `reason`) before the close \
                            frame when the session ends: 4001 `session_ended` (logout, session ended, refresh family \
                            revoked), 4002 `token_expired` (not re-authenticated in time), 4003 `user_blocked` (README, \
                            "Live sessions"). A request that is not an upgrade answers 426 `upgrade_required`.
                            """,
                         access: "signed in (the token is checked after the upgrade)", minimumRole: .user, parameters: ["token"],
                         status: 101, answerDescription: "Switching Protocols: the WebSocket is open.", answer: .empty, errors: [.upgradeRequired]),
            APIOperation(method: "GET", path: "/api/changes", tag: "Realtime", summary: "A page of the change feed (long-poll)",
                         description: """
                            Filtered to what the caller may see, with the WebSocket's event frames, and the role and topics \
                            it was filtered with. A page that waits (`wait`) asks again every tenth of a second with the \
                            caller's role then; it is answered 401 `session_ended` or `token_expired`, or 403 \
                            `user_blocked`, as soon as that happens.
                            """,
                         access: "signed in", minimumRole: .user, parameters: ["since", "epoch", "changesLimit", "wait", "topics"],
                         answer: .json("ChangesPage"), errors: [.gone]),
            APIOperation(method: "GET", path: "/api/events", tag: "Realtime", summary: "The change feed as Server-Sent Events",
                         description: "The first event is `event: ready` with `{\"type\":\"ready\",\"seq\",\"epoch\"}`. " +
                             "Each event is `id: <seq>` and `data: <frame>`; resumes after the later of `since` and `Last-Event-ID` " +
                             "(an EventSource reconnects to the same URL and names the last event it got in the header). " +
                             "The stream follows the caller's session: an `access` frame when the role changes, and a last `closed` frame " +
                             "(`session_ended`, `token_expired`, `user_blocked`) before it ends. With `watch`, live queries' " +
                             "`query_snapshot` and `query_diff` frames come on the same stream (they carry no `id:` line: " +
                             "the topics' resume point is the events'); a `watch` that is no query the server can run is refused " +
                             "with 422 `invalid_input` naming `watch[i].<field>`, before the stream starts.",
                         access: "signed in", minimumRole: .user, parameters: ["since", "epoch", "topics", "watch", "LastEventID"],
                         answer: .eventStream("ChangeEvent"), errors: [.unprocessable]),
        ]
    }
}

extension CommandEntry.Answer {
    /// The success answer as the document shows it.
    var documented: APIOperation.Answer {
        switch self {
        case .record(_, let schema), .count(_, let schema): .json(schema)
        case .nothing: .empty
        }
    }
}
