import Foundation
import NIOHTTP1
import Testing

/// The MiniApp without a connection, in headless Chromium with the network cut through the
/// DevTools protocol: it opens from its service worker, says it is offline and how old its
/// data is, queues sales and payments in IndexedDB, keeps them through a reload, and sends each
/// exactly once when the connection returns — also when it flaps during the replay, and with a
/// refusal shown against its item.
///
/// The demo server serves the working tree's `web/` (`webRoot`), so these tests check the files
/// as they are now. Screenshots go where MiniAppTests puts its own.
@Suite(.serialized, .timeLimit(.minutes(4))) struct OfflineMiniAppTests {
    static var screenshots: URL { MiniAppTests.screenshots }

    @Test func salesAndAPaymentMadeOfflineSurviveAReloadAndAreSentOnceWhenTheConnectionReturns() async throws {
        try await withAdmin { server, admin, network in
            let diego = try await Self.userId(server, DemoServer.user)
            let token = try await server.accessToken(DemoServer.owner)
            let salesBefore = try await Self.count(server, "/api/sales?buyerId=\(diego)&limit=200", token)
            let paymentsBefore = try await Self.count(server, "/api/payments?userId=\(diego)&limit=200", token)
            let product = try await Self.productWithStock(server, token, atLeast: 3)

            try await admin.run("window.__telegram.haptics = []")
            try await network.set(offline: true)
            // The worker's own fetches are cut too: the worker answers this GET /api (network first)
            // and has nothing kept for its address, so it can only fail (online the server would answer 401).
            #expect(try await admin.run("return fetch('/api/products?probe=' + Math.random()).then(() => 'reached', () => 'cut')".asyncFunction) as? String == "cut")

            try await admin.run("location.hash = '#/purchase'")
            try await admin.wait(for: "the purchase screen from the cache", "document.querySelector('.screen-purchase[data-ready]')", seconds: 30)
            try await admin.wait(for: "the offline banner", "!document.getElementById('offline').hidden && document.getElementById('offline').dataset.dataAt")
            let banner = try await admin.text("#offline")
            #expect(banner.hasPrefix("Sem conexão. O que você vê é de "), "the banner says: \(banner)")
            try await Self.chooseBuyer(admin, "Diego")
            for sale in 1...3 {
                try await admin.run("document.querySelector(`li[data-product-id='\(product)'] button:last-child`).click()")
                try await admin.run("window.__telegram.main.handler()")
                try await admin.wait(for: "sale \(sale) in the outbox", "document.querySelectorAll('#outbox li[data-outbox-item]').length === \(sale)")
            }
            try await admin.run("location.hash = '#/debts'")
            try await admin.wait(for: "the debts screen from the cache", "document.querySelector('.screen-debts[data-ready] select[name=userId]')", seconds: 30)
            try await admin.run("""
                const who = document.querySelector('select[name=userId]');
                who.value = [...who.options].find((option) => option.textContent.includes('Diego')).value;
                document.querySelector('input[name=amount]').value = '5,00';
                document.querySelector('.screen-debts form button[type=submit]').click();
                """)
            try await admin.wait(for: "the payment in the outbox", "document.querySelectorAll('#outbox li[data-outbox-item]').length === 4")
            // Each queued write buzzes as "not done yet", never as a success.
            #expect(try await admin.run("return window.__telegram.haptics.join(',')") as? String == "warning,warning,warning,warning")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("offline-admin-phone-queued.png"))

            // A reload with no connection: the service worker opens the app, the queue is still there.
            try await admin.run("window.__beforeReload = true")
            _ = try await admin.command(.POST, "/refresh", [:])
            try await admin.wait(for: "the debts screen after an offline reload", "document.querySelector('.screen-debts[data-ready]') && !window.__beforeReload", seconds: 30)
            try await admin.wait(for: "the four queued writes after the reload", "document.querySelectorAll('#outbox li[data-outbox-item][data-state=queued]').length === 4")
            try await admin.wait(for: "the offline banner after the reload", "!document.getElementById('offline').hidden")
            // textContent: the heading as written (its style shows it in capitals); money has a no-break space.
            let queued = (try await admin.run("return document.getElementById('outbox').textContent") as? String ?? "")
                .replacingOccurrences(of: "\u{a0}", with: " ")
            #expect(queued.contains("Aguardando envio (4)") && queued.contains("Compra:") && queued.contains("Pagamento:") && queued.contains("R$ 5,00"),
                    "the outbox shows: \(queued)")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("offline-admin-phone-reloaded.png"))
            #expect(try await Self.count(server, "/api/sales?buyerId=\(diego)&limit=200", token) == salesBefore, "nothing reached the server while offline")

            try await network.set(offline: false)
            try await admin.wait(for: "the outbox to empty", "document.getElementById('outbox').hidden && !document.querySelector('#outbox li')", seconds: 30)
            try await admin.wait(for: "the banner to go", "document.getElementById('offline').hidden", seconds: 30)
            try await admin.wait(for: "the live connection", "document.getElementById('connection').dataset.status === 'live'", seconds: 30)
            #expect(try await Self.count(server, "/api/sales?buyerId=\(diego)&limit=200", token) == salesBefore + 3)
            #expect(try await Self.count(server, "/api/payments?userId=\(diego)&limit=200", token) == paymentsBefore + 1)

            // The dashboard is live again: a payment made elsewhere lowers its debt figure without a reload.
            try await admin.run("location.hash = '#/dashboard'")
            try await admin.wait(for: "the dashboard", "document.querySelector('.screen-dashboard[data-ready] [data-figure=debt] .stat-value')", seconds: 30)
            let debtFigure = "document.querySelector('[data-figure=debt] .stat-value').textContent.replace(/\\D/g, '')"
            let before = try #require(Int(try await admin.run("return \(debtFigure)") as? String ?? ""))
            let paid = try await server.request(.POST, "/api/payments", headers: ["Authorization": "Bearer \(token)"],
                                                json: ["userId": diego, "amount": 100, "currency": "BRL", "method": "pix", "note": ""])
            #expect(paid.status == 201, "the other payment: \(paid.text)")
            try await admin.wait(for: "the dashboard to follow live", "\(debtFigure) === '\(before - 100)'", seconds: 30)
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("offline-admin-phone-back-online.png"))
        }
    }

    @Test func anOfflineSaleTheStockNoLongerCoversIsRefusedAgainstItsItemAndCanBeFixed() async throws {
        try await withAdmin { server, admin, network in
            let token = try await server.accessToken(DemoServer.owner)
            let diego = try await Self.userId(server, DemoServer.user)
            let product = try await Self.productWithStock(server, token, atLeast: 3)
            let stock = try #require(try await server.get("/api/products/\(product)", headers: ["Authorization": "Bearer \(token)"]).json["stock"] as? Int)

            try await network.set(offline: true)
            try await admin.run("location.hash = '#/purchase'")
            try await admin.wait(for: "the purchase screen from the cache", "document.querySelector('.screen-purchase[data-ready]')", seconds: 30)
            try await Self.chooseBuyer(admin, "Diego")
            for _ in 0..<3 { try await admin.run("document.querySelector(`li[data-product-id='\(product)'] button:last-child`).click()") }
            try await admin.run("window.__telegram.main.handler()")
            try await admin.wait(for: "the sale in the outbox", "document.querySelectorAll('#outbox li[data-outbox-item]').length === 1")

            // Meanwhile someone else sells all but one unit.
            let other = try await server.request(.POST, "/api/purchases", headers: ["Authorization": "Bearer \(token)"],
                                                 json: ["buyerId": diego, "items": [["productId": product, "quantity": stock - 1]]])
            #expect(other.status == 201, "the other sale: \(other.text)")
            let salesBefore = try await Self.count(server, "/api/sales?buyerId=\(diego)&limit=200", token)

            try await network.set(offline: false)
            try await admin.wait(for: "the refusal against the item", "document.querySelector('#outbox li[data-outbox-item][data-state=refused]')", seconds: 30)
            let refused = try await admin.text("#outbox")
            #expect(refused.contains("recusado: Estoque insuficiente") && refused.contains("(pedido 3, há 1)"), "the outbox shows: \(refused)")
            try await admin.wait(for: "the error haptic", "window.__telegram.haptics.includes('error')")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("offline-admin-phone-refused.png"))
            #expect(try await Self.count(server, "/api/sales?buyerId=\(diego)&limit=200", token) == salesBefore)

            // Fixed: the one unit left is sold, once.
            try await admin.run("document.querySelector('#outbox li[data-state=refused] button[data-action=fix]').click()")
            try await admin.wait(for: "the fixed sale to go", "document.getElementById('outbox').hidden", seconds: 30)
            #expect(try await Self.count(server, "/api/sales?buyerId=\(diego)&limit=200", token) == salesBefore + 1)
            #expect(try await server.get("/api/products/\(product)", headers: ["Authorization": "Bearer \(token)"]).json["stock"] as? Int == 0)
        }
    }

    @Test func aConnectionThatFlapsDuringTheReplayStillSendsEachWriteOnce() async throws {
        try await withAdmin { server, admin, network in
            let token = try await server.accessToken(DemoServer.owner)
            let diego = try await Self.userId(server, DemoServer.user)
            let product = try await Self.productWithStock(server, token, atLeast: 20)
            let stock = try #require(try await server.get("/api/products/\(product)", headers: ["Authorization": "Bearer \(token)"]).json["stock"] as? Int)
            let salesBefore = try await Self.count(server, "/api/sales?buyerId=\(diego)&limit=200", token)

            try await network.set(offline: true)
            try await admin.run("location.hash = '#/purchase'")
            try await admin.wait(for: "the purchase screen from the cache", "document.querySelector('.screen-purchase[data-ready]')", seconds: 30)
            try await Self.chooseBuyer(admin, "Diego")
            for sale in 1...20 {
                try await admin.run("document.querySelector(`li[data-product-id='\(product)'] button:last-child`).click()")
                try await admin.run("window.__telegram.main.handler()")
                try await admin.wait(for: "sale \(sale) in the outbox", "document.querySelectorAll('#outbox li[data-outbox-item]').length === \(sale)")
            }

            // Chromium's offline emulation fails new requests but lets an answer already on its way
            // arrive, so the cuts below alone never lose an answer the server sent. The page's fetch
            // is wrapped (see Self.answerLoser) to lose three: the server sells, the page sees a
            // network failure, and the outbox must resend the sale with its key and not sell twice.
            try await admin.run("window.__loseAnswers = 3")

            // Ten times online and offline again while the queue replays over a slow line (400 ms a
            // request): offline as soon as a sale is on its way, or as soon as one got through (the
            // next then is on its way).
            let waiting = "document.querySelectorAll('#outbox li[data-outbox-item]').length"
            for flip in 1...10 {
                let left = try #require(try await admin.run("return \(waiting)") as? Int)
                try #require(left > 0, "the queue emptied before flip \(flip)")
                try await network.set(offline: false, latency: 400)
                if flip.isMultiple(of: 2) {
                    try await admin.wait(for: "one more sale through (flip \(flip))", "\(waiting) < \(left)", seconds: 30)
                } else {
                    try await admin.wait(for: "a sale on its way (flip \(flip))", "document.querySelector('#outbox li[data-state=sending]')", seconds: 30)
                }
                try await network.set(offline: true)
            }
            try await network.set(offline: false)
            try await admin.wait(for: "the outbox to empty", "document.getElementById('outbox').hidden", seconds: 30)
            #expect(try await admin.run("return window.__lostAnswers") as? Int == 3, "the page did not lose the three answers")
            #expect(try await Self.count(server, "/api/sales?buyerId=\(diego)&limit=200", token) == salesBefore + 20)
            #expect(try await server.get("/api/products/\(product)", headers: ["Authorization": "Bearer \(token)"]).json["stock"] as? Int == stock - 20)
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("offline-admin-phone-after-flapping.png"))
        }
    }

    @Test func aStockChangeAndAnOrderMadeOfflineAreAppliedOnceWhenTheConnectionReturns() async throws {
        try await withAdmin { server, admin, network in
            let token = try await server.accessToken(DemoServer.owner)
            let adminId = try await Self.userId(server, DemoServer.admin)
            let product = try await Self.productWithStock(server, token, atLeast: 3)
            let stock = try await Self.stock(server, product, token)
            let ordersBefore = try await Self.orders(server, of: adminId, token)
            let editor = "document.querySelector('.screen-products[data-ready] input[name=delta]')"
            let orderForm = "document.querySelector('.screen-orders[data-ready] form select[name=product]')"
            // Both screens once online, so the worker keeps what they show.
            try await admin.run("location.hash = '#/products/\(product)'")
            try await admin.wait(for: "the product editor", editor, seconds: 30)
            try await admin.run("location.hash = '#/orders'")
            try await admin.wait(for: "the order form", orderForm, seconds: 30)

            try await network.set(offline: true)
            try await admin.run("location.hash = '#/products/\(product)'")
            try await admin.wait(for: "the product editor from the cache", editor, seconds: 30)
            try await admin.run("""
                const form = document.querySelector('input[name=delta]').form;
                form.delta.value = '5';
                form.reason.value = 'restock';
                form.requestSubmit();
                """)
            try await admin.wait(for: "the stock change in the outbox", "document.querySelectorAll('#outbox li[data-outbox-item]').length === 1")
            try await admin.run("location.hash = '#/orders'")
            try await admin.wait(for: "the order form from the cache", orderForm, seconds: 30)
            try await admin.run("""
                const form = document.querySelector('.screen-orders form');
                form.product.value = arguments[0];
                form.quantity.value = '2';
                form.requestSubmit();
                """, [product])
            try await admin.wait(for: "the order in the outbox", "document.querySelectorAll('#outbox li[data-outbox-item]').length === 2")
            let queued = try await admin.run("return document.getElementById('outbox').textContent") as? String ?? ""
            #expect(queued.contains("Estoque: +5") && queued.contains("Pedido: 2 ×"), "the outbox shows: \(queued)")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("offline-admin-phone-stock-and-order-queued.png"))
            #expect(try await Self.stock(server, product, token) == stock, "nothing reached the server while offline")

            try await network.set(offline: false)
            try await admin.wait(for: "the outbox to empty", "document.getElementById('outbox').hidden", seconds: 30)
            #expect(try await Self.stock(server, product, token) == stock + 5 - 2, "restocked by 5 once, 2 reserved once")
            #expect(try await Self.orders(server, of: adminId, token) == ordersBefore + 1)
        }
    }

    // MARK: Set-up

    /// A demo server, and an admin's phone-sized browser inside "Telegram" whose service worker
    /// controls the page and has cached the dashboard, purchase and debts screens' data.
    /// Run in every page before its own scripts: a fetch that, while `window.__loseAnswers` is
    /// above zero, lets a purchase reach the server and then throws as a dropped connection
    /// would, counting each in `window.__lostAnswers`.
    static let answerLoser = """
        (() => {
          const send = window.fetch.bind(window);
          window.__loseAnswers = 0;
          window.__lostAnswers = 0;
          window.fetch = async (resource, init) => {
            const response = await send(resource, init);
            if (init?.method === 'POST' && String(resource).endsWith('/api/purchases') && window.__loseAnswers > 0) {
              window.__loseAnswers -= 1;
              window.__lostAnswers += 1;
              throw new TypeError('the answer was lost on the way (test)');
            }
            return response;
          };
        })();
        """

    func withAdmin(_ body: (DemoServer, Browser, NetworkSwitch) async throws -> Void) async throws {
        let server = try await DemoServer.start(webRoot: packageRoot.appendingPathComponent("web").path)
        let driver: ChromeDriver
        do { driver = try await ChromeDriver.start() } catch {
            await server.stop()
            throw error
        }
        let browsers = MiniAppTests.BrowserSet()
        do {
            let admin = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.admin),
                                             extraScript: Self.answerLoser)
            try await admin.openScreen(server.base + "/#/dashboard", "dashboard", live: true)
            try await admin.wait(for: "the service worker", "navigator.serviceWorker.controller", seconds: 30)
            // Each screen once under the worker, so the cache holds what it shows.
            for screen in ["purchase", "debts", "dashboard"] {
                try await admin.run("location.hash = '#/\(screen)'")
                try await admin.wait(for: "the \(screen) screen", "document.querySelector('.screen-\(screen)[data-ready]')", seconds: 30)
            }
            try await admin.wait(for: "the dashboard's chart", "window.Chart && Chart.getChart(document.querySelector('canvas'))", seconds: 30)
            try await body(server, admin, NetworkSwitch(browser: admin))
        } catch {
            await browsers.closeAll()
            await driver.stop()
            await server.stop()
            throw error
        }
        await browsers.closeAll()
        await driver.stop()
        await server.stop()
    }

    static func userId(_ server: DemoServer, _ person: DemoServer.Person) async throws -> String {
        let me = try await server.get("/api/auth/me", headers: ["Authorization": "Bearer \(try await server.accessToken(person))"]).json
        return try #require((me["user"] as? [String: Any])?["id"] as? String)
    }

    /// How many items a list route holds, every page of it.
    static func count(_ server: DemoServer, _ path: String, _ token: String) async throws -> Int {
        var total = 0
        var cursor: String?
        repeat {
            let page = try await server.get(path + (cursor.map { "&cursor=\($0)" } ?? ""), headers: ["Authorization": "Bearer \(token)"])
            let items = try #require(page.json["items"] as? [[String: Any]], "\(path): \(page.text)")
            total += items.count
            cursor = page.json["next"] as? String
        } while cursor != nil
        return total
    }

    /// How many orders `customer` has, every page.
    static func orders(_ server: DemoServer, of customer: String, _ token: String) async throws -> Int {
        var total = 0
        var cursor: String?
        repeat {
            let page = try await server.get("/api/orders?limit=200" + (cursor.map { "&cursor=\($0)" } ?? ""), headers: ["Authorization": "Bearer \(token)"])
            let items = try #require(page.json["items"] as? [[String: Any]], "orders: \(page.text)")
            total += items.filter { $0["customerId"] as? String == customer }.count
            cursor = page.json["next"] as? String
        } while cursor != nil
        return total
    }

    static func stock(_ server: DemoServer, _ product: String, _ token: String) async throws -> Int {
        try #require(try await server.get("/api/products/\(product)", headers: ["Authorization": "Bearer \(token)"]).json["stock"] as? Int)
    }

    /// An active product of the demo shop with at least `units` in stock.
    static func productWithStock(_ server: DemoServer, _ token: String, atLeast units: Int) async throws -> String {
        let products = try await server.get("/api/products?limit=100", headers: ["Authorization": "Bearer \(token)"]).json["items"] as? [[String: Any]] ?? []
        let product = products.first { ($0["stock"] as? Int ?? 0) >= units && $0["active"] as? Bool != false }
        return try #require(product?["id"] as? String, "no product with \(units) units")
    }

    static func chooseBuyer(_ browser: Browser, _ name: String) async throws {
        try await browser.run("""
            const select = document.querySelector('.screen-purchase select');
            select.value = [...select.options].find((option) => option.textContent.includes(arguments[0])).value;
            select.dispatchEvent(new Event('change', { bubbles: true }));
            """, [name])
    }
}

