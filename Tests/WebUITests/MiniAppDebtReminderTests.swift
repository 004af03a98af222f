import Foundation
import NIOHTTP1
import Testing

extension MiniAppTests {
    /// An admin sees each debt's age and last reminder on the debts screen, reminds a customer
    /// now and pauses their reminders; the server's records agree, and a user sees no such list.
    @Test func anAdminRemindsAndPausesADebtorFromTheDebtsScreen() async throws {
        try await withBrowsers { server, driver, browsers in
            let token = try await server.accessToken(DemoServer.admin)
            let auth = ["Authorization": "Bearer \(token)"]
            let products = try await server.request(.GET, "/api/products?limit=200", headers: auth).json["items"] as? [[String: Any]] ?? []
            let product = try #require(products.first { ($0["stock"] as? Int ?? 0) >= 1 && $0["active"] as? Bool != false })
            let diego = try await server.request(.POST, "/api/auth/telegram", json: ["initData": DemoServer.initData(DemoServer.user)])
            let diegoId = try #require((diego.json["user"] as? [String: Any])?["id"] as? String)
            let sold = try await server.request(.POST, "/api/purchases", headers: auth,
                                                json: ["buyerId": diegoId, "items": [["productId": try #require(product["id"] as? String), "quantity": 1]]])
            #expect(sold.status == 201, "\(sold.text)")
            func debtor() async throws -> [String: Any] {
                try #require((try await server.request(.GET, "/api/debts/reminders", headers: auth).json["items"] as? [[String: Any]])?
                    .first { $0["userId"] as? String == diegoId })
            }
            let before = try await debtor()["reminders"] as? Int ?? -1

            let admin = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.admin))
            try await admin.openScreen(server.base + "/#/debts", "debts")
            let row = "document.querySelector(\"#debt-reminders tr[data-debtor='\(diegoId)']\")"
            try await admin.wait(for: "Diego's row in the reminders list", "\(row) !== null", seconds: 20)
            let age = try await admin.run("return \(row).querySelector('[data-age]').innerText") as? String ?? ""
            #expect(age.contains("dias"), "the age is shown: \(age)")

            try await admin.run("\(row).querySelector('[data-remind]').click()")
            try await admin.wait(for: "the reminder's success haptic", "window.__telegram.haptics.includes('success')")
            try await admin.wait(for: "the last reminder in the row", "\(row).querySelector('[data-last]').innerText !== '—'")
            #expect(try await admin.run("return document.getElementById('toasts').innerText.includes('Lembrete enviado')") as? Bool == true)
            #expect(try await debtor()["reminders"] as? Int == before + 1)

            try await admin.run("\(row).querySelector('[data-pause]').click()")
            try await admin.wait(for: "the resume button", "\(row).querySelector('[data-pause]').innerText === 'Retomar'")
            #expect(try await debtor()["paused"] as? Bool == true)
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("admin-phone-debt-reminders.png"))

            let user = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.user))
            try await user.openScreen(server.base + "/#/debts", "debts")
            try await user.wait(for: "the user's own debt", "document.querySelector('.screen-debts h2') !== null", seconds: 20)
            #expect(try await user.run("return document.getElementById('debt-reminders') === null") as? Bool == true)
        }
    }

    /// The owner sets the debt reminders from the dashboard's form; a value out of bounds is
    /// refused before sending; the server keeps what was saved.
    @Test func theOwnerSetsTheDebtRemindersFromTheDashboard() async throws {
        try await withBrowsers { server, driver, browsers in
            let owner = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.owner))
            try await owner.openScreen(server.base + "/#/dashboard", "dashboard")
            try await owner.wait(for: "the reminders form", "document.querySelector('#reminder-settings input[name=overdueDays]')", seconds: 20)
            try await owner.run("""
                const form = document.getElementById('reminder-settings');
                form.querySelector('input[name=overdueDays]').value = '400';
                form.querySelector('button[type=submit]').click();
                """)
            try await owner.wait(for: "the bounds refused in the page", "document.getElementById('toasts').innerText.includes('1 a 365')")
            try await owner.run("""
                const form = document.getElementById('reminder-settings');
                form.querySelector('input[name=enabled]').checked = true;
                form.querySelector('input[name=overdueDays]').value = '45';
                form.querySelector('input[name=intervalDays]').value = '5';
                form.querySelector('input[name=maxReminders]').value = '2';
                form.querySelector('input[name=quietStart]').value = '22:00';
                form.querySelector('input[name=quietEnd]').value = '08:30';
                form.querySelector('button[type=submit]').click();
                """)
            try await owner.wait(for: "the saved settings described", "document.querySelector('#reminder-settings p').textContent.includes('45 dias')")
            let token = try await server.accessToken(DemoServer.owner)
            let settings = try await server.request(.GET, "/api/settings", headers: ["Authorization": "Bearer \(token)"]).json
            let reminders = try #require(settings["debtReminders"] as? [String: Any])
            #expect(reminders["enabled"] as? Bool == true && reminders["overdueDays"] as? Int == 45 && reminders["intervalDays"] as? Int == 5)
            #expect(reminders["maxReminders"] as? Int == 2 && reminders["quietStart"] as? String == "22:00" && reminders["quietEnd"] as? String == "08:30")

            let admin = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.admin))
            try await admin.openScreen(server.base + "/#/dashboard", "dashboard")
            try await admin.wait(for: "the admin's dashboard figures", "document.querySelector('[data-figure=todaySales]')", seconds: 20)
            #expect(try await admin.run("return document.getElementById('reminder-settings') === null") as? Bool == true)
        }
    }
}
