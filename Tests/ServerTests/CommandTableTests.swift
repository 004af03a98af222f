import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Server
import Shop
import Testing

/// The command table: every write declared once, its input read as its schema says, and its
/// answers carrying what the command stored (the real version, the commit's feed sequence).
@Suite(.timeLimit(.minutes(2))) struct CommandTableTests {
    static let sources = DocumentationTests.packageRoot.appendingPathComponent("Sources")

    // MARK: One declaration

    @Test func everyCommandIsDeclaredOnceAndReachedByName() throws {
        let names = CommandTable.entries.map(\.name)
        #expect(Set(names).count == names.count, "a command is declared twice: \(names)")
        for entry in CommandTable.entries { #expect(CommandTable.entry(named: entry.name)?.inputType == entry.inputType) }
        #expect(CommandTable.entry(named: "noSuchCommand") == nil)
        // The socket's bridge dispatches through the table: no list of names, no switch over them.
        let bridge = try String(contentsOf: Self.sources.appendingPathComponent("Server/WebSocket/CommandBridge.swift"), encoding: .utf8)
        #expect(!bridge.contains("switch command") && !bridge.contains("case \"buy\""))
    }

    @Test func noDoorGuessesOrReadsBackAVersion() throws {
        let server = Self.sources.appendingPathComponent("Server")
        let files = try FileManager.default.subpathsOfDirectory(atPath: server.path).filter { $0.hasSuffix(".swift") }
        for file in files {
            let text = try String(contentsOf: server.appendingPathComponent(file), encoding: .utf8)
            #expect(!text.contains("version: 1)") && !text.contains("version: 0)"), "\(file) guesses a version")
            // A write answered by reading its record again to learn its version.
            #expect(!text.contains("version: try shop.") && !text.contains("storedVersion("), "\(file) reads a version back")
        }
    }

    /// Each input's `Decodable` reads exactly the fields its schema documents (with the path's id
    /// and `expectedVersion`), and requires exactly the ones the schema requires.
    @Test func everyInputReadsTheFieldsItsSchemaNames() throws {
        let inputs = try Self.decodedFields()
        for entry in CommandTable.entries {
            let read = try #require(inputs[entry.inputType], "no Decodable input for \(entry.inputType) in CommandInputs.swift")
            var documented = entry.bodyFields
            var required = Set<String>()
            if let body = entry.body, let schema = try JSONSerialization.jsonObject(with: body.schema) as? [String: Any] {
                required = Set(schema["required"] as? [String] ?? [])
            }
            if let path = entry.pathField { documented.insert(path.name); required.insert(path.name) }
            if entry.takesVersion { documented.insert("expectedVersion") }
            #expect(Set(read.keys) == documented, "\(entry.name): the input reads \(read.keys.sorted()), the schema has \(documented.sorted())")
            #expect(Set(read.filter(\.value).keys) == required,
                    "\(entry.name): the input requires \(read.filter(\.value).keys.sorted()), the schema \(required.sorted())")
        }
    }

    /// The fields each `extension X: Decodable` in CommandInputs.swift reads, and whether each is required.
    static func decodedFields() throws -> [String: [String: Bool]] {
        let text = try String(contentsOf: sources.appendingPathComponent("Shop/Commands/CommandInputs.swift"), encoding: .utf8)
        var result: [String: [String: Bool]] = [:]
        let blocks = DocumentationTests.matches(#"extension (\w+): Decodable \{([\s\S]*?)\n\}"#, in: text)
        for block in blocks {
            let (type, body) = (block[1]!, block[2]!)
            var fields: [String: Bool] = [:]
            for match in DocumentationTests.matches(#"(?:\bdecode\([^)]*forKey: \.|\.id\(\.)(\w+)"#, in: body) { fields[match[1]!] = true }
            for match in DocumentationTests.matches(#"(?:decodeIfPresent\([^)]*forKey: \.|value\(\.|ifPresent: \.)(\w+)"#, in: body) {
                fields[match[1]!] = fields[match[1]!] ?? false
            }
            result[type] = fields
        }
        // The steps read by `RecordStepInput`: their id, and a reason when they say so.
        for block in DocumentationTests.matches(#"extension (\w+): RecordStepInput \{([\s\S]*?)\n\}"#, in: text) {
            let body = block[2]!
            var fields: [String: Bool] = [:]
            if let id = DocumentationTests.matches(#"idField = \(name: "(\w+)""#, in: body).first?[1] { fields[id] = true }
            if let reason = DocumentationTests.matches(#"reasonField = ReasonField\.(\w+)"#, in: body).first?[1] {
                fields["reason"] = reason == "required"
            }
            result[block[1]!] = fields
        }
        return result
    }

    // MARK: What the doors answer

    @Test func answersCarryTheStoredVersionAndTheCommitsSequence() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let cast = try await client.signInCast()
            let created = try await client.call(.post, "/api/products", token: cast.owner.access, json: ["name": "Bolo", "price": 900, "stock": 8])
            let id = try #require(created.json["id"] as? String)
            var version = try #require(created.json["version"] as? Int)
            for price in [950, 1_000] {
                let updated = try await client.call(.patch, "/api/products/\(id)", token: cast.owner.access, json: ["price": price])
                let read = try await client.call(.get, "/api/products/\(id)", token: cast.owner.access)
                #expect(updated.json["version"] as? Int == read.json["version"] as? Int)
                #expect(try #require(updated.json["version"] as? Int) > version)
                version = try #require(updated.json["version"] as? Int)
                // The commit's place in the feed: nothing else writes here, so it is the head.
                let health = try await client.call(.get, "/health")
                #expect(updated.headers[CommandRoutes.feedSequence] == "\(try #require(health.json["feedHead"] as? Int))")
            }

            let sale = try await client.call(.post, "/api/purchases", token: cast.admin.access,
                                             json: ["buyerId": cast.ana.userId, "items": [["productId": id, "quantity": 2]]])
            #expect(sale.status == .created)
            let sales = try await client.call(.get, "/api/sales", token: cast.admin.access)
            let listed = try #require((sales.json["items"] as? [[String: Any]])?.first { $0["id"] as? String == sale.json["id"] as? String })
            #expect(listed["version"] as? Int == sale.json["version"] as? Int)

            let payment = try await client.call(.post, "/api/payments", token: cast.admin.access, json: ["userId": cast.ana.userId, "amount": 500])
            let payments = try await client.call(.get, "/api/payments?userId=\(cast.ana.userId)", token: cast.admin.access)
            let paid = try #require((payments.json["items"] as? [[String: Any]])?.first { $0["id"] as? String == payment.json["id"] as? String })
            #expect(paid["version"] as? Int == payment.json["version"] as? Int)

            // Marking a read notification read again changes nothing and answers its stored version (never 0).
            let notices = try await client.call(.get, "/api/notifications", token: cast.ana.access)
            let notice = try #require((notices.json["items"] as? [[String: Any]])?.first?["id"] as? String)
            let first = try await client.call(.post, "/api/notifications/\(notice)/read", token: cast.ana.access)
            let again = try await client.call(.post, "/api/notifications/\(notice)/read", token: cast.ana.access)
            #expect(first.json["version"] as? Int == again.json["version"] as? Int)
            #expect((again.json["version"] as? Int ?? 0) > 0)
        }
        await server.discard()
    }

    @Test func aUserPatchIsOneCommandInOneTransaction() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let cast = try await client.signInCast()
            let second = try await client.call(.patch, "/api/users/\(cast.admin.userId)", token: cast.owner.access, json: ["role": "owner"])
            #expect(second.json["role"] as? String == "owner")
            // Stepping down to admin would be allowed; blocking oneself is not. Neither happens.
            let both = try await client.call(.patch, "/api/users/\(cast.owner.userId)", token: cast.owner.access, json: ["role": "admin", "blocked": true])
            #expect(both.status == .unprocessableContent && both.error == "rule_broken", "\(both.json)")
            let me = try await client.call(.get, "/api/users/\(cast.owner.userId)", token: cast.owner.access)
            #expect(me.json["role"] as? String == "owner" && me.json["blocked"] as? Bool == false)
            // Both at once, when both are allowed: one version step, one audit entry.
            let before = try #require((try await client.call(.get, "/api/users/\(cast.bruno.userId)", token: cast.owner.access)).json["version"] as? Int)
            let changed = try await client.call(.patch, "/api/users/\(cast.bruno.userId)", token: cast.owner.access, json: ["role": "admin", "blocked": true])
            #expect(changed.json["role"] as? String == "admin" && changed.json["blocked"] as? Bool == true)
            #expect(try #require(changed.json["version"] as? Int) > before)
            let audit = try await client.call(.get, "/api/audit", token: cast.owner.access)
            let commands = (audit.json["items"] as? [[String: Any]] ?? []).compactMap { $0["command"] as? String }
            #expect(commands.first == "updateUser" && !commands.contains("grantRole") && !commands.contains("blockUser"))
        }
        await server.discard()
    }

    @Test func executeRunsATableCommandWithParams() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let cast = try await client.signInCast()
            let created = try await client.call(.post, "/api/commands/execute", token: cast.admin.access,
                                                json: ["command": "createProduct", "params": ["name": "Pão", "price": 300, "stock": 5]])
            #expect(created.status == .ok)
            let product = try #require(created.json["product"] as? [String: Any])
            let id = try #require(created.json["productId"] as? String)
            #expect(product["id"] as? String == id && product["stock"] as? Int == 5 && (product["version"] as? Int ?? 0) > 0)
            #expect(created.headers[CommandRoutes.feedSequence] != nil)

            let restocked = try await client.call(.post, "/api/commands/execute", token: cast.admin.access,
                                                  json: ["command": "restock", "params": ["productId": id, "quantity": 4]])
            #expect((restocked.json["product"] as? [String: Any])?["stock"] as? Int == 9)

            // A user may not; a misspelt field is named; an unknown command lists the known ones.
            let refused = try await client.call(.post, "/api/commands/execute", token: cast.ana.access,
                                                json: ["command": "restock", "params": ["productId": id, "quantity": 4]])
            #expect(refused.status == .forbidden)
            let misspelt = try await client.call(.post, "/api/commands/execute", token: cast.admin.access,
                                                 json: ["command": "restock", "params": ["productId": id, "quantiti": 4]])
            #expect(misspelt.status == .badRequest && misspelt.errorField == "quantiti")
            let unknown = try await client.call(.post, "/api/commands/execute", token: cast.admin.access, json: ["command": "fly", "params": [:]])
            #expect(unknown.status == .notFound && unknown.error == "unknown_command")
            let both = try await client.call(.post, "/api/commands/execute", token: cast.admin.access,
                                             json: ["command": "restock", "args": "p1 3", "params": [:]])
            #expect(both.status == .badRequest && both.errorField == "params")
        }
        await server.discard()
    }
}

