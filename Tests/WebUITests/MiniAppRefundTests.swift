import Foundation
import NIOHTTP1
import Testing

extension MiniAppTests {
    /// An admin opens a sale, refunds one of its units after confirming, and sees the result; the
    /// owner's sales list marks the sale partly refunded live, and the server's books agree.
    @Test func anAdminRefundsPartOfASaleFromItsDetail() async throws {
        try await withBrowsers { server, driver, browsers in
            let token = try await server.accessToken(DemoServer.admin)
            let auth = ["Authorization": "Bearer \(token)"]
            let products = try await server.request(.GET, "/api/products?limit=200", headers: auth).json["items"] as? [[String: Any]] ?? []
            let product = try #require(products.first { ($0["stock"] as? Int ?? 0) >= 2 && $0["active"] as? Bool != false })
            let productId = try #require(product["id"] as? String), price = try #require(product["price"] as? Int)
            let diego = try await server.request(.POST, "/api/auth/telegram", json: ["initData": DemoServer.initData(DemoServer.user)])
            let diegoId = try #require((diego.json["user"] as? [String: Any])?["id"] as? String)
            let sold = try await server.request(.POST, "/api/purchases", headers: auth,
                                                json: ["buyerId": diegoId, "items": [["productId": productId, "quantity": 2]]])
            #expect(sold.status == 201, "\(sold.text)")
            let saleId = try #require(sold.json["id"] as? String)
            let debtBefore = try #require(try await server.request(.GET, "/api/debts", headers: auth).json["items"] as? [[String: Any]])
                .first { $0["userId"] as? String == diegoId }?["amount"] as? Int ?? 0

            let owner = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.owner))
            try await owner.openScreen(server.base + "/#/sales", "sales", live: true)
            let row = "document.querySelector(\"tr[data-sale-id='\(saleId)']\")"
            try await owner.wait(for: "the new sale in the owner's list", "\(row) !== null")
            #expect(try await owner.run("return \(row).innerText.includes('Estorno')") as? Bool == false)

            let admin = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.admin))
            try await admin.openScreen(server.base + "/#/sales", "sales")
            try await admin.run("document.querySelector(\"tr[data-sale-id='\(saleId)'] a\").click()")
            try await admin.wait(for: "the sale's detail", "document.querySelector(\".sale-detail[data-sale-id='\(saleId)']\") && document.querySelector('form.refund')", seconds: 20)
            #expect(try await admin.run("return document.querySelector('form.refund input[type=number]').value") as? String == "2")
            // One unit of two: the amount follows, and the confirmation names it.
            try await admin.run("""
                window.confirm = (message) => { window.__confirmed = message; return true; };
                const units = document.querySelector('form.refund input[type=number]');
                units.value = '1';
                units.dispatchEvent(new Event('input', { bubbles: true }));
                document.querySelector('form.refund [name=note]').value = 'Veio frio';
                document.querySelector('form.refund button[type=submit]').click();
                """)
            try await admin.wait(for: "the refund's success haptic", "window.__telegram.haptics.includes('success')")
            let confirmed = try await admin.run("return window.__confirmed") as? String ?? ""
            #expect(confirmed.contains(saleId) && confirmed.contains("Estornar"), "the confirmation said \(confirmed)")
            try await admin.wait(for: "the refunded unit in the detail", "document.querySelector('.sale-detail').innerText.includes('Estorno parcial')")
            #expect(try await admin.run("return document.getElementById('toasts').innerText.includes('Estorno de')") as? Bool == true)
            #expect(try await admin.run("return document.querySelector('form.refund input[type=number]').max") as? String == "1", "one unit is left")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("admin-phone-sale-refund.png"))
            try await owner.wait(for: "the owner's list to mark the sale live", "\(row).innerText.includes('Estorno parcial')")

            let stored = try await server.request(.GET, "/api/sales/\(saleId)", headers: auth).json
            #expect(stored["refundedQuantities"] as? [Int] == [1])
            let debtAfter = try #require(try await server.request(.GET, "/api/debts", headers: auth).json["items"] as? [[String: Any]])
                .first { $0["userId"] as? String == diegoId }?["amount"] as? Int ?? 0
            #expect(debtAfter == debtBefore - price)
        }
    }
}
