import Foundation
import Shop
import Spreadsheet

/// A report as a workbook: a summary sheet, the grouping's rows, and the customers.
///
/// Amounts are money cells (minor units ÷ 100, two decimals, the currency in the header),
/// days, weeks and months are date cells, counts are numbers, names and ids are text.
enum ReportWorkbook {
    static func sheets(_ report: Report) -> [Sheet] {
        let currency = report.currency
        let customers = report.customers
        let summary = Sheet(name: "Summary", header: ["Figure", "Value"], rows: [
            [.text("From"), .day(report.from)],
            [.text("To"), .day(report.to)],
            [.text("Grouped by"), .text(report.groupBy.rawValue)],
            [.text("Currency"), .text(currency)],
            [.text("Revenue (\(currency))"), .money(report.totalRevenue)],
            [.text("Sales"), .integer(customers.sales)],
            [.text("Buyers"), .integer(customers.buyers)],
            [.text("Repeat buyers"), .integer(customers.repeatBuyers)],
            [.text("Average basket (\(currency))"), .money(customers.averageBasket)],
        ])
        let customerHeader = ["Customer id", "Customer", "Sales", "Revenue (\(currency))", "Lifetime revenue (\(currency))", "Debt (\(currency))"]
        let customerSheet = Sheet(name: "Customers", header: customerHeader, rows: customers.rows.map {
            [.text($0.key), .text($0.name), .integer($0.sales), .money($0.revenue), .money($0.lifetimeRevenue), .money($0.debt)]
        })
        let grouped: Sheet
        switch report.groupBy {
        case .day, .week, .month:
            let title = ["day": "Day", "week": "Week (Monday)", "month": "Month"][report.groupBy.rawValue] ?? "Period"
            grouped = Sheet(name: "By \(report.groupBy.rawValue)", header: [title, "Sales", "Revenue (\(currency))"], rows: report.rows.map { row in
                [period(row.key, report.groupBy), .integer(row.sales), .money(row.revenue)]
            })
        case .product:
            grouped = Sheet(name: "By product", header: ["Product id", "Product", "Units", "Revenue (\(currency))"], rows: report.rows.map {
                [.text($0.key), .text($0.label), .integer($0.units), .money($0.revenue)]
            })
        case .buyer:
            // The buyer rows are the customers: one sheet says it once.
            return [summary, customerSheet]
        }
        return [summary, grouped, customerSheet]
    }

    /// A period's key as a date cell: "2026-11-16" a day (a week's Monday), "2026-11" a month.
    private static func period(_ key: String, _ grouping: ReportGrouping) -> Cell {
        let parts = key.split(separator: "-").compactMap { Int($0) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        guard parts.count >= 2,
              let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts.count > 2 ? parts[2] : 1)) else {
            return .text(key)
        }
        return grouping == .month ? .month(date) : .day(date)
    }
}
