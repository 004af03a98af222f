import Foundation
import Shop

/// Every write the API offers, each declared once (see ``CommandEntry``). Adding a command is
/// one entry here and its shop command (with its `Decodable` input in
/// Sources/Shop/Commands/CommandInputs.swift): the REST route, the socket's and
/// `/api/commands/execute`'s `command`, `tenda run` and the OpenAPI document follow from it.
enum CommandTable {
    typealias S = OpenAPISchema
    typealias L = Bounds.Length

    static let entries: [CommandEntry] = products + sales + orders + contracts + accounts

    /// The entry named `name`, as the socket and `/api/commands/execute` name commands.
    static func entry(named name: String) -> CommandEntry? { byName[name] }

    private static let byName = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0) })

    // MARK: Products and stock

    static var products: [CommandEntry] {
        let changes = S.object("Only the fields sent change.", required: [], [
            "name": S.text(maxLength: L.name, required: true),
            "emoji": S.text(maxLength: L.emoji),
            "description": S.text(maxLength: L.description),
            "category": S.text(maxLength: L.category),
            "price": S.money(in: Bounds.price),
            "lowStockThreshold": S.integer(in: Bounds.threshold),
            "mediaIds": S.array(S.text(maxLength: L.mediaId, required: true), count: 0...Bounds.mediaPerProduct),
            "active": S.boolean(),
        ])
        let update = { (method: String) in
            CommandEntry.Door.on(.init(method)!, "/api/products/{id}", tag: "Products", "Update a product (\(method))",
                                 "Only the fields sent change. PATCH and PUT behave the same.")
        }
        return [
            .record(CreateProduct.self, key: "product", schema: "Product", view: ProductView.init, access: "admin", idempotent: true,
                    body: ("NewProduct", S.object(nil, required: ["name", "price"], [
                        "name": S.text(maxLength: L.name, required: true),
                        "emoji": S.text("Default \"\".", maxLength: L.emoji),
                        "description": S.text("Default \"\".", maxLength: L.description),
                        "category": S.text("Default \"\".", maxLength: L.category),
                        "price": S.money(in: Bounds.price),
                        "currency": S.currencyCode,
                        "stock": S.integer("Opening stock; default 0.", in: Bounds.openingStock),
                        "lowStockThreshold": S.integer("Default 5.", in: Bounds.threshold),
                        "mediaIds": S.array(S.text(maxLength: L.mediaId, required: true), count: 0...Bounds.mediaPerProduct),
                    ])),
                    doors: [.post("/api/products", status: .created, tag: "Products", "Create a product")], errors: [.conflict]),
            .record(UpdateProduct.self, key: "product", schema: "Product", view: ProductView.init, access: "admin",
                    pathField: ("productId", .product), body: ("ProductChanges", changes),
                    doors: [update("PATCH"), update("PUT")], errors: [.conflict, .unprocessable]),
            .record(ArchiveProduct.self, key: "product", schema: "Product", view: ProductView.init, access: "admin",
                    pathField: ("productId", .product), bodyRequired: false,
                    doors: [.on(.delete, "/api/products/{id}", tag: "Products", "Archive a product (soft delete)",
                                "The product stays, with active false; it answers the archived product.")],
                    errors: [.conflict]),
            .record(AdjustStock.self, key: "product", schema: "Product", view: ProductView.init, access: "admin", idempotent: true,
                    pathField: ("productId", .product),
                    body: ("StockChange", S.object(nil, required: ["delta"], [
                        "delta": S.integer("Units to add (positive) or remove (negative); not zero, and only adjustment removes.",
                                           in: Bounds.stockAdjustment).merging(["not": ["const": 0]]) { a, _ in a },
                        "reason": S.string("Default adjustment.", enumeration: AdjustStock.reasons.map(\.rawValue)),
                        "note": S.text(maxLength: L.note),
                    ])),
                    doors: [.post("/api/products/{id}/stock", tag: "Products", "Adjust a product's stock",
                                  "Adds `delta` units (negative removes them); answers the product with its new stock.")],
                    errors: [.conflict]),
            .record(Restock.self, key: "product", schema: "Product", view: ProductView.init, access: "admin", idempotent: true,
                    body: ("RestockRequest", S.object("Units received (the socket's and the bot's restock).", required: ["productId", "quantity"], [
                        "productId": S.id("p", example: "p3"),
                        "quantity": S.integer(in: Bounds.quantity),
                        "note": S.text(maxLength: L.note),
                    ])),
                    doors: []),
            .record(SetThreshold.self, key: "product", schema: "Product", view: ProductView.init, access: "admin",
                    pathField: ("productId", .product),
                    body: ("ThresholdChange", S.object(nil, required: ["lowStockThreshold"], ["lowStockThreshold": S.integer(in: Bounds.threshold)])),
                    doors: [.on(.patch, "/api/inventory/{id}", tag: "Inventory", "Set a product's low-stock threshold")],
                    errors: [.unprocessable]),
        ]
    }

    // MARK: Sales and money

    static var sales: [CommandEntry] {
        let purchase = ("PurchaseRequest", S.object(nil, required: ["buyerId", "items"], [
            "buyerId": S.id("u", example: "u1"),
            "items": S.array(S.ref("LineItem"), "No product twice.", count: Bounds.lines),
        ]))
        let takesStock = "Takes the stock and raises the buyer's debt in one step. 409 insufficient_stock lists the short items."
        return [
            .record(Buy.self, key: "sale", schema: "Sale", view: SaleView.init, access: "admin", idempotent: true, body: purchase,
                    doors: [.post("/api/purchases", status: .created, tag: "Sales", "Record a purchase", takesStock),
                            .post("/api/purchase", status: .created, tag: "Sales", "Record a purchase (alias of /api/purchases)", takesStock)],
                    errors: [.notFound, .conflict]),
            .record(RecordPayment.self, key: "payment", schema: "Payment", view: PaymentView.init, access: "admin", idempotent: true,
                    body: ("PaymentRequest", S.object(nil, required: ["userId", "amount"], [
                        "userId": S.id("u", example: "u1"),
                        "amount": S.money(in: Bounds.amount, "Minor units; at most what the user owes."),
                        "currency": S.currencyCode,
                        "method": S.text("Default pix.", maxLength: L.method, required: true, example: "pix"),
                        "note": S.text(maxLength: L.note),
                    ])),
                    doors: [.post("/api/payments", status: .created, tag: "Payments", "Record a payment", "Lowers the user's debt.")],
                    errors: [.notFound]),
            .record(Refund.self, key: "sale", schema: "Sale", view: SaleView.init, access: "admin", idempotent: true,
                    pathField: ("saleId", .sale),
                    body: ("RefundRequest", S.object("Which units to give back; an empty body refunds every unit not refunded yet.", required: [], [
                        "items": S.array(S.ref("LineItem"), "Default every unit not refunded yet. No product twice.", count: Bounds.lines),
                        "restock": S.boolean("Put the units back in stock; default true."),
                        "note": S.text(maxLength: L.note),
                    ])),
                    bodyRequired: false,
                    doors: [.post("/api/sales/{id}/refund", tag: "Sales", "Refund a whole sale or some of its units",
                                  "Lowers the buyer's debt by the refunded units' price (a `refund` ledger entry), puts the units back " +
                                      "in stock unless `restock` is false, notifies the buyer and answers the sale with its " +
                                      "`refundedQuantities`. Never more than was sold: more units than are left is 422 `rule_broken` " +
                                      "(field `items[n].quantity`); so are a product the sale does not hold and a sale refunded in full.")],
                    errors: [.notFound, .unprocessable]),
        ]
    }

    // MARK: Orders

    static var orders: [CommandEntry] {
        let reason = ("ReasonRequest", S.object(nil, required: [], ["reason": S.text(maxLength: L.reason)]))
        // `idempotent`: the step moves money or stock (verify books the sale and the payment; reject
        // and cancel give the reserved units back), so a retried request must answer the first result
        // rather than a 409 for a state the first one already reached.
        func step<C: ShopCommand & Decodable>(_ type: C.Type, _ path: String, _ summary: String, _ access: String,
                                              body: (String, OpenAPISchema.Object)? = nil, required: Bool = false,
                                              idempotent: Bool = false) -> CommandEntry where C.Result == Order {
            .record(type, key: "order", schema: "Order", view: OrderView.init, access: access, idempotent: idempotent, pathField: ("orderId", .order),
                    body: body, bodyRequired: required, doors: [.post(path, tag: "Orders", summary)], errors: [.conflict, .unprocessable])
        }
        return [
            .record(PlaceOrder.self, key: "order", schema: "Order", view: OrderView.init,
                    access: "user (for themself); admin (for any customerId)", idempotent: true,
                    body: ("OrderRequest", S.object(nil, required: ["items"], [
                        "items": S.array(S.ref("LineItem"), "No product twice.", count: Bounds.lines),
                        "customerId": S.id("u", example: "u1", "Admins may order for a customer; default the caller."),
                    ])),
                    doors: [.post("/api/orders", status: .created, tag: "Orders", "Place an order",
                                  "Reserves the stock; the order waits for the payment receipt (pending_payment).")],
                    errors: [.conflict]),
            step(SubmitReceipt.self, "/api/orders/{id}/receipt", "Send the payment receipt", "the order's customer",
                 body: ("ReceiptRequest", S.object(nil, required: ["mediaId"], [
                     "mediaId": S.text("The uploaded receipt image.", maxLength: L.mediaId, required: true),
                 ])), required: true),
            step(VerifyOrder.self, "/api/orders/{id}/verify", "Verify the payment (records the sale)", "admin", idempotent: true),
            step(RejectOrder.self, "/api/orders/{id}/reject", "Reject the receipt", "admin",
                 body: ("RejectRequest", S.object("Tell the customer why.", required: ["reason"], ["reason": S.text(maxLength: L.reason, required: true)])),
                 required: true, idempotent: true),
            step(FulfilOrder.self, "/api/orders/{id}/fulfil", "Mark the order delivered", "admin"),
            step(CancelOrder.self, "/api/orders/{id}/cancel", "Cancel the order (releases the stock)", "the order's customer; admin",
                 body: reason, idempotent: true),
        ]
    }

    // MARK: Contracts

    static var contracts: [CommandEntry] {
        let reason = ("ReasonRequest", S.object(nil, required: [], ["reason": S.text(maxLength: L.reason)]))
        func step<C: ShopCommand & Decodable>(_ type: C.Type, _ path: String, _ summary: String, _ access: String,
                                              body: (String, OpenAPISchema.Object)? = nil) -> CommandEntry where C.Result == Contract {
            .record(type, key: "contract", schema: "Contract", view: ContractView.init, access: access,
                    pathField: ("contractId", .contract), body: body, bodyRequired: false,
                    doors: [.post(path, tag: "Contracts", summary)], errors: [.conflict, .unprocessable])
        }
        return [
            .record(CreateContract.self, key: "contract", schema: "Contract", view: ContractView.init, access: "owner",
                    body: ("ContractRequest", S.object(nil, required: ["title", "terms", "amount", "parties"], [
                        "title": S.text(maxLength: L.title, required: true),
                        "terms": S.text(maxLength: L.terms, required: true),
                        "amount": S.money(in: Bounds.contractAmount),
                        "parties": S.array(S.ref("ContractPartyInput"), "No person twice.", count: Bounds.contractParties),
                        "requiredConfirmations": S.integer("1 to the number of parties; default all parties.", format: "int32", minimum: 1,
                                                           maximum: Bounds.contractParties.upperBound),
                        "draft": S.boolean("Keep it as a draft (send it later with /submit); default false."),
                    ])),
                    doors: [.post("/api/contracts", status: .created, tag: "Contracts", "Create a contract",
                                  "Sent to the parties at once (pending) unless `draft` is true.")],
                    errors: [.notFound, .unprocessable]),
            step(SubmitContract.self, "/api/contracts/{id}/submit", "Send a draft to the parties", "owner"),
            step(ConfirmContract.self, "/api/contracts/{id}/confirm", "Confirm as a party", "a party"),
            step(DeclineContract.self, "/api/contracts/{id}/decline", "Decline as a party", "a party", body: reason),
            step(CancelContract.self, "/api/contracts/{id}/cancel", "Cancel the contract", "owner", body: reason),
            step(CompleteContract.self, "/api/contracts/{id}/complete", "Mark an active contract completed", "owner"),
        ]
    }

    // MARK: Users, sessions and notifications

    static var accounts: [CommandEntry] {
        [
            .record(UpdateShopSettings.self, key: "settings", schema: "ShopSettings", view: ShopSettingsView.init, access: "owner",
                    body: ("ShopSettingsChanges", S.object("Only the fields sent change.", required: [], [
                        "timeZone": S.text("An IANA time zone name; one the server does not know is 422 rule_broken.", maxLength: 64,
                                           example: "America/Sao_Paulo"),
                        // Its fields, too, may be left out or sent as null (the same).
                        "dailySummary": S.object(nil, required: [], [
                            "enabled": S.nullable(S.boolean("Whether owners and admins get the daily summary.")),
                            "time": S.nullable(S.string("HH:MM, 00:00 to 23:59, in the shop's time zone.", example: "21:00")
                                .merging(["pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"]) { a, _ in a }),
                        ]),
                        // Its fields, too, may be left out or sent as null (the same).
                        "debtReminders": S.object(nil, required: [], [
                            "enabled": S.nullable(S.boolean("Whether the bot reminds customers of overdue debts and sends admins the daily overdue list.")),
                            "overdueDays": S.nullable(S.integer("Days after its oldest unpaid charge that a debt is overdue.", format: "int32",
                                                                minimum: DebtRules.overdueDays.lowerBound, maximum: DebtRules.overdueDays.upperBound)),
                            "intervalDays": S.nullable(S.integer("Days at least between two automatic reminders to one customer.", format: "int32",
                                                                 minimum: DebtRules.intervalDays.lowerBound, maximum: DebtRules.intervalDays.upperBound)),
                            "maxReminders": S.nullable(S.integer("Automatic reminders one debt gets at most (0: none).", format: "int32",
                                                                 minimum: DebtRules.maxReminders.lowerBound, maximum: DebtRules.maxReminders.upperBound)),
                            "quietStart": S.nullable(S.string("HH:MM: no automatic reminder from this time…", example: "21:00")
                                .merging(["pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"]) { a, _ in a }),
                            "quietEnd": S.nullable(S.string("HH:MM: …until this one (the admins' overdue list goes then).", example: "09:00")
                                .merging(["pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"]) { a, _ in a }),
                        ]),
                    ])),
                    bodyRequired: false,
                    doors: [.on(.put, "/api/settings", tag: "Settings", "Change the shop's settings",
                                "The shop's time zone, the bot's daily summary (on or off, and its time) and the debt reminders " +
                                    "(overdue after, interval, maximum, quiet hours). Owner only; answers " +
                                    "the settings as they are after the change.")],
                    errors: [.unprocessable]),
            .record(SendDebtReminder.self, key: "debtor", schema: "Debtor", view: { debtor, _ in DebtorView(debtor) }, access: "admin",
                    idempotent: true, pathField: ("userId", .user),
                    body: ("DebtReminderRequest", S.object(nil, required: [], [
                        "onlyIfDue": S.boolean("Send only when an automatic reminder is due (the bot's schedule); default false."),
                    ])),
                    bodyRequired: false,
                    doors: [.post("/api/debts/{id}/remind", tag: "Debts", "Remind a customer of their debt now",
                                  "Sends the customer a reminder (a `debt_reminder` notification, which the bot delivers to their chat " +
                                      "in their language with what they owe and how to pay) and answers the debtor with the reminder " +
                                      "counted. Someone who owes nothing is 422 `rule_broken`.")],
                    errors: [.notFound, .unprocessable]),
            .record(PauseDebtReminders.self, key: "debtor", schema: "Debtor", view: { debtor, _ in DebtorView(debtor) }, access: "admin",
                    pathField: ("userId", .user),
                    body: ("DebtReminderPause", S.object(nil, required: ["paused"], [
                        "paused": S.boolean("true pauses the automatic reminders to this customer, false resumes them."),
                    ])),
                    doors: [.post("/api/debts/{id}/pause", tag: "Debts", "Pause or resume a customer's automatic reminders",
                                  "An admin may still send one now; answers the debtor.")],
                    errors: [.notFound]),
            .record(UpdateUser.self, key: "user", schema: "User", view: UserView.init, access: "owner",
                    pathField: ("userId", .user),
                    body: ("UserChanges", S.object("Any of them at once; all of it is applied or none.", required: [], [
                        "role": S.string(enumeration: Role.allCases.map(\.rawValue)),
                        "blocked": S.boolean(),
                        // When given, a name must have a character that is not white space (UpdateUser checks it as required).
                        "name": S.text("Until the person next signs in, when Telegram's name for them replaces it.", maxLength: L.personName, required: true),
                        "telegramId": S.integer("Another user's Telegram id is 409 already_exists.", in: Bounds.telegramId),
                    ])),
                    doors: [.on(.patch, "/api/users/{id}", tag: "Users", "Change a user's name, Telegram id, role or block",
                                "An erased person cannot be changed (422 rule_broken).")],
                    errors: [.conflict, .unprocessable]),
            .record(CreateUser.self, key: "user", schema: "User", view: UserView.init, access: "owner",
                    body: ("NewUser", S.object("A person recorded before they first sign in; Telegram's name, username and language " +
                                                "replace these when they do.", required: ["telegramId", "name"], [
                        "telegramId": S.integer(in: Bounds.telegramId),
                        "name": S.text(maxLength: L.personName, required: true),
                        "username": S.text("Telegram's username, with or without the @: 5 to 32 letters, digits or underscores; \"\" is none.",
                                           maxLength: 33).merging(["pattern": "^@?([A-Za-z0-9_]{5,32})?$"]) { _, pattern in pattern },
                        "role": S.string("Default user.", enumeration: Role.allCases.map(\.rawValue)),
                    ])),
                    doors: [.post("/api/users", status: .created, tag: "Users", "Create a user",
                                  "A Telegram id the shop knows already is 409 already_exists.")],
                    errors: [.conflict]),
            .record(EraseUser.self, key: "user", schema: "User", view: UserView.init, access: "owner",
                    pathField: ("userId", .user), bodyRequired: false,
                    doors: [.post("/api/users/{id}/erase", tag: "Users", "Erase a customer's personal data",
                                  "Their name becomes \"Erased customer u7\"; username, language and Telegram id (now the negative of " +
                                      "the shop id) go; sessions are revoked; text naming them in notifications, the audit trail and notes " +
                                      "is replaced, and so are the change feed's retained records, under the same sequences. Sales, " +
                                      "payments, orders and the ledger stay and still balance. Admins, owners and the caller themself are " +
                                      "422 rule_broken; erasing an erased person answers it unchanged.")],
                    errors: [.notFound, .unprocessable]),
            .nothing(EndUserSessions.self, access: "owner", pathField: ("userId", .user),
                     doors: [.on(.delete, "/api/users/{id}/sessions", status: .noContent, tag: "Users", "End every session of a user",
                                 "Revokes every session of the user: each of their devices must sign in again, and their open " +
                                     "connections close. Answers 204 without a body whether or not they had any; the audit trail " +
                                     "records it as endUserSessions.")]),
            .nothing(EndSession.self, access: "signed in (own sessions only)", pathField: ("sessionId", .session),
                     doors: [.on(.delete, "/api/auth/sessions/{id}", status: .noContent, tag: "Auth", "End one of the caller's sessions",
                                 "Revokes the device's whole refresh-token family: its refresh token is refused (401) and its " +
                                     "open connections close. Any id of the family names it. An id that is not one of the caller's " +
                                     "sessions is 404.")]),
            .record(MarkRead.self, key: "notification", schema: "Notification",
                    viewForCaller: { notice, version, call in
                        // In the reader's words, as their list shows it.
                        NotificationView(notice, version: version, language: Language(code: try call.shop.me(as: call.principal).user?.language))
                    }, access: "its addressee",
                    pathField: ("notificationId", .notification), bodyRequired: false,
                    doors: [.post("/api/notifications/{id}/read", tag: "Notifications", "Mark one notification read")]),
            .count(MarkAllRead.self, key: "marked", schema: "Marked", access: "signed in (self)", bodyRequired: false,
                   doors: [.post("/api/notifications/read-all", tag: "Notifications", "Mark all the caller's notifications read")]),
            .count(Notify.self, key: "reached", schema: "Reached", access: "admin",
                   body: ("NewNotification", S.object("Name userId or role (userId wins when both are sent).", required: ["title"], [
                       "userId": S.id("u", example: "u1"),
                       "role": S.string("Send to every user holding this role.", enumeration: Role.allCases.map(\.rawValue)),
                       "title": S.text(maxLength: L.title, required: true),
                       "body": S.text(maxLength: L.notificationBody),
                       "priority": S.string("Default normal.", enumeration: Notice.Priority.allCases.map(\.rawValue)),
                       "link": S.text(maxLength: L.link, required: true),
                   ]).merging(["anyOf": [
                       ["required": ["userId"], "properties": ["userId": ["type": "string"]]],
                       ["required": ["role"], "properties": ["role": ["type": "string"]]],
                   ]]) { a, _ in a }),
                   doors: [.post("/api/notifications", status: .created, tag: "Notifications", "Broadcast a notification",
                                 "To one user (`userId`) or to everyone holding a role (`role`).")],
                   errors: [.notFound, .unprocessable]),
        ]
    }
}