/// What the API fuzzer found in the table's doors, kept as tests.
@Suite(.timeLimit(.minutes(1))) struct CommandTableFuzzFindingsTests {
    @Test func aRequiredBodyIsRequiredEvenWhenEveryFieldIsOptional() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Bolo", "price": 900])
            let id = try #require(created.json["id"] as? String)
            for method in [HTTPRequest.Method.patch, .put] {
                let empty = try await client.call(method, "/api/products/\(id)", token: owner.access, headers: [.ifMatch: "0"])
                #expect(empty.status == .badRequest && empty.error == "invalid_input", "\(method): \(empty.status)")
            }
            let user = try await client.call(.patch, "/api/users/\(owner.userId)", token: owner.access)
            #expect(user.status == .badRequest)
            // A step whose body is optional takes none.
            let archived = try await client.call(.delete, "/api/products/\(id)", token: owner.access)
            #expect(archived.status == .ok && archived.json["active"] as? Bool == false)
        }
        await server.discard()
    }

    @Test func aMalformedRoleIsRefusedEvenBesideAUserId() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let reply = try await client.call(.post, "/api/notifications", token: owner.access,
                                              json: ["title": "Oi", "userId": owner.userId, "role": [String: String]()])
            #expect(reply.status == .badRequest && reply.errorField == "role", "\(reply.json)")
        }
        await server.discard()
    }
}
