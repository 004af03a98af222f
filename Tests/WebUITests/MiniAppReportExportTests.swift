import Foundation
import NIOHTTP1
import Testing

extension MiniAppTests {
    /// An admin's reports screen shows the period's customers as the API computes them, and its
    /// "Baixar planilha" button downloads the report as an .xlsx workbook (fetched with the token).
    @Test func anAdminSeesTheCustomersAndDownloadsTheReportAsASpreadsheet() async throws {
        try await withBrowsers { server, driver, browsers in
            let auth = ["Authorization": "Bearer \(try await server.accessToken(DemoServer.admin))"]
            let admin = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.admin))
            try await admin.openScreen(server.base + "/#/reports", "reports")
            try await admin.wait(for: "the customers section", "document.querySelector('[data-customer-summary]')", seconds: 20)
            // The screen's own range: the last 30 days, whole days in UTC.
            let query = try await admin.run("""
                const [from, to] = [...document.querySelectorAll('.screen-reports input[type=date]')].map((input) => input.value);
                return `from=${from}T00:00:00Z&to=${to}T23:59:59Z&groupBy=day`;
                """) as? String ?? ""
            let report = try await server.request(.GET, "/api/reports?\(query)", headers: auth).json
            let customers = try #require(report["customers"] as? [String: Any], "\(report)")
            let rows = customers["rows"] as? [[String: Any]] ?? []
            #expect(!rows.isEmpty, "the demo shop has buyers in the last 30 days")
            let summary = try await admin.run("return document.querySelector('[data-customer-summary]').textContent") as? String ?? ""
            #expect(summary.hasPrefix("\(customers["buyers"] as? Int ?? -1) compradores, \(customers["repeatBuyers"] as? Int ?? -1) voltaram"), "\(summary)")
            let names = try await admin.run("return [...document.querySelectorAll('[data-customers] tbody tr')].map((row) => row.cells[0].textContent)") as? [String]
            #expect(names == rows.map { $0["name"] as? String ?? "" })

            try await admin.run("""
                window.__downloads = [];
                const create = URL.createObjectURL;
                URL.createObjectURL = (blob) => { window.__downloads.push(blob); return create.call(URL, blob); };
                document.querySelector('[data-export=xlsx]').click();
                """)
            try await admin.wait(for: "the workbook's download", "window.__downloads.length === 1", seconds: 20)
            let file = try await admin.run("""
                const blob = window.__downloads[0];
                const head = new Uint8Array(await blob.slice(0, 2).arrayBuffer());
                return { type: blob.type, size: blob.size, head: String.fromCharCode(...head) };
                """.asyncFunction) as? [String: Any] ?? [:]
            #expect(file["type"] as? String == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "\(file)")
            #expect(file["head"] as? String == "PK" && (file["size"] as? Int ?? 0) > 1_000, "an .xlsx file is a zip: \(file)")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("admin-desktop-reports-customers.png"))
        }
    }
}
