import Foundation
import Testing

// Each test loads the demo shop (2,400 events) first: minutes on a loaded two-core machine, so the
// hang guard allows three.
/// `tenda serve` serves `web/` at `/`, Chart.js at a stable path, and nothing outside them, from
/// the copies built into it.
@Suite(.serialized, .timeLimit(.minutes(3))) struct WebAppRoutesTests {
    @Test func theRootServesTheMiniAppWithContentTypesAndRevalidation() async throws {
        try await DemoServer.with { server in
            let index = try await server.get("/")
            #expect(index.status == 200)
            #expect(index.headers["content-type"] == "text/html; charset=utf-8")
            #expect(index.text.contains(#"<script type="module" src="js/app.js">"#))
            #expect(index.body == FileManager.default.contents(atPath: packageRoot.appendingPathComponent("web/index.html").path),
                    "the embedded page is web/index.html byte for byte")
            #expect(index.headers["cache-control"] == "no-cache")
            #expect(index.headers["last-modified"]?.hasSuffix(" GMT") == true)
            let eTag = try #require(index.headers["etag"])
            let again = try await server.get("/index.html", headers: ["If-None-Match": eTag])
            #expect(again.status == 304)
            #expect(again.body.isEmpty)

            let module = try await server.get("/js/app.js")
            #expect(module.status == 200)
            #expect(module.headers["content-type"] == "text/javascript; charset=utf-8")
            #expect(module.body == FileManager.default.contents(atPath: packageRoot.appendingPathComponent("web/js/app.js").path))
            // The tag is the content's: another file has another, and the same file keeps its own.
            let moduleTag = try #require(module.headers["etag"])
            #expect(moduleTag != eTag && moduleTag.hasPrefix("W/\""))
            #expect(try await server.get("/js/app.js", headers: ["If-None-Match": moduleTag]).status == 304)
            #expect(try await server.get("/styles.css").headers["content-type"] == "text/css; charset=utf-8")
            #expect(try await server.get("/icon.svg").headers["content-type"] == "image/svg+xml")
        }
    }

    @Test func chartJSIsServedFromDebiansPackageAtAStablePath() async throws {
        try await DemoServer.with { server in
            let chart = try await server.get("/vendor/chart.js")
            #expect(chart.status == 200, "libjs-chart.js is needed: run `bash .ci/install-deps`")
            #expect(chart.headers["content-type"] == "text/javascript; charset=utf-8")
            #expect(chart.text.contains("Chart.js v"))
            #expect(chart.body == FileManager.default.contents(atPath: "/usr/share/javascript/chart.js/chart.min.js"))
            #expect(chart.headers["cache-control"] == "public, max-age=86400")
            let eTag = try #require(chart.headers["etag"])
            #expect(try await server.get("/vendor/chart.js", headers: ["If-None-Match": eTag]).status == 304)
            let config = try await server.get("/app-config.json")
            #expect(config.json["botId"] as? Int == 4242)
        }
    }

    @Test func pathsOutsideTheWebFolderAreRefused() async throws {
        try await DemoServer.with { server in
            for path in ["/../Package.swift", "/%2e%2e/Package.swift", "/js/%2e%2e/%2e%2e/Package.swift", "/js/..%2f..%2fPackage.swift",
                         "/.git/config", "/js/..\\..\\Package.swift", "/README.md"] {
                let answer = try await server.get(path)
                #expect(answer.status == 404, "\(path) answered \(answer.status)")
                #expect(!answer.text.contains("PackageDescription"), "\(path) leaked a file outside web/")
            }
            // The API keeps its own answers: a missing API route is the contract's JSON 404, not a page.
            let api = try await server.get("/api/nothing-here")
            #expect(api.status == 404)
            #expect((api.json["error"] as? [String: Any])?["code"] as? String == "not_found")
        }
    }
}
