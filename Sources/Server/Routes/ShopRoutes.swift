import Foundation
import Hummingbird
import Shop
import Store

/// The shop's resources: products and stock, purchases, sales, payments, debts, the
/// dashboard and the commands a caller may run. Every route is a thin adapter: it parses
/// input, names the principal and calls one command or query.
struct ShopRoutes {
    let shop: Shop

    struct NewProduct: Decodable, Sendable {
        let name: String
        let emoji: String?
        let description: String?
        let category: String?
        let price: Int64
        let currency: String?
        let stock: Int64?
        let lowStockThreshold: Int64?
        let mediaIds: [String]?

        var command: CreateProduct {
            CreateProduct(name: name, emoji: emoji ?? "", description: description ?? "", category: category ?? "", price: price,
                          currency: currency, stock: stock ?? 0, lowStockThreshold: lowStockThreshold ?? 5, mediaIds: mediaIds ?? [])
        }
    }

    struct ProductChanges: Decodable, Sendable {
        let name: String?
        let emoji: String?
        let description: String?
        let category: String?
        let price: Int64?
        let lowStockThreshold: Int64?
        let mediaIds: [String]?
        let active: Bool?
    }

    struct StockChange: Decodable, Sendable {
        let delta: Int64
        let reason: String?
        let note: String?
    }

    struct PurchaseBody: Decodable, Sendable {
        struct Item: Decodable, Sendable {
            let productId: BodyID<ProductID>
            let quantity: Int64

            var lineItem: LineItem { LineItem(productId: productId.value, quantity: quantity) }
        }
        let buyerId: BodyID<UserID>
        let items: [Item]

        var command: Buy { Buy(buyerId: buyerId.value, items: items.map(\.lineItem)) }
    }

    struct PaymentBody: Decodable, Sendable {
        let userId: BodyID<UserID>
        let amount: Int64
        let currency: String?
        let method: String?
        let note: String?

        var command: RecordPayment {
            RecordPayment(userId: userId.value, amount: amount, currency: currency, method: method ?? "pix", note: note ?? "")
        }
    }

