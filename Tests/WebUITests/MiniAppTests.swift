import Foundation
import NIOHTTP1
import Shop
import Telegram
import Testing

/// The MiniApp end to end: the demo shop served in-process, headless Chromium sessions with a
/// stand-in Telegram.WebApp carrying initData signed for the test bot, and the same checks a
/// person would make by looking. Screenshots of each screen go to ``screenshots``.
@Suite(.serialized, .timeLimit(.minutes(3))) struct MiniAppTests {
    /// Where the screenshots go: $TENDA_SCREENSHOTS, else tenda-webui-screenshots in the temporary folder.
    static let screenshots: URL = {
        let folder = ProcessInfo.processInfo.environment["TENDA_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("tenda-webui-screenshots")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }()

    static let mainScreens = ["dashboard", "products", "purchase", "sales", "debts", "orders", "contracts", "users", "notifications",
                              "sessions", "reports", "audit", "console"]

    @Test func aPurchaseInOneBrowserChangesTheStockShownInAnotherWithoutAReload() async throws {
        try await withBrowsers { server, driver, browsers in
            // An admin on a phone-sized window, inside "Telegram".
            let admin = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.admin))
            try await admin.openScreen(server.base + "/#/dashboard", "dashboard", live: true)
            #expect(try await admin.run("return window.__telegram.ready && window.__telegram.expanded") as? Bool == true)
            let dashboard = try await server.request(.GET, "/api/dashboard", headers: ["Authorization": "Bearer \(try await server.accessToken(DemoServer.admin))"]).json
            let topProduct = try #require((dashboard["topProducts"] as? [[String: Any]])?.first?["label"] as? String)
            let adminDashboard = try await admin.text()
            #expect(adminDashboard.contains("Vendas hoje") && adminDashboard.contains(topProduct), "the dashboard shows: \(adminDashboard.prefix(500))")
            try await admin.wait(for: "Chart.js to draw", "window.Chart && Chart.getChart(document.querySelector('canvas'))")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("admin-phone-dashboard.png"))

            // The owner on a desktop-sized window watches the products.
            let owner = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.owner))
            try await owner.openScreen(server.base + "/#/products", "products", live: true)
            // Every product of the demo shop (fixtures/demo-shop.json: 44, all on sale), one row each.
            let rows = try await owner.run("return document.querySelectorAll('tr[data-product-id]').length") as? Int
            #expect(rows == 44)
            try await owner.run("window.__notReloaded = true")

            // The admin creates a product with the MainButton …
            try await admin.run("location.hash = '#/products/new'")
            try await admin.wait(for: "the product form", "document.querySelector('.screen-products[data-ready] input[name=name]')")
            try await admin.run("""
                const set = (name, value) => { const input = document.querySelector(`[name=${name}]`); input.value = value; input.dispatchEvent(new Event('input', { bubbles: true })); };
                set('name', 'Pão de queijo e2e'); set('emoji', '🧀'); set('category', 'Salgados'); set('price', '4,50'); set('stock', '10');
                """)
            #expect(try await admin.run("return window.__telegram.main.text") as? String == "Criar produto")
            try await admin.run("window.__telegram.main.handler()")
            try await admin.wait(for: "the success haptic", "window.__telegram.haptics.includes('success') && location.hash === '#/products'")

            // … and the owner's list shows it, live.
            let productId = try #require(try await owner.wait(for: "the new product in the owner's list", """
                [...document.querySelectorAll('tr[data-product-id]')].find((row) => row.innerText.includes('Pão de queijo e2e'))?.dataset.productId
                """) as? String)
            #expect(try await owner.text().replacingOccurrences(of: "\u{a0}", with: " ").contains("R$ 4,50"))

            // The admin buys 3 of them for Diego through the cart and the MainButton.
            try await admin.run("location.hash = '#/purchase'")
            try await admin.wait(for: "the purchase screen", "document.querySelector('.screen-purchase[data-ready]')")
            try await admin.run("""
                const select = document.querySelector('.screen-purchase select');
                select.value = [...select.options].find((option) => option.textContent.includes('Diego')).value;
                select.dispatchEvent(new Event('change', { bubbles: true }));
                """)
            for _ in 0..<3 {
                try await admin.run("document.querySelector(`li[data-product-id='\(productId)'] button:last-child`).click()")
            }
            let confirm = try await admin.run("return window.__telegram.main.text") as? String ?? ""
            #expect(confirm.contains("Confirmar compra") && confirm.contains("13,50"), "the MainButton says \(confirm)")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("admin-phone-purchase.png"))
            try await admin.run("window.__telegram.haptics = []; window.__telegram.main.handler()")
            try await admin.wait(for: "the purchase's success haptic", "window.__telegram.haptics.includes('success')")

            // The owner's list shows 7 left, without a reload.
            try await owner.wait(for: "the stock to drop to 7 in the other browser", "document.querySelector(`[data-stock='\(productId)']`)?.textContent === '7'")
            #expect(try await owner.run("return window.__notReloaded === true") as? Bool == true, "the owner's page reloaded")
            try await owner.screenshot(to: Self.screenshots.appendingPathComponent("owner-desktop-products.png"))

            // Short stock: the admin puts all 7 in the cart, someone else buys 2 meanwhile (the cart
            // says so, live), and confirming anyway is refused with a clear message and an error haptic.
            for _ in 0..<7 {
                try await admin.run("document.querySelector(`li[data-product-id='\(productId)'] button:last-child`).click()")
            }
            let other = try await server.request(.POST, "/api/purchases", headers: ["Authorization": "Bearer \(try await server.accessToken(DemoServer.owner))"],
                                                 json: ["buyerId": try await userId(server, DemoServer.owner), "items": [["productId": productId, "quantity": 2]]])
            #expect(other.status == 201, "the other purchase: \(other.text)")
            try await admin.wait(for: "the cart to show the shortage live", "document.querySelector('[data-cart]').innerText.includes('só há 5')")
            try await admin.run("window.__telegram.haptics = []; window.__telegram.main.handler()")
            try await admin.wait(for: "the error haptic", "window.__telegram.haptics.includes('error')")
            let refusal = try await admin.text("#toasts")
            #expect(refusal.contains("Estoque insuficiente") && refusal.contains("Pão de queijo e2e (pedido 7, há 5)"), "the toast says: \(refusal)")
        }
    }

    @Test func editorsSeeEachOtherAndAnEditThatLostTheRaceShowsTheOtherChange() async throws {
        try await withBrowsers { server, driver, browsers in
            let adminToken = try await server.accessToken(DemoServer.admin)
            let products = try #require(try await server.get("/api/products?limit=100", headers: ["Authorization": "Bearer \(adminToken)"]).json["items"] as? [[String: Any]])
            let product = try #require(products.first { ($0["stock"] as? Int ?? 0) >= 3 })
            let productId = try #require(product["id"] as? String)
            let originalName = try #require(product["name"] as? String)
            let editor = "document.querySelector('.screen-products[data-ready] input[name=name]')"

            let owner = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.owner))
            let admin = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.admin))
            for browser in [owner, admin] {
                try await browser.open(server.base + "/#/products/\(productId)")
                try await browser.wait(for: "the product editor", editor, seconds: 20)
            }
            // Presence: each sees the other on this product.
            try await admin.wait(for: "the owner's presence", "document.querySelector('.presence').textContent === 'Ana Paula Souza está editando este produto'")
            try await owner.wait(for: "the admin's presence", "document.querySelector('.presence').textContent.includes('Bruno Carvalho')")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("admin-phone-product-editor-presence.png"))
            #expect(try await admin.run("return window.__telegram.back.visible") as? Bool == true, "the BackButton is not shown in the editor")

            // A sale moves the stock (and the version) under the admin's form: saving still works,
            // since nobody touched what the form edits.
            let setPrice = "const input = document.querySelector('[name=price]'); input.value = arguments[0]; input.dispatchEvent(new Event('input', { bubbles: true }));"
            try await admin.run(setPrice, ["9,99"])
            let sale = try await server.request(.POST, "/api/purchases", headers: ["Authorization": "Bearer \(adminToken)"],
                                                json: ["buyerId": try await userId(server, DemoServer.user), "items": [["productId": productId, "quantity": 1]]])
            #expect(sale.status == 201, "the sale: \(sale.text)")
            try await admin.run("window.__telegram.haptics = []; window.__telegram.main.handler()")
            try await admin.wait(for: "the save after a stock-only change", "window.__telegram.haptics.includes('success')")
            #expect(try await admin.run("return document.querySelector('.conflict') === null") as? Bool == true)
            let saved = try await server.get("/api/products/\(productId)", headers: ["Authorization": "Bearer \(adminToken)"]).json
            #expect(saved["price"] as? Int == 999)

            // The owner's untouched form followed that save.
            try await owner.wait(for: "the owner's form to follow the admin's save", "document.querySelector('[name=price]').value === '9,99'")

            // The admin changes the price again while the owner renames it and saves first: the
            // admin's save loses the race (412) and shows the owner's change instead of overwriting it.
            try await admin.run(setPrice, ["10,50"])
            try await owner.run("const input = document.querySelector('[name=name]'); input.value = arguments[0]; input.dispatchEvent(new Event('input', { bubbles: true }));",
                                ["\(originalName) da casa"])
            try await owner.run("window.__telegram.haptics = []; window.__telegram.main.handler()")
            try await owner.wait(for: "the owner's save", "window.__telegram.haptics.includes('success')")
            try await admin.run("window.__telegram.haptics = []; window.__telegram.main.handler()")
            try await admin.wait(for: "the conflict", "document.querySelector('.conflict')")
            let conflict = try await admin.text(".conflict")
            #expect(conflict.contains("Outra pessoa salvou este produto antes de você"), "the conflict says: \(conflict)")
            #expect(conflict.contains("\(originalName) da casa"), "the owner's new name is not shown: \(conflict)")
            #expect(try await admin.run("return window.__telegram.haptics") as? [String] == ["error"])
            let stored = try await server.get("/api/products/\(productId)", headers: ["Authorization": "Bearer \(adminToken)"]).json
            #expect(stored["name"] as? String == "\(originalName) da casa")
            #expect(stored["price"] as? Int == 999, "the losing edit overwrote the product")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("admin-phone-product-conflict.png"))
            // Taking their version fills the form with it.
            try await admin.run("[...document.querySelectorAll('.conflict button')][0].click()")
            #expect(try await admin.run("return document.querySelector('[name=name]').value") as? String == "\(originalName) da casa")
        }
    }

    @Test func aCustomersOrderAndReceiptReachTheAdminWhoVerifiesIt() async throws {
        try await withBrowsers { server, driver, browsers in
            let customer = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.user))
            let admin = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.admin))
            for browser in [customer, admin] {
                try await browser.openScreen(server.base + "/#/orders", "orders", live: true)
            }
            // The customer orders one of the first product and sends a receipt (a 1×1 PNG).
            try await customer.run("""
                window.__ordersBefore = [...document.querySelectorAll('li[data-order-id]')].map((li) => li.dataset.orderId);
                document.querySelector('.screen-orders form button[type=submit]').click();
                """)
            let orderId = try #require(try await customer.wait(for: "the new order", """
                [...document.querySelectorAll('li[data-order-id]')].map((li) => li.dataset.orderId).find((id) => !window.__ordersBefore.includes(id))
                """) as? String)
            let item = "li[data-order-id='\(orderId)']"
            try await customer.run("""
                const bytes = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='), (c) => c.charCodeAt(0));
                const files = new DataTransfer();
                files.items.add(new File([bytes], 'comprovante.png', { type: 'image/png' }));
                const input = document.querySelector(arguments[0] + ' input[type=file]');
                input.files = files.files;
                input.dispatchEvent(new Event('change', { bubbles: true }));
                """, [item])
            try await customer.wait(for: "the receipt to be sent", "document.querySelector(\"\(item)\").innerText.includes('comprovante enviado')")

            // The admin's list shows it live, with the receipt, and verifies it; the customer sees it paid.
            try await admin.wait(for: "the order and its receipt at the admin", "document.querySelector(\"\(item) img.receipt\")?.naturalWidth === 1")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("admin-desktop-order-receipt.png"))
            try await admin.run("document.querySelector(\"\(item) button.primary\").click()")
            try await customer.wait(for: "the customer to see the order paid", "document.querySelector(\"\(item)\")?.innerText.includes('pago')")
            try await customer.screenshot(to: Self.screenshots.appendingPathComponent("user-phone-orders.png"))
        }
    }

    @Test func aBrowserSignsInWithTheBotsOneTimeCodeOrTheLoginWidget() async throws {
        try await withBrowsers { server, driver, browsers in
            // The `…/?code=` link `tenda serve --demo` and the bot's /login print.
            let owner = try #require(try server.shop.user(telegramId: DemoServer.owner.telegramId, as: .system()))
            let code = try await server.shop.execute(IssueLoginCode(), as: .user(owner.key, via: .cli))
            let linked = try await browsers.open(driver, width: 1280, height: 900)
            try await linked.openScreen(server.base + "/?code=\(code)", "dashboard")
            #expect(try await linked.run("return location.search") as? String == "", "the used code stays in the address bar")
            #expect(try await linked.run("return document.querySelector('#menu a[data-screen=audit]') !== null") as? Bool == true)

            // The Login Widget's answer, as oauth.telegram.org hands it back in the fragment.
            let fields = TelegramSigner.signLoginWidget([
                "id": String(DemoServer.admin.telegramId), "first_name": DemoServer.admin.firstName, "last_name": DemoServer.admin.lastName,
                "auth_date": String(Int(Date().timeIntervalSince1970)),
            ], botToken: DemoServer.botToken)
            let result = try JSONSerialization.data(withJSONObject: fields).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            let widget = try await browsers.open(driver, width: 430, height: 932)
            try await widget.openScreen(server.base + "/#tgAuthResult=\(result)", "dashboard")
            #expect(try await widget.run("return document.querySelector('#menu a[data-screen=audit]') === null") as? Bool == true)

            // Neither: the sign-in form, with the widget's link for this bot, and a clear refusal of a bad code.
            let stranger = try await browsers.open(driver, width: 430, height: 932)
            try await stranger.open(server.base + "/")
            try await stranger.wait(for: "the sign-in form", "document.querySelector('input[name=code]') && document.querySelector('a[href^=\"https://oauth.telegram.org/auth?bot_id=4242\"]')")
            try await stranger.screenshot(to: Self.screenshots.appendingPathComponent("browser-phone-sign-in.png"))
            try await stranger.run("document.querySelector('input[name=code]').value = 'not-a-code'; document.querySelector('form button[type=submit]').click()")
            // Outside Telegram the language is the browser's: headless Chromium's may be English.
            try await stranger.wait(for: "the refusal", "document.getElementById('toasts').innerText.includes(document.documentElement.lang === 'en-US' ? 'Could not sign in' : 'Não foi possível entrar')")
        }
    }

    /// The owner sets the daily summary from the dashboard's form; an admin's dashboard has no form.
    @Test func theOwnerSetsTheDailySummaryFromTheDashboard() async throws {
        try await withBrowsers { server, driver, browsers in
            let owner = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.owner))
            try await owner.openScreen(server.base + "/#/dashboard", "dashboard")
            try await owner.wait(for: "the summary form", "document.querySelector('#summary-settings input[name=time]')", seconds: 20)
            try await owner.run("""
                const form = document.getElementById('summary-settings');
                form.querySelector('input[name=enabled]').checked = true;
                form.querySelector('input[name=time]').value = '20:15';
                form.querySelector('input[name=timeZone]').value = 'America/Manaus';
                form.querySelector('button[type=submit]').click();
                """)
            try await owner.wait(for: "the saved settings described", "document.querySelector('#summary-settings p').textContent.includes('20:15')")
            let token = try await server.accessToken(DemoServer.owner)
            let settings = try await server.request(.GET, "/api/settings", headers: ["Authorization": "Bearer \(token)"]).json
            #expect(settings["timeZone"] as? String == "America/Manaus")
            #expect((settings["dailySummary"] as? [String: Any])?["time"] as? String == "20:15")
            #expect((settings["dailySummary"] as? [String: Any])?["enabled"] as? Bool == true)

            let admin = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.admin))
            try await admin.openScreen(server.base + "/#/dashboard", "dashboard")
            try await admin.wait(for: "the admin's dashboard figures", "document.querySelector('[data-figure=todaySales]')", seconds: 20)
            #expect(try await admin.run("return document.getElementById('summary-settings') === null") as? Bool == true)
        }
    }

    @Test func aPaymentLowersTheOutstandingDebtOnAnotherDashboardLive() async throws {
        try await withBrowsers { server, driver, browsers in
            let owner = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.owner))
            try await owner.openScreen(server.base + "/#/dashboard", "dashboard", live: true)
            let debtFigure = "document.querySelector('[data-figure=debt] .stat-value').textContent.replace(/\\D/g, '')"
            let before = try #require(Int(try await owner.run("return \(debtFigure)") as? String ?? ""))

            let admin = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.admin))
            try await admin.open(server.base + "/#/debts")
            try await admin.wait(for: "the debts screen", "document.querySelector('.screen-debts[data-ready] select[name=userId]')", seconds: 20)
            try await admin.run("""
                const who = document.querySelector('select[name=userId]');
                who.value = [...who.options].find((option) => option.textContent.includes('Diego')).value;
                document.querySelector('input[name=amount]').value = '10,00';
                document.querySelector('.screen-debts form button[type=submit]').click();
                """)
            try await admin.wait(for: "the payment's success haptic", "window.__telegram.haptics.includes('success')")
            try await owner.wait(for: "the owner's dashboard to show R$ 10,00 less debt", "\(debtFigure) === '\(before - 1000)'")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("admin-phone-debts.png"))
        }
    }

    @Test func theDashboardsListsAndTheProductSearchAreLiveQueries() async throws {
        try await withBrowsers { server, driver, browsers in
            let owner = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.owner))
            try await owner.openScreen(server.base + "/#/dashboard", "dashboard", live: true)
            let lowList = "[...document.querySelectorAll('[aria-labelledby=low-title] li')].map((li) => li.innerText).join('|')"
            let todayList = "document.querySelector('[aria-labelledby=today-title]').innerText"
            let token = try await server.accessToken(DemoServer.owner)
            let products = try await server.request(.GET, "/api/products?limit=200", headers: ["Authorization": "Bearer \(token)"])
            let kibe = try #require((products.json["items"] as? [[String: Any]])?.first { $0["name"] as? String == "Kibe" }?["id"] as? String)
            #expect(!(try await owner.run("return \(lowList)") as? String ?? "").contains("Kibe"))

            // Another client raises Kibe's threshold past its stock: it enters the low-stock list live.
            let raised = try await server.request(.PATCH, "/api/products/\(kibe)", headers: ["Authorization": "Bearer \(token)"], json: ["lowStockThreshold": 500])
            #expect(raised.status == 200, "\(raised.text)")
            try await owner.wait(for: "Kibe to enter the low-stock list", "(\(lowList)).includes('Kibe')")
            // A sale made elsewhere heads today's list.
            let diego = try await userId(server, DemoServer.user)
            let sale = try await server.request(.POST, "/api/purchases", headers: ["Authorization": "Bearer \(token)"],
                                                json: ["buyerId": diego, "items": [["productId": kibe, "quantity": 1]]])
            #expect(sale.status == 201, "\(sale.text)")
            try await owner.wait(for: "the sale in today's list", "\(todayList).includes('Diego')")
            try await owner.screenshot(to: Self.screenshots.appendingPathComponent("owner-desktop-dashboard-live-queries.png"))

            // The product search is a live query too: "pao" finds the names starting "Pão" (no case, no
            // accents), and not the three whose description only mentions it (which the REST list, filtered
            // here before the answer comes, still shows).
            try await owner.openScreen(server.base + "/#/products", "products", live: true)
            try await owner.run("""
                const search = document.querySelector('.screen-products input[type=search]');
                search.value = 'pao';
                search.dispatchEvent(new Event('input'));
                """)
            let rows = "[...document.querySelectorAll('.screen-products tr[data-product-id]')].map((tr) => tr.innerText)"
            try await owner.wait(for: "the search's live result",
                                 "\(rows).length === 2 && \(rows)[0].includes('Pão de queijo') && \(rows)[1].includes('Pão na chapa')")
        }
    }

    @Test func aPartyConfirmsAContractAndTheOwnerSeesItLiveWhileTheBellCounts() async throws {
        try await withBrowsers { server, driver, browsers in
            let owner = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.owner))
            let diego = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.user))
            try await owner.openScreen(server.base + "/#/contracts", "contracts", live: true)
            try await diego.openScreen(server.base + "/#/contracts", "contracts", live: true)
            // The demo's coffee-machine contract waits for Diego (Ana confirmed; Bruno has not).
            let contract = "[...document.querySelectorAll('section[data-contract-id]')].find((s) => s.innerText.includes('Rateio da máquina de café'))"
            #expect(try await owner.run("return \(contract).innerText.includes('1 de 3 confirmações')") as? Bool == true)
            try await diego.run("\(contract).querySelector('button.primary').click()")
            try await diego.wait(for: "Diego's confirmation", "window.__telegram.haptics.includes('success')")
            try await owner.wait(for: "the owner to see the second confirmation live", "\(contract).innerText.includes('2 de 3 confirmações')")
            try await owner.screenshot(to: Self.screenshots.appendingPathComponent("owner-desktop-contract-confirmed.png"))

            // A notification for Diego raises his bell's count without a reload.
            let unread = "Number(document.getElementById('unread').hidden ? 0 : document.getElementById('unread').textContent)"
            let before = try #require(try await diego.run("return \(unread)") as? Int)
            let sent = try await server.request(.POST, "/api/notifications", headers: ["Authorization": "Bearer \(try await server.accessToken(DemoServer.owner))"],
                                                json: ["userId": try await userId(server, DemoServer.user), "title": "Bolo de pote chegou"])
            #expect(sent.status == 201, "the notification: \(sent.text)")
            try await diego.wait(for: "the bell to count the new notification", "\(unread) === \(before + 1)")
        }
    }

    @Test func aNotificationReadsInEachReadersLanguageAsItWasWhenItHappened() async throws {
        try await withBrowsers { server, driver, browsers in
            // Bruno's Telegram speaks English (and so his stored language becomes English at sign-in); Ana's Portuguese.
            let bruno = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.admin, language: "en"), language: "en")
            try await bruno.openScreen(server.base + "/#/products", "products")
            let owner = "Bearer \(try await server.accessToken(DemoServer.owner))"
            let products = try #require(try await server.get("/api/products?limit=100", headers: ["Authorization": owner]).json["items"] as? [[String: Any]])
            let product = try #require(products.first { $0["active"] as? Bool == true && ($0["stock"] as? Int ?? 0) > ($0["lowStockThreshold"] as? Int ?? 0) + 1 })
            let (id, name, emoji) = (try #require(product["id"] as? String), try #require(product["name"] as? String), product["emoji"] as? String ?? "")
            let (stock, threshold) = (try #require(product["stock"] as? Int), try #require(product["lowStockThreshold"] as? Int))
            let lowered = try await server.request(.POST, "/api/products/\(id)/stock", headers: ["Authorization": owner],
                                                   json: ["delta": threshold - stock, "reason": "adjustment"])
            #expect(lowered.status == 200, "the adjustment: \(lowered.text)")
            // Renamed and restocked afterwards: the notification still says what was true when it was written.
            let renamed = try await server.request(.PATCH, "/api/products/\(id)", headers: ["Authorization": owner], json: ["name": "Empada Nova"])
            #expect(renamed.status == 200, "the rename: \(renamed.text)")
            let restocked = try await server.request(.POST, "/api/products/\(id)/stock", headers: ["Authorization": owner],
                                                     json: ["delta": 50, "reason": "restock"])
            #expect(restocked.status == 200, "the restock: \(restocked.text)")

            let shown = emoji.isEmpty ? name : "\(emoji) \(name)"
            let english = (title: "Low stock: \(shown)", body: "\(threshold) left (threshold \(threshold)).")
            let portuguese = (title: "Estoque baixo: \(shown)", body: "Restam \(threshold) (limite \(threshold)).")
            let items = "[...document.querySelectorAll('li[data-notification-id]')].map((li) => li.innerText).join('\\n')"
            try await bruno.run("location.hash = '#/notifications'")
            try await bruno.wait(for: "Bruno's notification in English", "\(items).includes(\(Self.js(english.title)))", seconds: 20)
            let brunoSees = try #require(try await bruno.run("return \(items)") as? String)
            #expect(brunoSees.contains(english.body) && !brunoSees.contains(portuguese.title) && !brunoSees.contains("Empada Nova"), "Bruno sees: \(brunoSees)")
            try await bruno.screenshot(to: Self.screenshots.appendingPathComponent("admin-phone-en-notifications.png"))

            let ana = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.owner))
            try await ana.openScreen(server.base + "/#/notifications", "notifications")
            let anaSees = try #require(try await ana.run("return \(items)") as? String)
            #expect(anaSees.contains(portuguese.title) && anaSees.contains(portuguese.body) && !anaSees.contains(english.title), "Ana sees: \(anaSees)")

            // Scripts get the title and body already worded in the reader's stored language, with the kind and parameters.
            let signedIn = try await server.request(.POST, "/api/auth/telegram", json: ["initData": DemoServer.initData(DemoServer.admin, language: "en")])
            let brunoToken = try #require(signedIn.json["accessToken"] as? String, "Bruno's sign-in: \(signedIn.text)")
            let brunoList = try await server.get("/api/notifications", headers: ["Authorization": "Bearer \(brunoToken)"])
            let alert = try #require((brunoList.json["items"] as? [[String: Any]])?.first { $0["kind"] as? String == "low_stock" })
            #expect(alert["title"] as? String == english.title && alert["body"] as? String == english.body)
            #expect((alert["params"] as? [String: String])?["product"] == name && (alert["params"] as? [String: String])?["stock"] == String(threshold))
            let anaList = try await server.get("/api/notifications", headers: ["Authorization": owner])
            #expect((anaList.json["items"] as? [[String: Any]])?.first { $0["kind"] as? String == "low_stock" }?["title"] as? String == portuguese.title)
        }
    }

    /// A string as a JavaScript literal.
    static func js(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast().description
    }

    /// A demo person's user id, as the shop knows them.
    func userId(_ server: DemoServer, _ person: DemoServer.Person) async throws -> String {
        let me = try await server.get("/api/auth/me", headers: ["Authorization": "Bearer \(try await server.accessToken(person))"]).json
        return try #require((me["user"] as? [String: Any])?["id"] as? String)
    }

    @Test func aUserNeverSeesAdminMenusOrDataAndFollowsTheShopOverServerSentEvents() async throws {
        try await withBrowsers { server, driver, browsers in
            // WebSockets blocked in this browser: the app must fall back to SSE.
            let blockSockets = "window.WebSocket = class { constructor() { throw new Error('blocked by the test'); } };"
            let user = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.user), extraScript: blockSockets)
            try await user.openScreen(server.base + "/#/dashboard", "products")
            #expect(try await user.run("return location.hash") as? String == "#/products")
            let menu = try #require(try await user.run("return [...document.querySelectorAll('#menu a[data-screen]')].map((a) => a.dataset.screen)") as? [String])
            for adminOnly in ["dashboard", "purchase", "users", "reports", "audit"] {
                #expect(!menu.contains(adminOnly), "a user's menu offers \(adminOnly): \(menu)")
            }
            #expect(menu.contains("products") && menu.contains("orders") && menu.contains("console"))
            for screen in ["users", "audit", "reports", "purchase"] {
                try await user.run("location.hash = '#/\(screen)'")
                try await user.wait(for: "the redirect away from \(screen)", "location.hash === '#/products' && document.querySelector('.screen-products[data-ready]')")
            }
            let page = try await user.text("body")
            #expect(!page.contains("Faturamento") && !page.contains("Dívida em aberto") && !page.contains("Maiores compradores"))
            // The data is refused too, not only hidden.
            let status = try await user.run("""
                const token = JSON.parse(sessionStorage.getItem('tenda.session')).accessToken;
                const answers = await Promise.all(['/api/dashboard', '/api/users', '/api/debts'].map((path) => fetch(path, { headers: { Authorization: `Bearer ${token}` } })));
                return answers.map((answer) => answer.status);
                """.asyncFunction)
            #expect(status as? [Int] == [403, 403, 403], "the user's API answers: \(String(describing: status))")

            // Live over SSE: a restock made elsewhere shows up in the user's list.
            try await user.wait(for: "the SSE fallback", "document.getElementById('connection').dataset.status === 'fallback'", seconds: 15)
            try await user.screenshot(to: Self.screenshots.appendingPathComponent("user-phone-products.png"))
            let productId = try #require(try await user.run("return document.querySelector('tr[data-product-id]').dataset.productId") as? String)
            let before = try await user.run("return document.querySelector(`[data-stock='\(productId)']`).textContent") as? String ?? ""
            let restock = try await server.request(.POST, "/api/products/\(productId)/stock",
                                                   headers: ["Authorization": "Bearer \(try await server.accessToken(DemoServer.admin))"],
                                                   json: ["delta": 100, "reason": "restock"])
            #expect(restock.status == 200, "restock: \(restock.text)")
            let after = try #require(restock.json["stock"] as? Int)
            try await user.wait(for: "the restock over SSE (was \(before))", "document.querySelector(`[data-stock='\(productId)']`).textContent.replace(/\\D/g, '') === '\(after)'")
        }
    }

    @Test func everyMainScreenOpensForTheOwnerAndIsPhotographed() async throws {
        try await withBrowsers { server, driver, browsers in
            let owner = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.owner))
            try await owner.openScreen(server.base + "/", "dashboard")
            for screen in Self.mainScreens {
                try await owner.run("location.hash = '#/\(screen)'")
                try await owner.wait(for: "the \(screen) screen", "document.querySelector('.screen-\(screen)[data-ready]') || document.querySelector('main .error-box')", seconds: 15)
                let error = try await owner.run("return document.querySelector('main .error-box')?.innerText ?? null")
                #expect(error is NSNull, "\(screen) failed: \(String(describing: error))")
                if screen == "dashboard" || screen == "reports" {
                    try await owner.wait(for: "the \(screen) chart", "window.Chart && Chart.getChart(document.querySelector('canvas'))")
                }
                try await owner.screenshot(to: Self.screenshots.appendingPathComponent("owner-desktop-\(screen).png"))
            }
            // The product editor, in dark mode on a phone, as an English-speaking admin sees it.
            let english = try await browsers.open(driver, width: 430, height: 932,
                                                  initData: DemoServer.initData(DemoServer.admin, language: "en"), colorScheme: "dark", language: "en")
            try await english.open(server.base + "/#/products")
            try await english.wait(for: "the list", "document.querySelector('tr[data-product-id]')", seconds: 20)
            try await english.run("location.hash = '#/products/' + document.querySelector('tr[data-product-id]').dataset.productId")
            try await english.wait(for: "the editor", "document.querySelector('.screen-products[data-ready] input[name=name]')")
            #expect(try await english.text().lowercased().contains("adjust stock"), "the editor is not in English")
            try await english.screenshot(to: Self.screenshots.appendingPathComponent("admin-phone-dark-en-product-editor.png"))
        }
    }

    @Test func anAdminSeesAProductsStockHistoryAfterARestockAndASale() async throws {
        try await withBrowsers { server, driver, browsers in
            let auth = ["Authorization": "Bearer \(try await server.accessToken(DemoServer.admin))"]
            let created = try await server.request(.POST, "/api/products", headers: auth,
                                                   json: ["name": "Pamonha e2e", "price": 800, "stock": 5, "lowStockThreshold": 1])
            #expect(created.status == 201, "the product: \(created.text)")
            let productId = try #require(created.json["id"] as? String)
            let admin = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.admin))
            try await admin.openScreen(server.base + "/#/products/\(productId)", "products", live: true)
            let kinds = "[...document.querySelectorAll('[data-stock-history] tr[data-movement-id]')].map((row) => row.dataset.kind).join()"
            try await admin.wait(for: "the opening stock in the history", "\(kinds) === 'initial'", seconds: 20)

            // A restock from the page's own stock form …
            try await admin.run("""
                const form = document.querySelector('.screen-products form.toolbar');
                form.delta.value = '10'; form.reason.value = 'restock';
                form.requestSubmit();
                """)
            try await admin.wait(for: "the restock at the top of the history", "\(kinds) === 'restock,initial'")
            // … and a sale made elsewhere, which reaches the open page live.
            let sale = try await server.request(.POST, "/api/purchases", headers: auth,
                                                json: ["buyerId": try await userId(server, DemoServer.user), "items": [["productId": productId, "quantity": 2]]])
            #expect(sale.status == 201, "the sale: \(sale.text)")
            let saleId = try #require(sale.json["id"] as? String)
            try await admin.wait(for: "the sale in the history, live", "\(kinds) === 'sale,restock,initial'")
            let rows = try await admin.run("""
                return [...document.querySelectorAll('[data-stock-history] tbody tr')].map((row) => [...row.cells].slice(1).map((cell) => cell.innerText.trim()).join('|'))
                """) as? [String]
            #expect(rows == ["Venda|\u{2212}2|13|Bruno Carvalho|\(saleId)", "Reposição|+10|15|Bruno Carvalho|", "Estoque inicial|+5|5|Bruno Carvalho|"],
                    "the history shows: \(rows ?? [])")
            #expect(try await admin.run("return document.querySelector('.stock-history h2').textContent") as? String == "Histórico de estoque")
            try await admin.wait(for: "the level chart, oldest to newest",
                                 "window.Chart && Chart.getChart(document.querySelector('.stock-history canvas'))?.data.datasets[0].data.join() === '5,15,13'")
            try await admin.run("document.querySelector('.stock-history').scrollIntoView()")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("admin-phone-stock-history.png"))
        }
    }

    @Test func theConsoleGivesTheBotsAnswer() async throws {
        try await withBrowsers { server, driver, browsers in
            let admin = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.admin))
            try await admin.open(server.base + "/#/console")
            try await admin.wait(for: "the console", "document.querySelector('.screen-console[data-ready] input[name=command]')", seconds: 20)
            try await admin.run("""
                document.querySelector('input[name=command]').value = '/estoque';
                document.querySelector('.screen-console button[type=submit]').click();
                """)
            let state = try await admin.wait(for: "the console's answer", "['ok', 'error'].includes(document.querySelector('.console-output').dataset.state) && document.querySelector('.console-output').dataset.state")
            let shown = try await admin.run("return document.querySelector('.console-output').textContent") as? String ?? ""
            #expect(state as? String == "ok", "the console shows: \(shown)")
            // The bot's answer to the same line, straight from the bridge, reads the same once its Telegram HTML is rendered.
            let direct = try await server.request(.POST, "/api/commands/execute",
                                                  headers: ["Authorization": "Bearer \(try await server.accessToken(DemoServer.admin))", "Accept-Language": "pt-BR"],
                                                  json: ["command": "estoque", "args": ""])
            #expect(direct.status == 200, "the bridge: \(direct.text)")
            let botText = try #require(direct.json["text"] as? String)
            #expect(!botText.isEmpty)
            #expect(Self.plain(shown) == Self.plain(Self.withoutMarkup(botText)), "console: \(shown.prefix(300))\nbot: \(botText.prefix(300))")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("admin-desktop-console-estoque.png"))
        }
    }

    @Test func aPersonSeesTheirDevicesAndEndsTheOtherOne() async throws {
        try await withBrowsers { server, driver, browsers in
            // Diego signed in earlier from Telegram on his phone …
            let phone = try await server.request(.POST, "/api/auth/telegram", headers: ["User-Agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) Telegram-Android/11.2"],
                                                 json: ["initData": DemoServer.initData(DemoServer.user)])
            let phoneRefresh = try #require(phone.json["refreshToken"] as? String, "sign-in: \(phone.text)")
            // … and now opens the MiniApp in this browser.
            let user = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.user))
            try await user.openScreen(server.base + "/#/sessions", "sessions")
            try await user.wait(for: "both devices", "document.querySelectorAll('li[data-session-id]').length === 2")
            let listed = try await user.text("main")
            #expect(listed.contains("Telegram · Android") && listed.contains("este aparelho"), "the panel shows: \(listed)")
            let current = try await user.run("return document.querySelector('li[data-session-id] .pill')?.closest('li').innerText ?? ''") as? String ?? ""
            #expect(current.contains("Chrome · Linux"), "this browser is the current device: \(current)")
            try await user.screenshot(to: Self.screenshots.appendingPathComponent("user-phone-sessions.png"))

            try await user.run("document.querySelector('li[data-session-id] button.danger').click()")
            try await user.wait(for: "the phone's session to go", "document.querySelectorAll('li[data-session-id]').length === 1")
            let left = try await user.text("main")
            #expect(!left.contains("Telegram · Android") && left.contains("este aparelho"), "after ending: \(left)")
            try await user.wait(for: "the confirmation", "document.getElementById('toasts').innerText.includes('Sessão encerrada')")
            try await user.screenshot(to: Self.screenshots.appendingPathComponent("user-phone-session-ended.png"))

            let refused = try await server.request(.POST, "/api/auth/refresh", json: ["refreshToken": phoneRefresh])
            #expect(refused.status == 401, "the ended phone's refresh: \(refused.status) \(refused.text)")
        }
    }

    /// Telegram HTML as its text: tags dropped, the five entities decoded.
    static func withoutMarkup(_ html: String) -> String {
        html.replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }

    /// Text with runs of whitespace made one space, for comparing what two renderings say.
    static func plain(_ text: String) -> String {
        text.replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression).trimmingCharacters(in: .whitespaces)
    }

    // MARK: Set-up

    /// The browsers a test opened, closed when it ends.
    actor BrowserSet {
        private(set) var all: [Browser] = []

        /// A browser inside "Telegram" (with the stand-in carrying `initData`), or a plain one when `initData` is nil.
        func open(_ driver: ChromeDriver, width: Int, height: Int, initData: String? = nil, extraScript: String = "",
                  colorScheme: String = "light", language: String = "pt-br", chromiumArguments: [String] = []) async throws -> Browser {
            let standIn = initData.map { TelegramStandIn.script(initData: $0, language: language, colorScheme: colorScheme) } ?? ""
            let browser = try await driver.browser(width: width, height: height, beforePageScripts: standIn + extraScript, arguments: chromiumArguments)
            all.append(browser)
            return browser
        }

        func closeAll() async {
            for browser in all { await browser.close() }
            all = []
        }
    }

    /// Runs `body` with a demo server, chromedriver and a set of browsers, and tears all three down.
    func withBrowsers(accessTokenLifetime: TimeInterval? = nil, _ body: (DemoServer, ChromeDriver, BrowserSet) async throws -> Void) async throws {
        let started = ContinuousClock.now
        try await DemoServer.with(accessTokenLifetime: accessTokenLifetime) { server in
            let driver = try await ChromeDriver.start()
            let browsers = BrowserSet()
            do {
                try await body(server, driver, browsers)
            } catch {
                await browsers.closeAll()
                await driver.stop()
                throw error
            }
            await browsers.closeAll()
            await driver.stop()
        }
        print("MiniApp e2e took \(ContinuousClock.now - started); screenshots in \(Self.screenshots.path)")
    }
}

extension Browser {
    /// Opens a MiniApp address and waits until `screen` has loaded (and, with `live`, the live connection is up).
    func openScreen(_ url: String, _ screen: String, live: Bool = false) async throws {
        try await open(url)
        try await wait(for: "the \(screen) screen", "document.querySelector('.screen-\(screen)[data-ready]')", seconds: 20)
        if live { try await wait(for: "the live connection", "document.getElementById('connection').dataset.status === 'live'") }
    }
}

extension String {
    /// The script wrapped so `await` works inside WebDriver's synchronous execute (it awaits a returned promise).
    var asyncFunction: String { "return (async () => { \(self) })()" }
}
