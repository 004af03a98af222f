import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import Server
import Testing

/// `GET /openapi.json` documents every route the server registers, and `/docs` renders it.
@Suite(.timeLimit(.minutes(1))) struct DocumentationTests {
    /// The package root: Tests/ServerTests/DocumentationTests.swift is three levels down.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func document() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: OpenAPIDocument.json)
        return try #require(object as? [String: Any])
    }

    // MARK: The routes, read from the source

    struct Route: Hashable, CustomStringConvertible {
        let method: String
        let path: String
        var description: String { "\(method.uppercased()) \(path)" }
    }

    /// The Swift files that register routes: Application+build.swift, Routes/*.swift and Documentation/*.swift.
    static func routeSources() throws -> [(name: String, text: String)] {
        let server = packageRoot.appendingPathComponent("Sources/Server")
        var files = [server.appendingPathComponent("Application+build.swift"),
                     server.appendingPathComponent("WebSocket/WebSocketServerChannel.swift")]
        for folder in ["Routes", "Documentation"] {
            let directory = server.appendingPathComponent(folder)
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".swift") }.sorted()
            files += names.map { directory.appendingPathComponent($0) }
        }
        return try files.map { url in
            let text = try String(contentsOf: url, encoding: .utf8)
            // Drop line comments so a commented-out route does not count.
            let code = text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { line in line.trimmingCharacters(in: .whitespaces).hasPrefix("//") ? "" : String(line) }
                .joined(separator: "\n")
            return (url.lastPathComponent, code)
        }
    }

    static func matches(_ pattern: String, in text: String) -> [[String?]] {
        let regex = try! NSRegularExpression(pattern: pattern)
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { match in
            (0..<match.numberOfRanges).map { i in
                let range = match.range(at: i)
                return range.location == NSNotFound ? nil : ns.substring(with: range)
            }
        }
    }

    /// The list after `for <name> in [...]` (or `for <name>: T in [...]`) nearest before `position`.
    static func loopValues(_ name: String, before position: Int, in text: String) -> String? {
        let prefix = (text as NSString).substring(to: position)
        let loops = matches(#"for\s+"# + NSRegularExpression.escapedPattern(for: name) + #"(?:\s*:\s*[\w.]+)?\s+in\s+\[([^\]]*)\]"#, in: prefix)
        return loops.last?[1] ?? nil
    }

    static let methods = ["get", "post", "put", "patch", "delete"]

    /// Every method and path the source registers, with `:id` written `{id}`.
    static func registeredRoutes() throws -> Set<Route> {
        var routes = Set<Route>()
        for (name, text) in try routeSources() {
            let pattern = #"\brouter\.(get|post|put|patch|delete|on)\(\s*(?:"([^"]*)"|(\w+))(?:\s*,\s*method:\s*(\.?[\w.]+))?"#
            let regex = try NSRegularExpression(pattern: pattern)
            let ns = text as NSString
            for match in regex.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                func group(_ i: Int) -> String? {
                    let range = match.range(at: i)
                    return range.location == NSNotFound ? nil : ns.substring(with: range)
                }
                let call = group(1)!
                // The command table's doors are registered in a loop over its entries: added below.
                if group(3) == "RouterPath" { continue }
                // The path: a literal, or a loop variable over literals (the aliases).
                var paths: [String] = []
                if let literal = group(2) {
                    paths = [literal]
                } else if let variable = group(3), let list = loopValues(variable, before: match.range.location, in: text) {
                    paths = matches(#""([^"]*)""#, in: list).compactMap { $0[1] }
                }
                #expect(!paths.isEmpty, "\(name): cannot read the path of \(ns.substring(with: match.range))")
                // The method: the call's name, `.patch`, or a loop variable over methods.
                var verbs: [String] = []
                if call != "on" {
                    verbs = [call]
                } else if let argument = group(4) {
                    if argument.contains(".") {
                        verbs = [String(argument.split(separator: ".").last!).lowercased()]
                    } else if let list = loopValues(argument, before: match.range.location, in: text) {
                        verbs = matches(#"\.(\w+)\b"#, in: list).compactMap { $0[1]?.lowercased() }.filter { methods.contains($0) }
                    }
                }
                #expect(!verbs.isEmpty, "\(name): cannot read the method of \(ns.substring(with: match.range))")
                // The routes between nodes (Server/Replication) are no part of the published API.
                for path in paths where !path.hasPrefix("/internal/") {
                    for verb in verbs { routes.insert(Route(method: verb, path: openAPIPath(path))) }
                }
            }
            // The WebSocket's path is not a router route: the upgrade is made below the router.
            for match in matches(#"static let webSocketPath = "([^"]*)""#, in: text) {
                routes.insert(Route(method: "get", path: openAPIPath(match[1]!)))
            }
        }
        for entry in CommandTable.entries {
            for door in entry.doors { routes.insert(Route(method: door.method.rawValue.lowercased(), path: door.path)) }
        }
        // The bulk doors are registered in a loop over CommandTable.bulk, too.
        for door in CommandTable.bulk { routes.insert(Route(method: "post", path: door.path)) }
        return routes
    }

    /// `/api/products/:id` → `/api/products/{id}`.
    static func openAPIPath(_ path: String) -> String {
        path.replacingOccurrences(of: #":(\w+)"#, with: "{$1}", options: .regularExpression)
    }

    @Test func theRouteReaderFindsTheKnownRoutes() throws {
        let routes = try Self.registeredRoutes()
        #expect(routes.count >= 50, "found only \(routes.count) routes: the reader is probably broken")
        for known in [Route(method: "get", path: "/health"), Route(method: "get", path: "/ws"), Route(method: "post", path: "/api/purchase"),
                      Route(method: "post", path: "/api/purchases"), Route(method: "put", path: "/api/products/{id}"),
                      Route(method: "patch", path: "/api/products/{id}"), Route(method: "get", path: "/api/user/permissions"),
                      Route(method: "post", path: "/api/auth/verify"), Route(method: "get", path: "/openapi.json"),
                      Route(method: "get", path: "/docs")] {
            #expect(routes.contains(known), "the route reader missed \(known)")
        }
    }

    // MARK: The document

    @Test func theDocumentIsOpenAPI31() throws {
        // TENDA_OPENAPI_OUT=path writes the document out, for a look or a validator.
        if let out = ProcessInfo.processInfo.environment["TENDA_OPENAPI_OUT"] {
            try OpenAPIDocument.json.write(to: URL(fileURLWithPath: out))
        }
        let document = try Self.document()
        #expect(document["openapi"] as? String == "3.1.0")
        let info = try #require(document["info"] as? [String: Any])
        #expect(info["title"] is String)
        #expect(info["version"] is String)
        let schemes = (document["components"] as? [String: Any])?["securitySchemes"] as? [String: Any]
        let bearer = try #require(schemes?["bearerAuth"] as? [String: Any])
        #expect(bearer["scheme"] as? String == "bearer")
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        for name in ["Product", "Sale", "SaleLine", "Payment", "Debt", "User", "Order", "Contract", "Notification", "LedgerEntry",
                     "AuditEntry", "Error", "ProductList", "SaleList", "UserList", "OrderList", "ContractList", "NotificationList"] {
            #expect(schemas[name] != nil, "no schema \(name)")
        }
    }

    @Test func everyRegisteredRouteIsDocumented() throws {
        let paths = try #require(try Self.document()["paths"] as? [String: Any])
        var documented = Set<Route>()
        for (path, item) in paths {
            for method in Self.methods where (item as? [String: Any])?[method] != nil { documented.insert(Route(method: method, path: path)) }
        }
        let registered = try Self.registeredRoutes()
        for route in registered.sorted(by: { $0.description < $1.description }) {
            if !documented.contains(route) { Issue.record("\(route) is registered but not in /openapi.json: add it to Sources/Server/Documentation/OpenAPIOperations.swift") }
        }
        for route in documented.subtracting(registered).sorted(by: { $0.description < $1.description }) {
            Issue.record("\(route) is in /openapi.json but no route registers it")
        }
    }

    @Test func everyOperationAnswersSuccessAndDocumentedErrors() throws {
        let document = try Self.document()
        let paths = try #require(document["paths"] as? [String: Any])
        var operationIds = Set<String>()
        for (path, item) in paths {
            let operations = try #require(item as? [String: Any])
            for method in Self.methods {
                guard let operation = operations[method] as? [String: Any] else { continue }
                let name = "\(method.uppercased()) \(path)"
                #expect(operation["summary"] is String, "\(name) has no summary")
                #expect(operation["x-access"] is String, "\(name) does not say who may call it")
                if let id = operation["operationId"] as? String {
                    #expect(operationIds.insert(id).inserted, "\(name): duplicate operationId \(id)")
                }
                let responses = try #require(operation["responses"] as? [String: Any], "\(name) has no responses")
                // 2xx, or 101 for the WebSocket upgrade.
                #expect(responses.keys.contains { $0.hasPrefix("2") || $0 == "101" }, "\(name) has no success answer")
                let errors = responses.filter { $0.key.hasPrefix("4") }
                #expect(!errors.isEmpty, "\(name) documents no 4xx")
                for (status, response) in errors {
                    let resolved = try Self.resolve(response, in: document)
                    let content = (resolved["content"] as? [String: Any])?["application/json"] as? [String: Any]
                    let schema = content?["schema"] as? [String: Any]
                    #expect(schema?["$ref"] as? String == "#/components/schemas/Error", "\(name) \(status) does not answer the Error schema")
                }
                // Every {placeholder} is a declared path parameter.
                let declared = try (operation["parameters"] as? [Any] ?? []).map { try Self.resolve($0, in: document) }
                    .filter { $0["in"] as? String == "path" }.compactMap { $0["name"] as? String }
                for placeholder in Self.matches(#"\{(\w+)\}"#, in: path).compactMap({ $0[1] }) {
                    #expect(declared.contains(placeholder), "\(name) does not declare the path parameter \(placeholder)")
                }
            }
        }
    }

    @Test func everyReferenceResolves() throws {
        let document = try Self.document()
        var references: [String] = []
        func walk(_ node: Any) {
            if let object = node as? [String: Any] {
                if let ref = object["$ref"] as? String { references.append(ref) }
                object.values.forEach(walk)
            } else if let array = node as? [Any] {
                array.forEach(walk)
            }
        }
        walk(document)
        #expect(references.count > 50)
        for ref in Set(references) {
            #expect(Self.pointer(ref, in: document) != nil, "\(ref) does not resolve")
        }
    }

    /// `#/components/schemas/Error` → that node.
    static func pointer(_ ref: String, in document: [String: Any]) -> Any? {
        guard ref.hasPrefix("#/") else { return nil }
        var node: Any? = document
        for part in ref.dropFirst(2).split(separator: "/") {
            let key = part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            node = (node as? [String: Any])?[key]
        }
        return node
    }

    static func resolve(_ node: Any, in document: [String: Any]) throws -> [String: Any] {
        var current = node
        for _ in 0..<10 {
            guard let object = current as? [String: Any] else { break }
            guard let ref = object["$ref"] as? String else { return object }
            current = try #require(pointer(ref, in: document), "\(ref) does not resolve")
        }
        return try #require(current as? [String: Any])
    }

    // MARK: Field names against the Swift types

    /// The stored properties of each struct in `text`: name → optional?
    static func structFields(in text: String) -> [String: [String: Bool]] {
        var result: [String: [String: Bool]] = [:]
        var stack: [(name: String?, depth: Int)] = []
        var depth = 0
        let header = try! NSRegularExpression(pattern: #"\bstruct\s+(\w+)"#)
        let field = try! NSRegularExpression(pattern: #"^\s*(?:public\s+)?(?:let|var)\s+(\w+)\s*:\s*([^{=]+?)\s*$"#)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let ns = line as NSString
            let range = NSRange(location: 0, length: ns.length)
            if let owner = stack.last, owner.depth == depth, let name = owner.name,
               let match = field.firstMatch(in: line, range: range) {
                let type = ns.substring(with: match.range(at: 2))
                result[name, default: [:]][ns.substring(with: match.range(at: 1))] = type.hasSuffix("?")
            }
            let opens = line.filter { $0 == "{" }.count, closes = line.filter { $0 == "}" }.count
            if let match = header.firstMatch(in: line, range: range) {
                let name = ns.substring(with: match.range(at: 1))
                if opens > closes {
                    stack.append((name, depth + 1))
                } else if opens > 0 {
                    // A one-line struct: `struct CodeBody: Decodable { let code: String }`.
                    for inline in matches(#"(?:let|var)\s+(\w+)\s*:\s*([^;{}]+?)\s*[;}]"#, in: line) {
                        result[name, default: [:]][inline[1]!] = inline[2]!.hasSuffix("?")
                    }
                }
            }
            depth += opens - closes
            while let last = stack.last, last.depth > depth { stack.removeLast() }
        }
        return result
    }

    /// Each schema's properties and required list match the Swift type it documents.
    @Test func schemasUseTheFieldNamesTheCodeUses() throws {
        let root = Self.packageRoot.appendingPathComponent("Sources")
        var fields: [String: [String: Bool]] = [:]
        // The command table's inputs are checked against their schemas in CommandTableTests.
        for file in ["Shop/Views/RecordJSON.swift", "Shop/Views/BookJSON.swift", "Server/Routes/ShopRoutes.swift",
                     "Server/Routes/AuthRoutes.swift", "Server/Routes/ReportRoutes.swift"] {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            fields.merge(Self.structFields(in: text)) { old, new in old.merging(new) { $1 } }
        }
        let pairs = [
            "ProductView": "Product", "UserView": "User", "SaleLineView": "SaleLine", "SaleView": "Sale", "PaymentView": "Payment", "StockMovementView": "StockMovement",
            "DebtView": "Debt", "TransitionView": "Transition", "OrderView": "Order", "PartyView": "ContractParty",
            "ContractView": "Contract", "NotificationView": "Notification", "LedgerEntryView": "LedgerEntry", "AuditEntryView": "AuditEntry",
            "InitDataBody": "InitDataRequest",
            "CodeBody": "CodeRequest", "RefreshBody": "RefreshRequest", "Tokens": "Tokens", "MeBody": "Me", "CommandBody": "Command",
            "DashboardBody": "Dashboard", "Row": "ReportRow", "ReportBody": "Report", "InventoryItem": "InventoryItem",
            "CustomerFiguresView": "ReportCustomers", "Customer": "ReportCustomer",
        ]
        let schemas = try #require((try Self.document()["components"] as? [String: Any])?["schemas"] as? [String: Any])
        for (type, schemaName) in pairs.sorted(by: { $0.key < $1.key }) {
            guard let swift = fields[type], !swift.isEmpty else {
                Issue.record("cannot read the fields of \(type) (renamed?); update DocumentationTests")
                continue
            }
            let schema = try #require(schemas[schemaName] as? [String: Any], "no schema \(schemaName)")
            let properties = Set((schema["properties"] as? [String: Any] ?? [:]).keys)
            #expect(properties == Set(swift.keys), "\(schemaName) has \(properties.sorted()), \(type) has \(swift.keys.sorted())")
            let required = Set(schema["required"] as? [String] ?? [])
            let nonOptional = Set(swift.filter { !$0.value }.keys)
            #expect(required == nonOptional, "\(schemaName) requires \(required.sorted()), \(type) always has \(nonOptional.sorted())")
        }
    }

    // MARK: The routes themselves

    @Test func theRoutesServeTheDocumentAndThePage() async throws {
        let router = Router(context: AppRequestContext.self)
        DocumentationRoutes().add(to: router)
        let app = Application(router: router)
        try await app.test(.live) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                #expect(object?["openapi"] as? String == "3.1.0")
            }
            try await client.execute(uri: "/docs", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                let html = String(buffer: response.body)
                #expect(html.contains("/openapi.json"))
            }
        }
    }

    @Test func theDocsPageIsSelfContained() {
        let html = DocumentationPage.html
        #expect(!html.contains("<script src"))
        #expect(!html.contains("<link"))
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(html.contains("fetch(\"/openapi.json\")"))
    }
}