/// Cuts a browser's network and gives it back through the DevTools protocol (chromedriver's
/// `goog/cdp/execute`), for the page and for its service workers.
///
/// `Network.emulateNetworkConditions` on the page does not reach a service worker's own fetches:
/// with Chromium 156 a worker's `fetch` still reached the server while the page was offline. So
/// each service-worker target is attached too (`Target.attachToTarget`, not flattened, since
/// chromedriver's endpoint speaks to the page's session only) and sent the same emulation
/// through `Target.sendMessageToTarget`. The emulation lives as long as that session: coming
/// back online detaches it (an attached worker is also not stopped for being idle, so it cannot
/// come back with a network of its own while the test holds it offline).
///
/// Not Sendable: one test's task owns it.
final class NetworkSwitch {
    let browser: Browser
    private var workerSessions: [String] = []
    private var messageId = 0

    init(browser: Browser) { self.browser = browser }

    /// Cuts the network, or gives it back with `latency` milliseconds added to each request.
    func set(offline: Bool, latency: Int = 0) async throws {
        let conditions: [String: Any] = ["offline": offline, "latency": latency, "downloadThroughput": -1, "uploadThroughput": -1]
        try await cdp("Network.enable")
        try await cdp("Network.emulateNetworkConditions", conditions)
        for session in workerSessions { try await cdp("Target.detachFromTarget", ["sessionId": session]) }
        workerSessions = []
        guard offline else { return }
        let targets = try await cdp("Target.getTargets")["targetInfos"] as? [[String: Any]] ?? []
        let workers = targets.filter { $0["type"] as? String == "service_worker" }.compactMap { $0["targetId"] as? String }
        #expect(!workers.isEmpty, "no service worker to cut off")
        for target in workers {
            let session = try #require(try await cdp("Target.attachToTarget", ["targetId": target, "flatten": false])["sessionId"] as? String)
            workerSessions.append(session)
            for (method, params) in [("Network.enable", [String: Any]()), ("Network.emulateNetworkConditions", conditions)] {
                messageId += 1
                let message = try JSONSerialization.data(withJSONObject: ["id": messageId, "method": method, "params": params])
                try await cdp("Target.sendMessageToTarget", ["sessionId": session, "message": String(decoding: message, as: UTF8.self)])
            }
        }
    }

    @discardableResult
    private func cdp(_ command: String, _ params: [String: Any] = [:]) async throws -> [String: Any] {
        try await browser.command(.POST, "/goog/cdp/execute", ["cmd": command, "params": params]) as? [String: Any] ?? [:]
    }
}
