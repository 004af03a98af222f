import Foundation
import Hummingbird
import Shop
import Store

/// The shop's resources to read: products, sales, payments, debts, the dashboard and the
/// commands a caller may run (the writes to them are in ``CommandTable``).
struct ShopRoutes {
    let shop: Shop

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
        router.get("/api/products/:id/stock-movements") { request, context -> JSON<ListBody<StockMovementView>> in
            let history = try shop.stockHistory(of: try context.id("id", .product), page: try request.pageRequest(), as: context.principal)
            return JSON(ListBody(history.page, StockMovementView.init))
        }
        router.get("/api/sales") { request, context -> JSON<ListBody<SaleView>> in
            let page = try shop.sales(from: try request.date("from"), to: try request.date("to"), buyerId: try request.id("buyerId", .user),
                                      productId: try request.id("productId", .product), page: try request.pageRequest(), as: context.principal)
            return JSON(ListBody(page) { SaleView($0.value, version: $0.version) })
        }
        router.get("/api/sales/:id") { _, context -> JSON<SaleView> in
            let record = try shop.sale(try context.id("id", .sale), as: context.principal)
            return JSON(SaleView(record.value, version: record.version))
        }
        router.get("/api/payments") { request, context -> JSON<ListBody<PaymentView>> in
            let page = try shop.payments(userId: try request.id("userId", .user), page: try request.pageRequest(), as: context.principal)
            return JSON(ListBody(page) { PaymentView($0.value, version: $0.version) })
        }
        router.get("/api/debts") { _, context -> JSON<ListBody<DebtView>> in
            let debts = try shop.debts(as: context.principal)
            return JSON(ListBody(Page(items: debts, next: nil)) { DebtView(userId: $0.userId, amount: $0.amount, currency: $0.currency) })
        }
        router.get("/api/debts/reminders") { _, context -> JSON<ListBody<DebtorView>> in
            let now = Date()
            return JSON(ListBody(Page(items: try shop.debtors(now: now, as: context.principal), next: nil)) { DebtorView($0, now: now) })
        }
        router.get("/api/debts/me") { _, context -> JSON<DebtView> in
            guard let userId = context.principal.userId else { throw APIError(.unauthorized, "not_authenticated", "sign in first") }
            let debt = try shop.debt(of: userId, as: context.principal)
            return JSON(DebtView(userId: debt.userId, amount: debt.amount, currency: debt.currency))
        }
        router.get("/api/me/export") { _, context -> JSON<PersonalDataExport> in
            JSON(try shop.personalData(as: context.principal))
        }
        router.get("/api/commands") { _, context -> JSON<ListBody<CommandBody>> in
            JSON(ListBody(Page(items: try shop.me(as: context.principal).commands, next: nil), CommandBody.init))
        }
        router.get("/api/dashboard") { _, context -> JSON<DashboardBody> in
            JSON(DashboardBody(try shop.dashboard(as: context.principal)))
        }
        router.get("/api/settings") { _, context -> JSON<ShopSettingsView> in
            JSON(ShopSettingsView(try shop.preferences(as: context.principal)))
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
