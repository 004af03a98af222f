import Foundation
import NIOHTTP1
import Testing

extension MiniAppTests {
    /// The owner adds a person from the users screen, edits their name and Telegram id, is
    /// stopped before sending a Telegram id that is not a number, and erases a customer after a
    /// confirming second tap; the server agrees at each step.
    @Test func theOwnerCreatesEditsAndErasesPeopleFromTheUsersScreen() async throws {
        try await withBrowsers { server, driver, browsers in
            let auth = ["Authorization": "Bearer \(try await server.accessToken(DemoServer.owner))"]
            let diego = try await server.request(.POST, "/api/auth/telegram", json: ["initData": DemoServer.initData(DemoServer.user)])
            let diegoId = try #require((diego.json["user"] as? [String: Any])?["id"] as? String)
            func stored(_ telegramId: Int) async throws -> [String: Any]? {
                let users = try await server.request(.GET, "/api/users?limit=200", headers: auth).json["items"] as? [[String: Any]] ?? []
                return users.first { $0["telegramId"] as? Int == telegramId }
            }

            let owner = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.owner))
            try await owner.openScreen(server.base + "/#/users", "users")
            try await owner.run("document.querySelector('[data-action=new-user]').click()")
            try await owner.wait(for: "the new person form", "document.querySelector(\"form[data-user-form='new']\") !== null")
            // A Telegram id that is not a number stays in the form, with the reason.
            try await owner.run("""
                const form = document.querySelector("form[data-user-form='new']");
                form.querySelector('[name=name]').value = 'Carla Dias';
                form.querySelector('[name=telegramId]').value = '12ab';
                form.querySelector('[name=role]').value = 'admin';
                form.querySelector('button[type=submit]').click();
                """)
            try await owner.wait(for: "the refusal", "document.getElementById('toasts').innerText.includes('ID do Telegram')")
            #expect(try await stored(7_123_456) == nil)
            try await owner.run("""
                const form = document.querySelector("form[data-user-form='new']");
                form.querySelector('[name=telegramId]').value = '7123456';
                form.querySelector('button[type=submit]').click();
                """)
            try await owner.wait(for: "the form to close", "document.querySelector(\"form[data-user-form='new']\") === null")
            let carla = try #require(try await stored(7_123_456))
            #expect(carla["name"] as? String == "Carla Dias" && carla["role"] as? String == "admin")
            let carlaId = try #require(carla["id"] as? String)
            try await owner.wait(for: "Carla in the list", "document.querySelector(\"[data-edit-user='\(carlaId)']\") !== null")

            try await owner.run("document.querySelector(\"[data-edit-user='\(carlaId)']\").click()")
            try await owner.wait(for: "Carla's form", "document.querySelector(\"form[data-user-form='\(carlaId)']\") !== null")
            #expect(try await owner.run("return document.querySelector(\"form[data-user-form='\(carlaId)'] [name=telegramId]\").value") as? String == "7123456")
            try await owner.run("""
                const form = document.querySelector("form[data-user-form='\(carlaId)']");
                form.querySelector('[name=name]').value = 'Carla D.';
                form.querySelector('[name=telegramId]').value = '7123457';
                form.querySelector('button[type=submit]').click();
                """)
            try await owner.wait(for: "the edit to close", "document.querySelector(\"form[data-user-form='\(carlaId)']\") === null")
            let edited = try #require(try await stored(7_123_457))
            #expect(edited["id"] as? String == carlaId && edited["name"] as? String == "Carla D.")
            try await owner.wait(for: "the new name in the list", "document.querySelector('section table').innerText.includes('Carla D.')")

            // Erasing Diego: the first tap asks, the second erases.
            try await owner.wait(for: "Diego's erase button", "document.querySelector(\"[data-erase-user='\(diegoId)']\") !== null")
            try await owner.run("document.querySelector(\"[data-erase-user='\(diegoId)']\").click()")
            try await owner.wait(for: "the confirming button", "document.querySelector(\"[data-erase-user='\(diegoId)']\").innerText.includes('Confirmar')")
            let untouched = try await server.request(.GET, "/api/users/\(diegoId)", headers: auth).json
            #expect(untouched["name"] as? String != "Erased customer \(diegoId)", "nothing before the second tap")
            try await owner.run("document.querySelector(\"[data-erase-user='\(diegoId)']\").click()")
            try await owner.wait(for: "the erased mark", "document.querySelector(\"[data-erase-user='\(diegoId)']\") === null && document.querySelector('section table').innerText.includes('Erased customer \(diegoId)')")
            let erased = try await server.request(.GET, "/api/users/\(diegoId)", headers: auth).json
            #expect(erased["name"] as? String == "Erased customer \(diegoId)" && (erased["telegramId"] as? Int ?? 0) < 0)
            try await owner.screenshot(to: Self.screenshots.appendingPathComponent("owner-phone-people.png"))
        }
    }

    /// A customer downloads their data from the sessions screen: the file is the JSON of
    /// `GET /api/me/export`, named after them and the day.
    @Test func aCustomerDownloadsTheirDataFromTheSessionsScreen() async throws {
        try await withBrowsers { server, driver, browsers in
            let diego = try await server.request(.POST, "/api/auth/telegram", json: ["initData": DemoServer.initData(DemoServer.user)])
            let diegoId = try #require((diego.json["user"] as? [String: Any])?["id"] as? String)
            let customer = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.user))
            try await customer.openScreen(server.base + "/#/sessions", "sessions")
            // The saved file, caught where the page hands it to the browser.
            try await customer.run("""
                window.__saved = null;
                const original = URL.createObjectURL;
                URL.createObjectURL = (blob) => { window.__blob = blob; return original(blob); };
                HTMLAnchorElement.prototype.click = function () { window.__saved = this.download; };
                document.querySelector('[data-action=export-data]').click();
                """)
            try await customer.wait(for: "the download", "window.__saved !== null && window.__blob")
            let name = try await customer.run("return window.__saved") as? String ?? ""
            #expect(name.hasPrefix("tenda-data-\(diegoId)-") && name.hasSuffix(".json"), "saved as \(name)")
            let text = try await customer.run("return await window.__blob.text()".asyncFunction) as? String ?? ""
            let saved = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect((saved["user"] as? [String: Any])?["id"] as? String == diegoId)
            #expect(saved["sales"] is [[String: Any]] && saved["ledger"] is [[String: Any]] && saved["sessions"] is [[String: Any]])
        }
    }
}
