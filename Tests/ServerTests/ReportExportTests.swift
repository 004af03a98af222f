import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Shop
import Store
import Testing

/// The report downloads: the `.xlsx` workbook read back by LibreOffice and compared, cell by
/// cell and type by type, with the JSON report; the CSV with its customer columns; and who may
/// download them.
///
/// Sales are written through the shop at fixed past times (as `tenda import` does), so the
/// range holds known sales; the payment goes over HTTP.
@Suite(.timeLimit(.minutes(5))) struct ReportExportTests {
    static func time(_ text: String) -> Date { RFC3339.date(from: text)! }
    static let january = "from=2026-01-01T00:00:00Z&to=2026-01-31T00:00:00Z"
    static let xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    /// A value LibreOffice stored as a number, as a Double (nil when it is not one).
    static func number(_ text: String) -> Double? { Double(text) }

    @Test func theWorkbookHoldsTheReportAsTypedCellsThatLibreOfficeReadsBack() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let (owner, admin, ana, bruno) = try await client.signInCast()
            try await Self.sell(server, client, owner: owner.access, ana: ana.userId, bruno: bruno.userId)
            #expect(try await client.call(.post, "/api/payments", token: admin.access, json: ["userId": ana.userId, "amount": 1_000]).status == .created)

            for grouping in ["day", "month", "product", "buyer"] {
                let json = try await client.call(.get, "/api/reports?\(Self.january)&groupBy=\(grouping)", token: admin.access).json
                let download = try await client.execute(uri: "/api/reports/export.xlsx?\(Self.january)&groupBy=\(grouping)", method: .get,
                                                        headers: [.authorization: "Bearer \(admin.access)"]) { $0 }
                #expect(download.status == .ok)
                #expect(download.headers[.contentType] == Self.xlsxType)
                #expect(download.headers[.contentDisposition] == "attachment; filename=\"tenda-\(grouping).xlsx\"")
                let book = try await LibreOfficeReader.read(xlsx: Array(download.body.readableBytesView))
                try Self.compare(book, with: json, grouping: grouping)
            }

            // The figures themselves, once, by hand: Ana bought twice in January, Bruno once (and again in March).
            let customers = try await client.call(.get, "/api/reports?\(Self.january)", token: admin.access).json["customers"] as? [String: Any] ?? [:]
            #expect(customers["buyers"] as? Int == 2 && customers["repeatBuyers"] as? Int == 1 && customers["sales"] as? Int == 3)
            #expect(customers["revenue"] as? Int == 3_300 && customers["averageBasket"] as? Int == 1_100)
            let rows = (customers["rows"] as? [[String: Any]] ?? []).map {
                "\($0["id"] ?? "") \($0["name"] ?? "") \($0["sales"] ?? "") \($0["revenue"] ?? "") \($0["lifetimeRevenue"] ?? "") \($0["debt"] ?? "")"
            }
            #expect(rows == ["\(ana.userId) Ana 2 2800 2800 1800", "\(bruno.userId) Bruno 1 500 1150 1150"], "\(customers)")
        }
        await server.discard()
    }

    @Test func theCSVCarriesTheCustomerColumnsAndOnlyAdminsDownloadEither() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let (owner, admin, ana, bruno) = try await client.signInCast()
            try await Self.sell(server, client, owner: owner.access, ana: ana.userId, bruno: bruno.userId)
            #expect(try await client.call(.post, "/api/payments", token: admin.access, json: ["userId": ana.userId, "amount": 1_000]).status == .created)

            let csv = try await client.execute(uri: "/api/reports/export.csv?\(Self.january)&groupBy=buyer", method: .get,
                                               headers: [.authorization: "Bearer \(owner.access)"]) { $0 }
            #expect(csv.status == .ok && csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.headers[.contentDisposition] == "attachment; filename=\"tenda-buyer.csv\"")
            #expect(String(buffer: csv.body) == "key,label,sales,units,revenue,currency,lifetimeRevenue,debt\r\n"
                + "\(ana.userId),Ana,2,0,2800,BRL,2800,1800\r\n"
                + "\(bruno.userId),Bruno,1,0,500,BRL,1150,1150\r\n")
            let byDay = try await client.execute(uri: "/api/reports/export.csv?from=2026-01-10T00:00:00Z&to=2026-01-12T00:00:00Z", method: .get,
                                                 headers: [.authorization: "Bearer \(admin.access)"]) { String(buffer: $0.body) }
            #expect(byDay == "key,label,sales,units,revenue,currency,lifetimeRevenue,debt\r\n"
                + "2026-01-10,2026-01-10,1,0,1300,BRL,,\r\n2026-01-11,2026-01-11,0,0,0,BRL,,\r\n2026-01-12,2026-01-12,1,0,500,BRL,,\r\n")

            for path in ["/api/reports/export.xlsx", "/api/reports/export.csv"] {
                let asUser = try await client.call(.get, "\(path)?\(Self.january)", token: ana.access)
                #expect(asUser.status == .forbidden && asUser.error == "forbidden", "\(path): \(asUser.json)")
                #expect(try await client.call(.get, "\(path)?\(Self.january)").status == .unauthorized)
                let badGrouping = try await client.call(.get, "\(path)?groupBy=hour", token: admin.access)
                #expect(badGrouping.status == .badRequest && badGrouping.errorField == "groupBy", "\(path): \(badGrouping.json)")
                let tooLong = try await client.call(.get, "\(path)?from=2000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", token: admin.access)
                #expect(tooLong.status == .unprocessableContent && tooLong.error == "rule_broken", "\(path): \(tooLong.json)")
            }
        }
        await server.discard()
    }

    /// Two products, four sales: three in January (Ana twice, Bruno once), one of Bruno's in March.
    static func sell(_ server: LiveServer, _ client: some TestClientProtocol, owner: String, ana: String, bruno: String) async throws {
        let coxinha = try #require(try await client.call(.post, "/api/products", token: owner, json: ["name": "Coxinha", "price": 650, "stock": 100]).json["id"] as? String)
        let suco = try #require(try await client.call(.post, "/api/products", token: owner, json: ["name": "Suco, gelado", "price": 500, "stock": 100]).json["id"] as? String)
        for (buyer, product, quantity, at) in [(ana, coxinha, 2, "2026-01-10T12:00:00Z"), (bruno, suco, 1, "2026-01-12T12:00:00Z"),
                                                (ana, suco, 3, "2026-01-20T12:00:00Z"), (bruno, coxinha, 1, "2026-03-01T12:00:00Z")] {
            _ = try await server.shop.execute(Buy(buyerId: EntityKind.user.parse(buyer)!, items: [
                LineItem(productId: EntityKind.product.parse(product)!, quantity: Int64(quantity)),
            ]), as: .system(), at: Self.time(at))
        }
    }

    /// Checks every sheet LibreOffice read against the JSON report: the values of its CSV export
    /// and the types of its flat ODF export.
    static func compare(_ book: LibreOfficeReader, with json: [String: Any], grouping: String) throws {
        let rows = json["rows"] as? [[String: Any]] ?? []
        let customers = json["customers"] as? [String: Any] ?? [:]
        let customerRows = customers["rows"] as? [[String: Any]] ?? []
        let expectedSheets = grouping == "buyer" ? ["Summary", "Customers"] : ["Summary", "By \(grouping)", "Customers"]
        #expect(Set(book.types.keys) == Set(expectedSheets), "sheets of the \(grouping) workbook")
        #expect(Set(book.values.keys) == Set(expectedSheets), "CSV files of the \(grouping) workbook")
        func money(_ value: Any?) -> Double { Double(value as? Int ?? Int.min) / 100 }
        func cell(_ type: String, _ value: String) -> LibreOfficeReader.TypedCell { .init(type: type, value: value) }
        func float(_ value: Double) -> LibreOfficeReader.TypedCell {
            // LibreOffice writes whole numbers without a fraction ("13", not "13.0").
            cell("float", value == value.rounded() ? String(Int64(value)) : String(value))
        }

        // Summary: the range as dates, the totals as numbers.
        let from = String((json["from"] as? String ?? "").prefix(10)), to = String((json["to"] as? String ?? "").prefix(10))
        let summary = book.types["Summary"] ?? []
        #expect(summary.map { $0.count > 1 ? $0[1] : cell("", "") } == [
            cell("string", "Value"), cell("date", from), cell("date", to), cell("string", grouping), cell("string", "BRL"),
            float(money(json["totalRevenue"])), float(Double(customers["sales"] as? Int ?? -1)), float(Double(customers["buyers"] as? Int ?? -1)),
            float(Double(customers["repeatBuyers"] as? Int ?? -1)), float(money(customers["averageBasket"])),
        ], "Summary of the \(grouping) workbook")
        let summaryValues = book.values["Summary"] ?? []
        #expect(summaryValues.count == 10 && summaryValues[1] == ["From", from] && summaryValues[2] == ["To", to])
        #expect(summaryValues.count == 10 && number(summaryValues[5][1]) == money(json["totalRevenue"]) && number(summaryValues[9][1]) == money(customers["averageBasket"]))

        // The grouping's sheet: one row per JSON row, in order.
        if grouping != "buyer" {
            let sheet = "By \(grouping)"
            let types = Array((book.types[sheet] ?? []).dropFirst()), values = Array((book.values[sheet] ?? []).dropFirst())
            #expect(types.count == rows.count && values.count == rows.count, "\(sheet): \(types.count) typed and \(values.count) CSV rows for \(rows.count)")
            for (i, row) in rows.enumerated() where i < types.count && i < values.count {
                let key = row["key"] as? String ?? "", revenue = money(row["revenue"])
                switch grouping {
                case "product":
                    #expect(types[i] == [cell("string", key), cell("string", row["label"] as? String ?? ""), float(Double(row["units"] as? Int ?? -1)), float(revenue)])
                    #expect(values[i].count == 4 && values[i][1] == row["label"] as? String && number(values[i][3]) == revenue, "\(values[i])")
                default:
                    // Days are dates; a month is the date of its first day.
                    let day = grouping == "month" ? key + "-01" : key
                    #expect(types[i] == [cell("date", day), float(Double(row["sales"] as? Int ?? -1)), float(revenue)], "\(sheet) row \(i)")
                    #expect(values[i].count == 3 && number(values[i][1]) == Double(row["sales"] as? Int ?? -1) && number(values[i][2]) == revenue, "\(values[i])")
                    if grouping == "day" { #expect(values[i].first == key) }
                }
            }
        }

        // Customers: the JSON's customer rows, with their lifetime and debt.
        let types = Array((book.types["Customers"] ?? []).dropFirst()), values = Array((book.values["Customers"] ?? []).dropFirst())
        #expect(types.count == customerRows.count && values.count == customerRows.count)
        #expect(!customerRows.isEmpty)
        for (i, row) in customerRows.enumerated() where i < types.count && i < values.count {
            #expect(types[i] == [cell("string", row["id"] as? String ?? ""), cell("string", row["name"] as? String ?? ""),
                                 float(Double(row["sales"] as? Int ?? -1)), float(money(row["revenue"])), float(money(row["lifetimeRevenue"])), float(money(row["debt"]))],
                    "Customers row \(i) of the \(grouping) workbook")
            #expect(values[i].count == 6 && values[i][0] == row["id"] as? String && number(values[i][4]) == money(row["lifetimeRevenue"])
                && number(values[i][5]) == money(row["debt"]), "\(values[i])")
        }
    }
}
