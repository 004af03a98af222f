import Foundation
import NIOHTTP1
import Testing

/// The MiniApp follows its session as the server reports it on the live connection (issue 13):
/// it re-authenticates in place before its access token expires, and a role change or a block
/// made in another window reaches the open page at once, without a reload.
extension MiniAppTests {
    /// Records, before the page's own scripts run, what its WebSockets do (opens, the frames
    /// received, the types sent) and every status the live dot shows, in `window.__live`.
    static let liveRecorder = """
        (() => {
          const record = { opens: 0, received: [], sent: [], statuses: [] };
          window.__live = record;
          const Native = window.WebSocket;
          window.WebSocket = class extends Native {
            constructor(...args) {
              super(...args);
              this.addEventListener('open', () => { record.opens += 1; });
              this.addEventListener('message', (message) => { try { record.received.push(JSON.parse(message.data)); } catch {} });
            }
            send(text) { try { record.sent.push(JSON.parse(text).type); } catch {} return super.send(text); }
          };
          document.addEventListener('DOMContentLoaded', () => {
            const dot = document.getElementById('connection');
            new MutationObserver(() => record.statuses.push(dot.dataset.status)).observe(dot, { attributes: true, attributeFilter: ['data-status'] });
          });
        })();
        """

    /// A JavaScript expression summing up `window.__live`, for failure messages.
    static let liveSummary = """
        JSON.stringify({ opens: __live.opens, sent: __live.sent, statuses: __live.statuses,
                         received: __live.received.filter((f) => f.topic !== 'presence').map((f) => f.type === 'event' ? `${f.event}#${f.seq}` : f.type + (f.code ? ':' + f.code : '')),
                         hash: location.hash, menu: [...document.querySelectorAll('#menu a[data-screen]')].map((a) => a.dataset.screen) })
        """

