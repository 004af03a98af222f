import Foundation
import Hummingbird
import Shop
import Spreadsheet
import Store

/// Reports (JSON, CSV and `.xlsx`) and the inventory screen (admin).
struct ReportRoutes {
    let shop: Shop

    struct ReportBody: Encodable, Sendable {
        let from: String
        let to: String
        let groupBy: String
        let currency: String
        let rows: [Row]
        let totalRevenue: Int64
        let customers: CustomerFiguresView

        /// A dashboard row, plus the buyer's lifetime revenue and debt on buyer rows.
        struct Row: Encodable, Sendable {
            let key: String
            let label: String
            let sales: Int64
            let units: Int64
            let revenue: Int64
            let lifetimeRevenue: Int64?
            let debt: Int64?
            init(_ row: ReportRow) {
                key = row.key; label = row.label; sales = row.sales; units = row.units; revenue = row.revenue
                lifetimeRevenue = row.lifetimeRevenue; debt = row.debt
            }
        }

        init(_ report: Report) {
            from = RFC3339.string(from: report.from); to = RFC3339.string(from: report.to); groupBy = report.groupBy.rawValue
            currency = report.currency; rows = report.rows.map(Row.init); totalRevenue = report.totalRevenue
            customers = CustomerFiguresView(report.customers)
        }
    }

    struct InventoryItem: Encodable, Sendable {
        let product: ProductView
        let isLow: Bool
    }

    func add(to router: Router<AppRequestContext>) {
        router.get("/api/reports") { request, context -> JSON<ReportBody> in
            JSON(ReportBody(try self.report(request, context)))
        }
        router.get("/api/reports/export.csv") { request, context -> Response in
            let report = try self.report(request, context)
            return Response(status: .ok, headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"tenda-\(report.groupBy.rawValue).csv\"",
            ], body: .init(byteBuffer: ByteBuffer(string: report.csv)))
        }
        router.get("/api/reports/export.xlsx") { request, context -> Response in
            let report = try self.report(request, context)
            let bytes: [UInt8]
            do {
                bytes = try Workbook.xlsx(ReportWorkbook.sheets(report))
            } catch let error as SpreadsheetError {
                // The library is missing on this machine (or refused the workbook): say which package fixes it.
                throw APIError(.serviceUnavailable, "spreadsheet_unavailable", error.description)
            }
            return Response(status: .ok, headers: [
                .contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                .contentDisposition: "attachment; filename=\"tenda-\(report.groupBy.rawValue).xlsx\"",
            ], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.get("/api/inventory") { _, context -> JSON<ListBody<InventoryItem>> in
            let lines = try shop.inventory(as: context.principal)
            return JSON(ListBody(Page(items: lines, next: nil)) { InventoryItem(product: ProductView($0.product.value, version: $0.product.version), isLow: $0.isLow) })
        }
    }

    /// The report the query asks for: `from`, `to` (RFC 3339; default the last 30 days) and `groupBy`.
    private func report(_ request: Request, _ context: AppRequestContext) throws -> Report {
        let to = try request.date("to") ?? Date()
        let from = try request.date("from") ?? to.addingTimeInterval(-29 * 86_400)
        let grouping = String(request.uri.queryParameters["groupBy"] ?? "day")
        guard let groupBy = ReportGrouping(rawValue: grouping) else {
            throw APIError.invalid("groupBy", "groupBy must be day, week, month, product or buyer")
        }
        return try shop.report(from: from, to: to, groupBy: groupBy, as: context.principal)
    }
}
