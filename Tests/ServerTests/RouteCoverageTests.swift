import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Server
import Testing

/// Every operation of `/openapi.json` is requested by some Swift test.
///
/// This is a static check, on purpose. Recording the routes the server answered during the run
/// would need a test that runs after every other one, and Swift Testing runs suites in parallel
/// and in no promised order; a check that depends on what ran before it would pass or fail with
/// the scheduling (and with `--filter`). So the test reads the test sources instead: for each
/// documented operation it looks for a request of that method to a path the operation's pattern
/// matches (`{id}` matches one segment, and so does any `\(…)` interpolation), and its failure
/// lists the operations no test requests.
///
/// A request is found as a string literal beginning with the path (`"/api/orders/\(o)/verify"`,
/// the query ignored) together with the method nearest it on the same line: `.post`, `method: .get`
/// (HummingbirdTesting, `client.call`, `RouteMatrixTests`' rows), or `method: "GET"` in capitals (a
/// lower-case `"get"` is a document's spelling, as in `DocumentationTests`' route lists); a raw request line
/// (`"GET /ws HTTP/1.1"`); a `ws://host/path` URL (a WebSocket upgrade is a `GET`); or an
/// `http://host/path` URL, a `GET` unless a method is on its line (AsyncHTTPClient's default). A path
/// held in a variable (`client.execute(uri: url, …)`) is not seen: request such a route with a
/// literal path somewhere, as `OrderAndContractRouteTests` does for `/media/{id}`.
@Suite(.timeLimit(.minutes(1))) struct RouteCoverageTests {
    /// One request found in a test source.
    struct Request: Hashable {
        let method: String
        let path: String
        let place: String
    }

    @Test func everyDocumentedOperationIsRequestedBySomeTest() async throws {
        let operations = try await documentedOperations()
        #expect(operations.count > 50, "the document lists only \(operations.count) operations")
        let requests = try Self.requestsInTestSources()
        #expect(requests.count > 100, "found only \(requests.count) requests in the test sources; is the scanner broken?")
        let missing = operations.filter { operation in
            let pattern = Self.pathPattern(operation.path)
            return !requests.contains { $0.method == operation.method && $0.path.wholeMatch(of: pattern) != nil }
        }
        #expect(missing.isEmpty, "no test requests: \(missing.map { "\($0.method) \($0.path)" }.joined(separator: ", "))")
    }

    /// The scanner itself: each way of writing a request is read as the method and path meant.
    @Test func theScannerReadsEachWayOfWritingARequest() {
        let lines = [
            #"let r = try await client.call(.post, "/api/orders/\(try #require(order["id"] as? String))/verify?x=1", token: a)"#,
            #"Row(method: .get, path: "/api/products/\(p)", body: nil, expected: [401, 200, 200, 200]),"#,
            #"try await client.execute(uri: "/metrics", method: .get) { $0.status }"#,
            #"try await raw.send("GET /ws?token=\(t) HTTP/1.1\r\nHost: x\r\n\r\n")"#,
            #"try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws?token=\(token)", configuration: c) { _, _, _ in }"#,
            #"#expect(reply.json["path"] as? String == "/not/a/request")"#,
            #"Route(method: "post", path: "/api/auth/verify"),"#,
            #"var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/events?\(query)")"#,
        ]
        let found = lines.flatMap { Self.requests(in: $0, place: "here") }.map { "\($0.method) \($0.path)" }
        #expect(found == ["POST /api/orders/X/verify", "GET /api/products/X", "GET /metrics", "GET /ws", "GET /ws", "GET /api/events"])
        #expect("/api/orders/X/verify".wholeMatch(of: Self.pathPattern("/api/orders/{id}/verify")) != nil)
        #expect("/api/orders/X".wholeMatch(of: Self.pathPattern("/api/orders/{id}/verify")) == nil)
        #expect("/api/orders/read-all".wholeMatch(of: Self.pathPattern("/api/orders/{id}")) != nil)
    }

    // MARK: The document

    /// The method and path of every operation, read from the served `/openapi.json`.
    func documentedOperations() async throws -> [(method: String, path: String)] {
        let router = Router(context: AppRequestContext.self)
        DocumentationRoutes().add(to: router)
        return try await Application(router: router).test(.live) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                let document = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
                let paths = try #require(document["paths"] as? [String: [String: Any]])
                return paths.flatMap { path, item in
                    item.keys.filter { ["get", "post", "put", "patch", "delete"].contains($0) }.map { (method: $0.uppercased(), path: path) }
                }.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
            }
        }
    }

    /// `/api/orders/{id}/verify` as a regex: each `{…}` is one path segment.
    static func pathPattern(_ path: String) -> Regex<Substring> {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") ? "[^/]+" : NSRegularExpression.escapedPattern(for: String(segment))
        }
        return try! Regex(segments.joined(separator: "/"))
    }

    // MARK: The test sources

    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

    /// Every request written in a Swift test source under `Tests/` (this file's own examples excepted).
    static func requestsInTestSources() throws -> Set<Request> {
        var found = Set<Request>()
        let files = FileManager.default.enumerator(at: testsFolder, includingPropertiesForKeys: nil)
        while let url = files?.nextObject() as? URL {
            if url.lastPathComponent == "Fuzz" { files?.skipDescendants(); continue }  // a separate package, not run by `swift test`
            guard url.pathExtension == "swift", url.lastPathComponent != "RouteCoverageTests.swift" else { continue }
            let text = try String(contentsOf: url, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                found.formUnion(requests(in: String(line), place: "\(url.lastPathComponent):\(number + 1)"))
            }
        }
        return found
    }

    /// The requests one source line writes.
    static func requests(in line: String, place: String) -> [Request] {
        let methodPattern = #/\.(get|post|put|patch|delete)\b|method: "(GET|POST|PUT|PATCH|DELETE)"/#
        let methods = line.matches(of: methodPattern).map { (at: $0.range.lowerBound, name: String($0.output.1 ?? $0.output.2 ?? "").uppercased()) }
        return stringLiterals(in: line).compactMap { literal in
            let text = literal.text
            if let raw = text.wholeMatch(of: #/(GET|POST|PUT|PATCH|DELETE) (/[^ ?]*)[ ?].*/#) {
                return Request(method: String(raw.output.1), path: String(raw.output.2), place: place)
            }
            if let socket = text.wholeMatch(of: #/wss?://[^/]+(/[^?]*)(\?.*)?/#) {
                return Request(method: "GET", path: String(socket.output.1), place: place)
            }
            // The method nearest before the literal, else the first after it.
            let method = methods.last(where: { $0.at < literal.at }) ?? methods.first(where: { $0.at > literal.at })
            if let url = text.wholeMatch(of: #/https?://[^/]+(/[^?]*)(\?.*)?/#) {
                // AsyncHTTPClient's `HTTPClientRequest(url:)` is a GET unless its method is set.
                return Request(method: method?.name ?? "GET", path: String(url.output.1), place: place)
            }
            guard text.hasPrefix("/"), let method else { return nil }
            return Request(method: method.name, path: String(text.prefix { $0 != "?" }), place: place)
        }
    }

    /// The string literals of a line, each interpolation `\(…)` replaced by `X`.
    static func stringLiterals(in line: String) -> [(at: String.Index, text: String)] {
        var literals: [(at: String.Index, text: String)] = []
        var i = line.startIndex
        while i < line.endIndex {
            guard line[i] == "\"" else { i = line.index(after: i); continue }
            let start = i
            var text = ""
            i = line.index(after: i)
            while i < line.endIndex, line[i] != "\"" {
                if line[i] == "\\", line.index(after: i) < line.endIndex {
                    let next = line.index(after: i)
                    if line[next] == "(" {
                        // Skip to the matching parenthesis, strings inside included.
                        var depth = 0
                        var j = next
                        var inString = false
                        while j < line.endIndex {
                            let c = line[j]
                            if c == "\"" { inString.toggle() } else if !inString, c == "(" { depth += 1 } else if !inString, c == ")" {
                                depth -= 1
                                if depth == 0 { break }
                            }
                            j = line.index(after: j)
                        }
                        text += "X"
                        i = j < line.endIndex ? line.index(after: j) : j
                        continue
                    }
                    text.append(line[next])
                    i = line.index(after: next)
                    continue
                }
                text.append(line[i])
                i = line.index(after: i)
            }
            literals.append((at: start, text: text))
            if i < line.endIndex { i = line.index(after: i) }
        }
        return literals
    }
}
