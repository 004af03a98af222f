import Foundation
import NIOHTTP1
import Testing

extension MiniAppTests {
    /// An admin ticks two orders waiting for verification and verifies them at once from the bar;
    /// each order's outcome is shown, the list marks both verified, and the server agrees.
    @Test func anAdminSelectsTwoPendingOrdersAndVerifiesThemAtOnce() async throws {
        try await withBrowsers { server, driver, browsers in
            let diego = ["Authorization": "Bearer \(try await server.accessToken(DemoServer.user))"]
            let admin = ["Authorization": "Bearer \(try await server.accessToken(DemoServer.admin))"]
            let products = try await server.request(.GET, "/api/products?limit=200", headers: admin).json["items"] as? [[String: Any]] ?? []
            let product = try #require(products.first { ($0["stock"] as? Int ?? 0) >= 2 && $0["active"] as? Bool != false })
            let productId = try #require(product["id"] as? String)
            var ids: [String] = []
            for n in 0..<2 {
                let placed = try await server.request(.POST, "/api/orders", headers: diego, json: ["items": [["productId": productId, "quantity": 1]]])
                #expect(placed.status == 201, "\(placed.text)")
                let id = try #require(placed.json["id"] as? String)
                let receipt = try await server.request(.POST, "/api/orders/\(id)/receipt", headers: diego, json: ["mediaId": "m-bulk-ui-\(n)"])
                #expect(receipt.json["state"] as? String == "receipt_submitted", "\(receipt.text)")
                ids.append(id)
            }

            let browser = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.admin))
            try await browser.openScreen(server.base + "/#/orders", "orders", live: true)
            for id in ids {
                try await browser.wait(for: "order \(id) with its tick box", "document.querySelector(\"li[data-order-id='\(id)'] input.bulk-select\") !== null")
            }
            #expect(try await browser.run("return document.querySelector('.bulk-bar').hidden") as? Bool == true, "no bar before a tick")
            for id in ids {
                try await browser.run("""
                    const box = document.querySelector("li[data-order-id='\(id)'] input.bulk-select");
                    box.checked = true;
                    box.dispatchEvent(new Event('change', { bubbles: true }));
                    """)
            }
            try await browser.wait(for: "the bar with the verify action", "document.querySelector('.bulk-bar [data-bulk-action=verify]') !== null")
            #expect(try await browser.run("return document.querySelector('.bulk-bar [data-bulk-action=verify]').innerText") as? String == "Confirmar pagamento (2)")
            try await browser.run("document.querySelector('.bulk-bar [data-bulk-action=verify]').click()")
            try await browser.wait(for: "both outcomes", "document.querySelectorAll('.bulk-outcome li[data-ok=true]').length === 2", seconds: 20)
            let outcome = try await browser.run("return document.querySelector('.bulk-outcome').innerText") as? String ?? ""
            #expect(outcome.contains("2 de 2 aplicados") && ids.allSatisfy { outcome.contains($0) }, "\(outcome)")
            for id in ids {
                try await browser.wait(for: "\(id) shown verified", "document.querySelector(\"li[data-order-id='\(id)']\")?.innerText.includes('pago')")
            }
            try await browser.screenshot(to: Self.screenshots.appendingPathComponent("admin-desktop-orders-bulk.png"))
            for id in ids {
                let order = try await server.request(.GET, "/api/orders/\(id)", headers: admin).json
                #expect(order["state"] as? String == "verified", "\(id): \(order)")
            }
        }
    }
}

extension MiniAppTests {
    /// The owner ticks two customers and blocks them at once, then unblocks them: each outcome is
    /// listed, the table marks them, and the server agrees.
    @Test func theOwnerBlocksAndUnblocksTwoPeopleAtOnce() async throws {
        try await withBrowsers { server, driver, browsers in
            let owner = ["Authorization": "Bearer \(try await server.accessToken(DemoServer.owner))"]
            let people = ["Fernanda Lima", "Gabriel Rocha"]
            let browser = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.owner))
            try await browser.openScreen(server.base + "/#/users", "users", live: true)
            for name in people {
                try await browser.wait(for: "\(name)'s tick box", "document.querySelector(\"input.bulk-select[aria-label='Selecionar \(name)']\") !== null")
                try await browser.run("""
                    const box = document.querySelector("input.bulk-select[aria-label='Selecionar \(name)']");
                    box.checked = true;
                    box.dispatchEvent(new Event('change', { bubbles: true }));
                    """)
            }
            try await browser.wait(for: "the bar", "document.querySelector('.bulk-bar').hidden === false")
            #expect(try await browser.run("return document.querySelector('.bulk-bar strong').innerText") as? String == "2 selecionado(s)")
            try await browser.run("document.querySelector('.bulk-bar [data-bulk-action=block]').click()")
            try await browser.wait(for: "both blocked", "document.querySelectorAll('.bulk-outcome li[data-ok=true]').length === 2", seconds: 20)
            let users = try await server.request(.GET, "/api/users?limit=200", headers: owner).json["items"] as? [[String: Any]] ?? []
            let chosen = users.filter { people.contains($0["name"] as? String ?? "") }
            #expect(chosen.count == 2 && chosen.allSatisfy { $0["blocked"] as? Bool == true }, "\(chosen)")
            #expect(try await browser.run("return [...document.querySelectorAll('tr')].filter((tr) => tr.innerText.includes('bloqueado')).length") as? Int == 2)
            #expect(try await browser.run("return document.querySelector('.bulk-bar').hidden") as? Bool == true, "the applied ones leave the selection")

            // Ticked again, unblocked at once.
            for name in people {
                try await browser.run("""
                    const box = document.querySelector("input.bulk-select[aria-label='Selecionar \(name)']");
                    box.checked = true;
                    box.dispatchEvent(new Event('change', { bubbles: true }));
                    """)
            }
            try await browser.run("document.querySelector('.bulk-bar [data-bulk-action=unblock]').click()")
            try await browser.wait(for: "both unblocked", "[...document.querySelectorAll('tr')].filter((tr) => tr.innerText.includes('bloqueado')).length === 0", seconds: 20)
            let after = try await server.request(.GET, "/api/users?limit=200", headers: owner).json["items"] as? [[String: Any]] ?? []
            #expect(after.filter { people.contains($0["name"] as? String ?? "") }.allSatisfy { $0["blocked"] as? Bool == false })
        }
    }
}