    @Test func theLiveConnectionReauthenticatesInPlaceAcrossTwoTokenExpiriesWithoutReconnecting() async throws {
        let lifetime = 6.0
        try await withBrowsers(accessTokenLifetime: lifetime) { server, driver, browsers in
            let admin = try await openRecordedAdminDashboard(server, driver, browsers)
            let opensBefore = try await webSocketsAccepted(server)
            let summary = try await admin.run("return \(Self.liveSummary)") as? String ?? ""
            let ready = try #require(try await admin.run("return __live.received.find((f) => f.type === 'ready')?.expiresAt ?? null") as? String,
                                     "ready carries no expiresAt: \(summary)")
            let firstExpiry = try #require(ISO8601DateFormatter().date(from: ready))

            // A sale before the first expiry, another once past the second: both arrive on the same socket.
            let before = try await sell(server)
            try await waitShowingLive(admin, "the sale before the first expiry", "__live.received.some((f) => f.event === 'new_sale' && f.data?.sale?.id === '\(before)')")
            try await waitShowingLive(admin, "two in-place re-authentications and the first renewed token's expiry passed", """
                __live.received.filter((f) => f.type === 'auth_ok').length >= 2
                  && Date.now() > Date.parse(__live.received.find((f) => f.type === 'auth_ok').expiresAt)
                """, seconds: 4 * lifetime + 10)
            // Past two expiries: the first token's, and that of the token the first re-authentication sent.
            let renewed = try #require(ISO8601DateFormatter().date(from: try await admin.run(
                "return __live.received.find((f) => f.type === 'auth_ok').expiresAt") as? String ?? ""))
            #expect(renewed > firstExpiry && Date() > renewed, "the test did not outlive two tokens (\(firstExpiry), \(renewed))")
            let after = try await sell(server)
            try await waitShowingLive(admin, "the sale after two expiries", "__live.received.some((f) => f.event === 'new_sale' && f.data?.sale?.id === '\(after)')")

            let seen = try await admin.run("return \(Self.liveSummary)") as? String ?? ""
            #expect(try await admin.run("return __live.opens") as? Int == 1, "the page opened more than one WebSocket: \(seen)")
            #expect(try await webSocketsAccepted(server) == opensBefore, "the server accepted another WebSocket: \(seen)")
            #expect(try await admin.run("return __live.sent.filter((type) => type === 'auth').length") as? Int ?? 0 >= 2, "\(seen)")
            #expect(try await admin.run("return __live.received.some((f) => f.type === 'closed' || f.type === 'error')") as? Bool == false, "\(seen)")
            #expect(try await admin.run("return __live.statuses.slice(__live.statuses.indexOf('live')).every((s) => s === 'live')") as? Bool == true,
                    "the live dot changed: \(seen)")
            #expect(try await admin.run("return document.getElementById('connection').dataset.status") as? String == "live")
            #expect(try await admin.run("return window.__notReloaded === true") as? Bool == true, "the page reloaded")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("admin-phone-dashboard-after-two-token-expiries.png"))
        }
    }

    @Test func anAdminDemotedInAnotherWindowLosesTheAdminScreensAtOnceAndABlockSignsThemOut() async throws {
        try await withBrowsers { server, driver, browsers in
            let admin = try await openRecordedAdminDashboard(server, driver, browsers)
            let adminId = try await userId(server, DemoServer.admin)
            let menu = "[...document.querySelectorAll('#menu a[data-screen]')].map((a) => a.dataset.screen).join(',')"
            #expect((try await admin.run("return \(menu)") as? String ?? "").contains("dashboard"))

            // The owner demotes them: the admin screens go, the page lands on Products, nothing reloads.
            var started = ContinuousClock.now
            try await changeUser(server, adminId, ["role": "user"])
            try await waitShowingLive(admin, "the admin screens to go", """
                !/dashboard|purchase|reports/.test(\(menu)) && location.hash === '#/products' && document.querySelector('.screen-products[data-ready]')
                """, seconds: 3)
            print("demotion reached the page in \(ContinuousClock.now - started)")
            #expect(try await admin.run("return window.__notReloaded === true") as? Bool == true, "the page reloaded")
            #expect(try await admin.run("return document.getElementById('connection').dataset.status") as? String == "live")
            #expect(try await admin.text("#toasts").contains("agora você é cliente"))
            #expect(try await admin.run("return [...document.querySelectorAll('.screen-products button')].some((b) => b.textContent === 'Novo produto')") as? Bool == false,
                    "a user's product list offers to create products")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("demoted-admin-phone-products.png"))

            // Promoted again: the screens come back the same way.
            started = ContinuousClock.now
            try await changeUser(server, adminId, ["role": "admin"])
            try await waitShowingLive(admin, "the admin screens to come back", "/dashboard/.test(\(menu)) && /reports/.test(\(menu))", seconds: 3)
            print("promotion reached the page in \(ContinuousClock.now - started)")
            try await admin.run("location.hash = '#/dashboard'")
            try await admin.wait(for: "the dashboard", "document.querySelector('.screen-dashboard[data-ready]')")
            #expect(try await admin.run("return window.__notReloaded === true") as? Bool == true, "the page reloaded")

            // Blocked: the session ends, and the sign-in screen says why.
            try await changeUser(server, adminId, ["blocked": true])
            try await waitShowingLive(admin, "the sign-in screen after the block", """
                document.querySelector('.signin .notice')?.innerText.includes('Seu acesso a esta loja foi bloqueado') && document.getElementById('menu').hidden
                """, seconds: 3)
            #expect(try await admin.run("return sessionStorage.getItem('tenda.session')") is NSNull, "the tokens were kept")
            #expect(try await admin.run("return window.__notReloaded === true") as? Bool == true, "the page reloaded")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("blocked-admin-phone-sign-in.png"))
        }
    }

    @Test func overServerSentEventsTheMiniAppRenewsItsTokenQuietlyAcrossTwoExpiries() async throws {
        let lifetime = 6.0
        try await withBrowsers(accessTokenLifetime: lifetime) { server, driver, browsers in
            // WebSockets blocked: the app follows /api/events, whose stream ends at each token's expiry.
            let countStreams = """
                window.__streams = 0;
                const fetchNatively = window.fetch.bind(window);
                window.fetch = (url, init) => { if (String(url).startsWith('/api/events')) window.__streams += 1; return fetchNatively(url, init); };
                window.WebSocket = class { constructor() { throw new Error('blocked by the test'); } };
                """
            let user = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.user),
                                               extraScript: Self.liveRecorder + countStreams)
            try await user.openScreen(server.base + "/#/products", "products")
            try await waitShowingLive(user, "the SSE fallback", "document.getElementById('connection').dataset.status === 'fallback'", seconds: 15)
            try await user.run("window.__notReloaded = true")
            let productId = try #require(try await user.run("return document.querySelector('tr[data-product-id]').dataset.productId") as? String)
            let stock = "document.querySelector(`[data-stock='\(productId)']`).textContent.replace(/\\D/g, '')"

            var shown = try await restock(server, productId)
            try await waitShowingLive(user, "the first restock over SSE", "\(stock) === '\(shown)'")
            try await waitShowingLive(user, "two renewed streams", "window.__streams >= 3", seconds: 4 * lifetime + 10)
            shown = try await restock(server, productId)
            try await waitShowingLive(user, "the restock after two expiries", "\(stock) === '\(shown)'")

            let seen = try await user.run("return \(Self.liveSummary)") as? String ?? ""
            #expect(try await user.run("return __live.statuses.slice(__live.statuses.indexOf('fallback')).every((s) => s === 'fallback')") as? Bool == true,
                    "the dot changed while the stream was renewed: \(seen)")
            #expect(try await user.run("return sessionStorage.getItem('tenda.session') !== null && document.getElementById('menu').hidden === false") as? Bool == true,
                    "the app signed out")
            #expect(try await user.run("return window.__notReloaded === true") as? Bool == true, "the page reloaded")
            try await user.screenshot(to: Self.screenshots.appendingPathComponent("user-phone-products-sse-after-two-token-expiries.png"))
        }
    }

    @Test func aSessionEndedElsewhereOrASignOutReturnsToTheSignInScreenSayingWhy() async throws {
        try await withBrowsers { server, driver, browsers in
            let admin = try await openRecordedAdminDashboard(server, driver, browsers)

            // Someone replays the page's refresh token after it was rotated: the server ends the whole family.
            let refreshToken = try #require(try await admin.run("return JSON.parse(sessionStorage.getItem('tenda.session')).refreshToken") as? String)
            for attempt in 1...2 {
                let answer = try await server.request(.POST, "/api/auth/refresh", json: ["refreshToken": refreshToken])
                #expect(answer.status == (attempt == 1 ? 200 : 401), "refresh \(attempt): \(answer.text)")
            }
            try await waitShowingLive(admin, "the sign-in screen after the session ended", """
                document.querySelector('.signin .notice')?.innerText.includes('Sua sessão foi encerrada') && document.getElementById('menu').hidden
                """, seconds: 3)
            #expect(try await admin.run("return sessionStorage.getItem('tenda.session')") is NSNull, "the tokens were kept")
            let seen = try await admin.run("return \(Self.liveSummary)") as? String ?? ""
            #expect(try await admin.run("return __live.received.some((f) => f.type === 'closed' && f.code === 4001)") as? Bool == true, "\(seen)")
            try await admin.screenshot(to: Self.screenshots.appendingPathComponent("ended-admin-phone-sign-in.png"))

            // Inside Telegram one tap signs in again; the menu's sign-out then says so.
            try await admin.run("[...document.querySelectorAll('.signin button')].find((b) => b.textContent === 'Entrar de novo').click()")
            try await admin.wait(for: "the dashboard again, live", """
                document.querySelector('.screen-dashboard[data-ready]') && document.getElementById('connection').dataset.status === 'live'
                """, seconds: 10)
            try await admin.run("[...document.querySelectorAll('#menu a')].find((a) => a.textContent.includes('Sair')).click()")
            try await waitShowingLive(admin, "the sign-in screen after signing out", "document.querySelector('.signin .notice')?.innerText === 'Você saiu.'", seconds: 3)
            #expect(try await admin.run("return window.__notReloaded === true") as? Bool == true, "the page reloaded")
        }
    }

    @Test func aDeviceEndedFromTheSessionsScreenLandsOnTheSignInScreenAtOnce() async throws {
        try await withBrowsers { server, driver, browsers in
            // The admin's phone is on the dashboard; their desktop opens Sessions and ends the phone.
            let phone = try await openRecordedAdminDashboard(server, driver, browsers)
            let desktop = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.admin))
            try await desktop.openScreen(server.base + "/#/sessions", "sessions", live: true)
            try await desktop.wait(for: "both devices", "document.querySelectorAll('li[data-session-id] button.danger').length >= 1")
            let started = ContinuousClock.now
            try await desktop.run("document.querySelector('li[data-session-id] button.danger').click()")
            try await waitShowingLive(phone, "the ended phone's sign-in screen", """
                document.querySelector('.signin .notice')?.innerText.includes('Sua sessão foi encerrada') && document.getElementById('menu').hidden
                """, seconds: 3)
            print("the ended session reached the other device in \(ContinuousClock.now - started)")
            #expect(try await phone.run("return window.__notReloaded === true") as? Bool == true, "the phone's page reloaded")
            // The desktop's own session goes on.
            #expect(try await desktop.run("return document.getElementById('connection').dataset.status") as? String == "live")
            #expect(try await desktop.run("return document.querySelector('.signin') === null") as? Bool == true, "the desktop was signed out too")
        }
    }

    // MARK: Helpers

    /// The admin's phone inside "Telegram" on the live dashboard, its WebSockets recorded and the page marked so a reload would show.
    func openRecordedAdminDashboard(_ server: DemoServer, _ driver: ChromeDriver, _ browsers: BrowserSet) async throws -> Browser {
        let admin = try await browsers.open(driver, width: 430, height: 932, initData: DemoServer.initData(DemoServer.admin),
                                            extraScript: Self.liveRecorder)
        try await admin.openScreen(server.base + "/#/dashboard", "dashboard", live: true)
        try await admin.run("window.__notReloaded = true")
        return admin
    }

    /// Waits for `condition` in `browser`; on a timeout the failure also says what the page's WebSockets saw.
    func waitShowingLive(_ browser: Browser, _ what: String, _ condition: String, seconds: Double = 10) async throws {
        do {
            try await browser.wait(for: what, condition, seconds: seconds)
        } catch {
            let seen = (try? await browser.run("return \(Self.liveSummary)")) as? String ?? "(no record)"
            Issue.record("while waiting for \(what) the page's live connection saw: \(seen)")
            throw error
        }
    }

    /// The owner changes a user (`PATCH /api/users/{id}`: role, blocked).
    func changeUser(_ server: DemoServer, _ id: String, _ changes: [String: Any]) async throws {
        let answer = try await server.request(.PATCH, "/api/users/\(id)", headers: ["Authorization": "Bearer \(try await server.accessToken(DemoServer.owner))"],
                                              json: changes)
        #expect(answer.status == 200, "PATCH /api/users/\(id) \(changes): \(answer.text)")
    }

    /// The owner sells one of the first product in stock to themselves; answers the sale's id.
    func sell(_ server: DemoServer) async throws -> String {
        let token = try await server.accessToken(DemoServer.owner)
        let products = try #require(try await server.get("/api/products?limit=100", headers: ["Authorization": "Bearer \(token)"]).json["items"] as? [[String: Any]])
        let product = try #require(products.first { ($0["stock"] as? Int ?? 0) > 0 })
        let sale = try await server.request(.POST, "/api/purchases", headers: ["Authorization": "Bearer \(token)"],
                                            json: ["buyerId": try await userId(server, DemoServer.owner), "items": [["productId": product["id"] as Any, "quantity": 1]]])
        #expect(sale.status == 201, "the sale: \(sale.text)")
        return try #require(sale.json["id"] as? String, "the sale: \(sale.text)")
    }

    /// An admin adds 5 to a product's stock; answers the stock after it.
    func restock(_ server: DemoServer, _ productId: String) async throws -> Int {
        let answer = try await server.request(.POST, "/api/products/\(productId)/stock",
                                              headers: ["Authorization": "Bearer \(try await server.accessToken(DemoServer.admin))"],
                                              json: ["delta": 5, "reason": "restock"])
        #expect(answer.status == 200, "restock: \(answer.text)")
        return try #require(answer.json["stock"] as? Int, "restock: \(answer.text)")
    }

    /// `tenda_websocket_connections_total` from /metrics: WebSockets the server has accepted.
    func webSocketsAccepted(_ server: DemoServer) async throws -> Int {
        let metrics = try await server.get("/metrics").text
        let line = try #require(metrics.split(separator: "\n").first { $0.hasPrefix("tenda_websocket_connections_total ") }, "no WebSocket counter in /metrics")
        return try #require(Int(line.split(separator: " ").last ?? ""))
    }
}
