import Foundation
import Store
import Testing

/// `tenda import` and `tenda users`, run as the shop owner would on the demo shop.
@Suite(.timeLimit(.minutes(1))) struct ShopCommandLineTests {
    let cli = DatabaseCommandTests()

    static var demoShop: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/demo-shop.json").path
    }

    func freshFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tenda-cli-shop-\(UUID().uuidString)").path
    }

    @Test func importingTheDemoShopThenListingAndGrantingRoles() throws {
        let folder = freshFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let imported = try cli.tenda("import", "--data-dir", folder, Self.demoShop)
        #expect(imported.status == 0, "\(imported.errors)")
        #expect(imported.output.contains("10 users, 44 products"))
        #expect(!imported.output.contains("times moved"), "without --shift-to-now the recorded times are kept")
        // The token secret is kept beside the store, private to its owner.
        let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/token-secret")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int) == 32)

        let list = try cli.tenda("users", "list", "--data-dir", folder)
        #expect(list.status == 0)
        let lines = list.output.split(separator: "\n")
        #expect(lines.count == 11)  // a header and ten users
        #expect(lines.contains { $0.contains("Ana Paula Souza") && $0.contains("owner") })
        #expect(lines.contains { $0.contains("Marcos Vinícius Oliveira") && $0.contains("R$ 1.843,10") })

        let grant = try cli.tenda("users", "grant", "--data-dir", folder, "4850811243", "admin")
        #expect(grant.status == 0)
        #expect(grant.output.contains("Gabriel Rocha (u6, Telegram 4850811243) is now admin"))
        let newcomer = try cli.tenda("users", "grant", "--data-dir", folder, "777", "admin")
        #expect(newcomer.output.contains("is now admin"))
        let after = try cli.tenda("users", "list", "--data-dir", folder)
        #expect(after.output.split(separator: "\n").contains { $0.contains("Gabriel Rocha") && $0.contains("admin") })
        #expect(after.output.split(separator: "\n").count == 12)

        let badRole = try cli.tenda("users", "grant", "--data-dir", folder, "777", "king")
        #expect(badRole.status != 0 && badRole.errors.contains("user, admin or owner"))
        let twice = try cli.tenda("import", "--data-dir", folder, Self.demoShop)
        #expect(twice.status != 0 && twice.errors.contains("already has users"))
    }

    @Test func importingWithShiftToNowEndsTheHistoryAtTheMomentOfImport() throws {
        let folder = freshFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let before = Date()
        let imported = try cli.tenda("import", "--data-dir", folder, "--shift-to-now", Self.demoShop)
        let after = Date()
        #expect(imported.status == 0, "\(imported.errors)")
        // The fixture's latest time, 2026-11-20T22:29:29Z, moved onto the moment of import (whole seconds).
        let latest: TimeInterval = 1_795_213_769
        let moved = try #require(imported.output.components(separatedBy: "times moved ").dropFirst().first?
            .split(separator: " ").first.flatMap { TimeInterval(String($0)) }, "\(imported.output)")
        #expect(moved >= (before.timeIntervalSince1970 - latest).rounded(.down) - 1 && moved <= after.timeIntervalSince1970 - latest)
        // The same books, moved in time: Marcos still owes what the fixture says.
        let list = try cli.tenda("users", "list", "--data-dir", folder)
        #expect(list.output.split(separator: "\n").contains { $0.contains("Marcos Vinícius Oliveira") && $0.contains("R$ 1.843,10") })
    }

    /// `tenda run`: a command of the table on the demo shop, as the system or as a user, and its refusals.
    @Test func runningTableCommandsFromTheCommandLine() throws {
        let folder = freshFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try cli.tenda("import", "--data-dir", folder, Self.demoShop).status == 0)
        let list = try cli.tenda("run", "--list")
        #expect(list.status == 0 && list.output.split(separator: "\n").contains("buy") && list.output.contains("updateUser"))

        let created = try cli.tenda("run", "--data-dir", folder, "createProduct", #"{"name": "Pamonha", "price": 750, "stock": 12}"#)
        #expect(created.status == 0, "\(created.errors)")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(created.output.utf8)) as? [String: Any])
        let product = try #require(answer["product"] as? [String: Any])
        let id = try #require(answer["productId"] as? String)
        #expect(product["id"] as? String == id && product["stock"] as? Int == 12 && (product["version"] as? Int ?? 0) > 0)

        // As a user (u6 is a plain user in the demo shop), with that user's role: refused, nothing written.
        let asUser = try cli.tenda("run", "--data-dir", folder, "--as", "u6", "restock", #"{"productId": "\#(id)", "quantity": 3}"#)
        #expect(asUser.status != 0 && asUser.errors.contains("forbidden"), "\(asUser.errors)")
        let misspelt = try cli.tenda("run", "--data-dir", folder, "restock", #"{"productId": "\#(id)", "quantiti": 3}"#)
        #expect(misspelt.status != 0 && misspelt.errors.contains("unknown field quantiti"))
        let unknown = try cli.tenda("run", "--data-dir", folder, "fly", "{}")
        #expect(unknown.status != 0 && unknown.errors.contains("unknown_command"))
        let restocked = try cli.tenda("run", "--data-dir", folder, "restock", #"{"productId": "\#(id)", "quantity": 3}"#)
        #expect(restocked.status == 0 && restocked.output.contains(#""stock":15"#), "\(restocked.output)")
    }

    @Test func usersOfAMissingStoreIsAClearError() throws {
        let folder = freshFolder()
        let run = try cli.tenda("users", "list", "--data-dir", folder)
        #expect(run.status != 0 && run.errors.contains("no store at"))
        #expect(!FileManager.default.fileExists(atPath: folder))
    }
}

@Suite(.timeLimit(.minutes(1))) struct ServeCommandLineTests {
    let cli = DatabaseCommandTests()

    @Test func serveLoadsTheDemoAndKeepsOtherWritersOut() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-cli-serve-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try await ServerProcess.start(["serve", "--demo", "--data-dir", folder, "--port", "0", "--demo-file", ShopCommandLineTests.demoShop])
        let text = server.output
        #expect(text.contains("one-time login for Ana Paula Souza (owner)"))
        #expect(text.contains("/api/auth/code"))
        let grant = try cli.tenda("users", "grant", "--data-dir", folder, "777", "admin")
        #expect(grant.status != 0 && grant.errors.contains("another tenda is writing"))
        // Reading is fine beside the server.
        let stats = try cli.tenda("db", "stats", "--data-dir", folder)
        #expect(stats.status == 0 && stats.output.contains("products"))
        await server.stop()
    }

    @Test func aMaxMapSizeThatIsNotASizeIsRefusedBeforeServing() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-cli-serve-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for size in ["lots", "12X", "512K"] {
            let run = try cli.tenda("serve", "--max-map-size", size, "--data-dir", folder, "--port", "0")
            #expect(run.status != 0 && run.errors.contains("--max-map-size must be a size"), "\(size): \(run.errors)")
        }
    }

    @Test func aTrustedProxyThatIsNotARangeOrABadBotIdIsRefusedBeforeServing() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-cli-serve-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for range in ["10.0.0.0/33", "::1/129", "10.0.0.0/-1", "localhost/8", "10.0.0.0/99999999999999999999999"] {
            let run = try cli.tenda("serve", "--trusted-proxy", "127.0.0.1/32,\(range)", "--data-dir", folder, "--port", "0")
            #expect(run.status == 1 && run.errors.contains("--trusted-proxy") && run.errors.contains(range), "\(range): \(run.errors)")
        }
        let badBot = try cli.tenda("serve", "--bot-id", "0", "--data-dir", folder, "--port", "0")
        #expect(badBot.status == 1 && badBot.errors.contains("--bot-id"), "\(badBot.errors)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/token-secret"), "nothing is written before the settings are checked")
    }

    @Test func aShortReplicationKeyOrAReplicaWithoutOneIsRefusedBeforeServing() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-cli-serve-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let short = try cli.tenda("serve", "--replication-key", "too-short", "--data-dir", folder, "--port", "0")
        #expect(short.status == 1 && short.errors.contains("--replication-key") && short.errors.contains("at least 32"), "\(short.errors)")
        let keyless = try cli.tenda("serve", "--replica-of", "http://127.0.0.1:9", "--data-dir", folder, "--port", "0")
        #expect(keyless.status == 1 && keyless.errors.contains("needs --replication-key"), "\(keyless.errors)")
        let notAnAddress = try cli.tenda("serve", "--replica-of", "primary", "--replication-key", String(repeating: "k", count: 32),
                                         "--data-dir", folder, "--port", "0")
        #expect(notAnAddress.status == 1 && notAnAddress.errors.contains("--replica-of"), "\(notAnAddress.errors)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/token-secret"), "nothing is written before the settings are checked")
    }

    @Test func anAccessTokenLifetimeOutsideItsBoundsIsRefusedBeforeServing() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-cli-serve-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for lifetime in ["0", "4", "86401", "nan", "inf", "-60", "1e300"] {
            let run = try cli.tenda("serve", "--access-token-lifetime", lifetime, "--data-dir", folder, "--port", "0")
            #expect(run.status != 0 && run.errors.contains("--access-token-lifetime"), "\(lifetime): \(run.errors)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder), "nothing is written before the settings are checked")
    }
}