    func add(to router: Router<AppRequestContext>) {
        let productLists = ProductListCache()
        router.get("/api/products") { request, context -> Response in
            // The head is read first: an answer kept under it can only be as new or newer.
            let head = shop.feedHead
            let key = context.principal.userId.map { ProductListCache.Key(userId: $0, query: request.uri.query ?? "") }
            if let key, let body = productLists.body(for: key, at: head) { return ProductListJSON.response(body) }
            let query = request.uri.queryParameters
            let page = try shop.products(search: query["search"].map(String.init), category: query["category"].map(String.init),
                                         includeArchived: try request.flag("archived"), page: try request.pageRequest(), as: context.principal)
            let body = ProductListJSON.body(page)
            if let key { productLists.keep(body, for: key, at: head) }
            return ProductListJSON.response(body)
        }
        router.get("/api/products/:id") { _, context -> JSON<ProductView> in
            let record = try shop.product(try context.id("id", .product), as: context.principal)
            return JSON(ProductView(record.value, version: record.version))
        }
        router.post("/api/products") { request, context -> JSON<ProductView> in
            let body = try await request.decodeStrict(as: NewProduct.self, context: context)
            let product = try await shop.execute(body.command, as: context.principal, idempotencyKey: request.idempotencyKey)
            return JSON(ProductView(product, version: try shop.product(product.id, as: context.principal).version), status: .created)
        }
        for method in [HTTPRequest.Method.patch, .put] {
            router.on("/api/products/:id", method: method) { request, context -> JSON<ProductView> in
                let id = try context.id("id", .product)
                let body = try await request.decodeStrict(as: ProductChanges.self, context: context)
                let product = try await shop.execute(UpdateProduct(
                    productId: id, expectedVersion: try request.expectedVersion(), name: body.name, emoji: body.emoji,
                    description: body.description, category: body.category, price: body.price,
                    lowStockThreshold: body.lowStockThreshold, mediaIds: body.mediaIds, active: body.active), as: context.principal)
                return JSON(ProductView(product, version: try shop.product(id, as: context.principal).version))
            }
        }
        router.delete("/api/products/:id") { request, context -> JSON<ProductView> in
            let id = try context.id("id", .product)
            let product = try await shop.execute(ArchiveProduct(productId: id, expectedVersion: try request.expectedVersion()), as: context.principal)
            return JSON(ProductView(product, version: try shop.product(id, as: context.principal).version))
        }
        router.post("/api/products/:id/stock") { request, context -> JSON<ProductView> in
            let id = try context.id("id", .product)
            let body = try await request.decodeStrict(as: StockChange.self, context: context)
            guard let reason = StockMovement.Reason(rawValue: body.reason ?? "adjustment") else {
                throw APIError.invalid("reason", "reason must be adjustment, restock or return")
            }
            let product = try await shop.execute(AdjustStock(productId: id, delta: body.delta, reason: reason, note: body.note ?? ""),
                                                 as: context.principal, idempotencyKey: request.idempotencyKey)
            return JSON(ProductView(product, version: try shop.product(id, as: context.principal).version))
        }
        for path: RouterPath in ["/api/purchases", "/api/purchase"] {
            router.post(path) { request, context -> JSON<SaleView> in
                let body = try await request.decodeStrict(as: PurchaseBody.self, context: context)
                let sale = try await shop.execute(body.command, as: context.principal, idempotencyKey: request.idempotencyKey)
                return JSON(SaleView(sale, version: try shop.sale(sale.id, as: context.principal).version), status: .created)
            }
        }
        router.get("/api/sales") { request, context -> JSON<ListBody<SaleView>> in
            let page = try shop.sales(from: try request.date("from"), to: try request.date("to"), buyerId: try request.id("buyerId", .user),
                                      productId: try request.id("productId", .product), page: try request.pageRequest(), as: context.principal)
            return JSON(ListBody(page) { SaleView($0.value, version: $0.version) })
        }
        router.post("/api/payments") { request, context -> JSON<PaymentView> in
            let body = try await request.decodeStrict(as: PaymentBody.self, context: context)
            let payment = try await shop.execute(body.command, as: context.principal, idempotencyKey: request.idempotencyKey)
            return JSON(PaymentView(payment, version: try storedVersion(of: payment, as: context.principal)), status: .created)
        }
        router.get("/api/payments") { request, context -> JSON<ListBody<PaymentView>> in
            let page = try shop.payments(userId: try request.id("userId", .user), page: try request.pageRequest(), as: context.principal)
            return JSON(ListBody(page) { PaymentView($0.value, version: $0.version) })
        }
        router.get("/api/debts") { _, context -> JSON<ListBody<DebtView>> in
            let debts = try shop.debts(as: context.principal)
            return JSON(ListBody(Page(items: debts, next: nil)) { DebtView(userId: $0.userId, amount: $0.amount, currency: $0.currency) })
        }
        router.get("/api/debts/me") { _, context -> JSON<DebtView> in
            guard let userId = context.principal.userId else { throw APIError(.unauthorized, "not_authenticated", "sign in first") }
            let debt = try shop.debt(of: userId, as: context.principal)
            return JSON(DebtView(userId: debt.userId, amount: debt.amount, currency: debt.currency))
        }
        router.get("/api/commands") { _, context -> JSON<ListBody<CommandBody>> in
            JSON(ListBody(Page(items: try shop.me(as: context.principal).commands, next: nil), CommandBody.init))
        }
        router.get("/api/dashboard") { _, context -> JSON<DashboardBody> in
            JSON(DashboardBody(try shop.dashboard(as: context.principal)))
        }
    }

    /// The stored version of a payment just recorded. The shop reads payments by user, newest
    /// first, so the new one is at the top unless others for the same user came in since.
    private func storedVersion(of payment: Payment, as principal: Principal) throws -> UInt64 {
        var page = PageRequest(limit: 20)
        while true {
            let found = try shop.payments(userId: payment.userId, page: page, as: principal)
            if let record = found.items.first(where: { $0.value.id == payment.id }) { return record.version }
            guard let next = found.next else { throw ShopError(.storeFailure, "the payment just recorded was not found") }
            page = PageRequest(limit: 200, cursor: next)
        }
    }

    struct CommandBody: Encodable, Sendable {
        let command: String
        let description: String
        init(_ info: BotCommandInfo) {
            command = info.name
            description = info.descriptionPT
        }
    }

    struct DashboardBody: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let key: String
            let label: String
            let sales: Int64
            let units: Int64
            let revenue: Int64
            init(_ row: ReportRow) { key = row.key; label = row.label; sales = row.sales; units = row.units; revenue = row.revenue }
        }
        let currency: String
        let todaySales: Int64
        let todayRevenue: Int64
        let todayReceived: Int64
        let daily: [Row]
        let lowStockCount: Int
        let outstandingDebt: Int64
        let topProducts: [Row]
        let topBuyers: [Row]

        init(_ d: Dashboard) {
            currency = d.currency; todaySales = d.todaySales; todayRevenue = d.todayRevenue; todayReceived = d.todayReceived
            daily = d.daily.map(Row.init); lowStockCount = d.lowStockCount; outstandingDebt = d.outstandingDebt
            topProducts = d.topProducts.map(Row.init); topBuyers = d.topBuyers.map(Row.init)
        }
    }
}
