import Foundation
import Server
import Testing

/// The MiniApp served by the binary itself over HTTPS: headless Chromium signs in over TLS, its
/// live connection is a `wss://` socket, and a change made elsewhere reaches the page.
///
/// Chromium is told to accept exactly the test certificate's key
/// (`--ignore-certificate-errors-spki-list`), nothing else: a page served with any other
/// certificate would still fail.
@Suite(.serialized, .timeLimit(.minutes(3))) struct MiniAppOverHTTPSTests {
    @Test func theMiniAppSignsInOverHTTPSAndItsWssSocketShowsALiveRestock() async throws {
        let authority = try await TestCertificateAuthority.make()
        defer { authority.remove() }
        let issued = try await authority.issue("server", serial: "2A01")
        let tls = (settings: TLSSettings(certificateFile: issued.chainFile, keyFile: issued.keyFile), trust: try authority.clientTLS())
        try await DemoServer.with(tls: tls) { server in
            #expect(server.base.hasPrefix("https://"))
            let driver = try await ChromeDriver.start()
            let browsers = MiniAppTests.BrowserSet()
            do {
                let owner = try await browsers.open(driver, width: 1280, height: 900, initData: DemoServer.initData(DemoServer.owner),
                                                    chromiumArguments: ["--ignore-certificate-errors-spki-list=\(issued.spkiHash)"])
                // Signed in with initData over HTTPS, the products screen loads and its socket goes live.
                try await owner.openScreen(server.base + "/#/products", "products", live: true)
                #expect(try await owner.run("return location.protocol") as? String == "https:")
                #expect(try await owner.run("return window.isSecureContext") as? Bool == true)

                let token = try await server.accessToken(DemoServer.owner)
                let list = try await server.request(.GET, "/api/products?limit=1", headers: ["Authorization": "Bearer \(token)"])
                #expect(list.headers["strict-transport-security"] == "max-age=31536000")
                let product = try #require((list.json["items"] as? [[String: Any]])?.first)
                let productId = try #require(product["id"] as? String)
                let stock = try #require(product["stock"] as? Int)
                try await owner.run("window.__notReloaded = true")

                // A restock made elsewhere reaches the page over its wss socket, without a reload.
                let restock = try await server.request(.POST, "/api/products/\(productId)/stock", headers: ["Authorization": "Bearer \(token)"],
                                                       json: ["delta": 5, "reason": "restock"])
                #expect(restock.status < 300, "restock: \(restock.text)")
                try await owner.wait(for: "the restocked count on the page", "document.querySelector(`[data-stock='\(productId)']`)?.textContent === '\(stock + 5)'")
                #expect(try await owner.run("return window.__notReloaded === true") as? Bool == true, "the page reloaded")
            } catch {
                await browsers.closeAll()
                await driver.stop()
                throw error
            }
            await browsers.closeAll()
            await driver.stop()
        }
    }
}
