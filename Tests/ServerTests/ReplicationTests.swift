import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import NIOCore
@testable import Server
import Shop
import Store
import Synchronization
import TendaApp
import Testing

/// The HTTP side between nodes (ARCHITECTURE.md, "Beyond one machine"): a primary and a
/// replica, two in-process applications on loopback ports, talking over real HTTP.
///
/// Replication itself (the store's follower mode fed by NATS) is not here yet, so a replica's
/// copy is either empty or a snapshot of the primary that does not move afterwards; the tests
/// that need the write to be "applied" give the replica a catch-up that says so at once
/// (``RecordingCatchUp``), and one runs the production polling against the unfed copy to see
/// it time out.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ReplicationTests {
    static let key = "replication-key-for-tests-0123456789abcdef"
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let feedHead = HTTPField.Name("Feed-Head")!
    static let replicationKey = HTTPField.Name("Tenda-Replication-Key")!

    /// Records each head a replica was told to wait for and answers `caughtUp` at once.
    final class RecordingCatchUp: FeedHeadWaiting {
        let heads = Mutex<[UInt64]>([])
        let caughtUp: Bool
        init(caughtUp: Bool = true) { self.caughtUp = caughtUp }
        func wait(untilHeadReaches head: UInt64, timeout: Duration) async -> Bool {
            heads.withLock { $0.append(head) }
            return caughtUp
        }
        var asked: [UInt64] { heads.withLock { $0 } }
    }

    static func temporaryFolder(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tenda-replication-tests-\(name)-\(UUID().uuidString)").path
    }

    /// A primary over a new store, answering replicas that send ``key``.
    static func primary(tokenSecretFile: Bool = false, addressRateLimit: (burst: Double, perSecond: Double) = (200, 50)) async throws -> LiveServer {
        let folder = temporaryFolder("primary")
        if tokenSecretFile {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // The secret the tests' configuration signs with, kept where `serve` keeps its own.
            _ = FileManager.default.createFile(atPath: folder + "/" + BackupManifest.tokenSecretFileName, contents: Data(repeating: 5, count: 32),
                                           attributes: [.posixPermissions: 0o600])
        }
        var configuration = LiveServer.configuration(folder: folder, addressRateLimit: addressRateLimit)
        configuration.replication = .primary(key: key)
        return LiveServer(folder: folder, app: try await buildApplication(configuration: configuration))
    }

    /// A replica of the primary on `primaryPort`, over the store in `folder` (a new empty one
    /// unless given). It believes the test client's `X-Forwarded-For` (the loopback is its
    /// trusted proxy), so the tests can give their requests a client address of their own.
    static func replica(of primaryPort: Int, folder: String = temporaryFolder("replica"), key: String = key,
                        catchUp: (any FeedHeadWaiting)?, catchUpTimeout: Duration = .seconds(10)) async throws -> LiveServer {
        var configuration = LiveServer.configuration(folder: folder) { $0.trustedProxies = try! TrustedProxies(parsing: "127.0.0.1/32,::1/128") }
        configuration.replication = .replica(primary: URL(string: "http://127.0.0.1:\(primaryPort)")!, key: key)
        configuration.replicaCatchUp = catchUp
        configuration.replicaCatchUpTimeout = catchUpTimeout
        return LiveServer(folder: folder, app: try await buildApplication(configuration: configuration))
    }

    /// A store folder restored from a snapshot of the primary on `primaryPort`: a replica over
    /// it knows the primary's users and sessions as they were then (and its token secret).
    static func storeFromSnapshot(of primaryPort: Int) async throws -> String {
        let link = PrimaryLink(primary: URL(string: "http://127.0.0.1:\(primaryPort)")!, key: key)
        let backups = temporaryFolder("snapshots")
        let (path, _) = try await link.fetchSnapshot(into: backups)
        let folder = temporaryFolder("replica")
        _ = try await BackupRestore.restore(from: path, into: folder, force: false)
        try? FileManager.default.removeItem(atPath: backups)
        return folder
    }

    /// Sends `messages` on a socket to `port` and collects frames until every id in `ids` was answered.
    static func socketCommands(port: Int, token: String, forwardedFor: String? = nil, _ messages: [String], ids: [String]) async throws -> [[String: Any]] {
        let collector = FrameCollector()
        var headers: HTTPFields = [.userAgent: "ReplicaSocket"]
        if let forwardedFor { headers[.xForwardedFor] = forwardedFor }
        try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws?token=\(token)",
                                          configuration: WebSocketClientConfiguration(additionalHeaders: headers),
                                          logger: Logger(label: "ws-test")) { inbound, outbound, _ in
            for message in messages { try await outbound.write(.text(message)) }
            for try await message in inbound.messages(maxSize: 1 << 20) {
                if case .text(let text) = message { await collector.add(text) }
                let answered = Set(Frames(await collector.received()).all.compactMap { $0["id"] as? String })
                if ids.allSatisfy(answered.contains) { break }
            }
            try await outbound.close(.normalClosure, reason: nil)
        }
        return Frames(await collector.received()).all.filter { $0["id"] != nil }
    }

    // MARK: REST

    @Test func aRestWriteToTheReplicaIsMadeOnThePrimaryForTheForwardedClientAndHonoursItsIdempotencyKey() async throws {
        let primary = try await Self.primary()
        try await primary.run { p, primaryPort in
            let owner = try await p.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let ana = try await p.signIn(telegramId: 3_000, firstName: "Ana")
            let catchUp = RecordingCatchUp()
            // The replica's own store is empty: it knows neither the token nor the users; the primary judges them.
            let replica = try await Self.replica(of: primaryPort, catchUp: catchUp)
            try await replica.run { r, _ in
                let created = try await r.call(.post, "/api/products", token: owner.access, json: ["name": "Pastel", "price": 800, "stock": 10],
                                               headers: [.xForwardedFor: "203.0.113.7", .userAgent: "ReplicaClient"])
                #expect(created.status == .created, "\(created.json)")
                let productId = try #require(created.json["id"] as? String)
                // Answered once the replica was at the primary's head after the write.
                let head = try #require(created.headers[Self.feedHead].flatMap { UInt64($0) })
                #expect(catchUp.asked == [head])
                #expect(head == primary.shop.feedHead)
                #expect(created.headers[HTTPField.Name("Replica-Caught-Up")!] == nil)

                // It is on the primary, made for the client the replica forwarded for.
                let onPrimary = try await p.call(.get, "/api/products/\(productId)", token: ana.access)
                #expect(onPrimary.status == .ok && onPrimary.json["name"] as? String == "Pastel")
                let entry = try await ClientAddressTests.auditEntry(p, owner: owner.access) {
                    $0["command"] as? String == "createProduct" && ($0["summary"] as? String)?.hasPrefix("Pastel") == true
                }
                #expect(entry["clientAddress"] as? String == "203.0.113.7")
                #expect(entry["userAgent"] as? String == "ReplicaClient")
                #expect(entry["channel"] as? String == "rest")

                // The same Idempotency-Key through the replica twice: one sale, the first answer again.
                let purchase: [String: Any] = ["buyerId": ana.userId, "items": [["productId": productId, "quantity": 3]]]
                let first = try await r.call(.post, "/api/purchases", token: owner.access, json: purchase, headers: [Self.idempotencyKey: "hop-1"])
                let again = try await r.call(.post, "/api/purchases", token: owner.access, json: purchase, headers: [Self.idempotencyKey: "hop-1"])
                #expect(first.status == .created && again.status == .created, "\(first.json) \(again.json)")
                #expect(first.json["id"] as? String != nil && first.json["id"] as? String == again.json["id"] as? String)
                let stock = try await p.call(.get, "/api/products/\(productId)", token: ana.access)
                #expect(stock.json["stock"] as? Int == 7)

                // If-Match goes across: a stale version is the primary's 412, unchanged.
                let stale = try await r.call(.patch, "/api/products/\(productId)", token: owner.access, json: ["price": 900], headers: [.ifMatch: "1"])
                #expect(stale.status == .preconditionFailed && stale.error == "version_conflict", "\(stale.json)")
                // The primary's refusals come back as they are: a user may not create products.
                let refused = try await r.call(.post, "/api/products", token: ana.access, json: ["name": "X", "price": 1])
                #expect(refused.status == .forbidden && refused.error == "forbidden")
                // Sign-in is a write too: it is made on the primary, and its tokens work there.
                let signIn = try await r.call(.post, "/api/auth/telegram", json: ["initData": LiveServer.initData(telegramId: 5_000, firstName: "Rui")])
                #expect(signIn.status == .ok, "\(signIn.json)")
                let rui = try #require(signIn.json["accessToken"] as? String)
                let me = try await p.call(.get, "/api/auth/me", token: rui)
                #expect(me.status == .ok)
            }
            await replica.discard()
        }
        await primary.discard()
    }

    @Test func aReplicaWhoseCopyDoesNotCatchUpAnswersAnywayAndSaysSo() async throws {
        let primary = try await Self.primary()
        try await primary.run { p, primaryPort in
            let owner = try await p.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            // The production catch-up (polling the replica's own head), over a copy nothing feeds.
            let replica = try await Self.replica(of: primaryPort, catchUp: nil, catchUpTimeout: .milliseconds(100))
            try await replica.run { r, _ in
                let started = ContinuousClock.now
                let created = try await r.call(.post, "/api/products", token: owner.access, json: ["name": "Empada", "price": 500])
                #expect(created.status == .created)
                #expect(created.headers[HTTPField.Name("Replica-Caught-Up")!] == "false")
                #expect(ContinuousClock.now - started >= .milliseconds(100))
            }
            await replica.discard()
        }
        await primary.discard()
    }

    @Test func thePrimaryLimitsWhatAReplicaForwardsPerClientNotAsOneAddress() async throws {
        // Three requests an address, and almost no refill.
        let primary = try await Self.primary(addressRateLimit: (3, 0.01))
        try await primary.run { _, primaryPort in
            let replica = try await Self.replica(of: primaryPort, catchUp: RecordingCatchUp())
            try await replica.run { r, _ in
                func redeem(from address: String) async throws -> Reply {
                    try await r.call(.post, "/api/auth/code", json: ["code": "not-a-code"], headers: [.xForwardedFor: address])
                }
                // Eight clients behind one replica: none is limited by the others.
                for client in 1...8 {
                    let answer = try await redeem(from: "198.51.100.\(client)")
                    #expect(answer.status != .tooManyRequests, "client \(client): \(answer.json)")
                }
                // One client is limited as itself, through the replica as it would be directly.
                var statuses: [HTTPResponse.Status] = []
                for _ in 1...4 { statuses.append(try await redeem(from: "203.0.113.50").status) }
                #expect(statuses.prefix(3).allSatisfy { $0 != .tooManyRequests } && statuses.last == .tooManyRequests, "\(statuses)")
            }
            await replica.discard()
        }
        await primary.discard()
    }

    // MARK: The key

    @Test func theReplicationRoutesAndPeerHeadersNeedTheKey() async throws {
        let primary = try await Self.primary()
        try await primary.run { p, primaryPort in
            let owner = try await p.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")

            let wrong = try await p.call(.get, "/internal/replication/status", headers: [Self.replicationKey: String(repeating: "x", count: 40)])
            #expect(wrong.status == .unauthorized && wrong.error == "replication_key_refused", "\(wrong.json)")
            #expect((wrong.json["error"] as? [String: Any])?["message"] is String)
            let none = try await p.call(.get, "/internal/replication/status")
            #expect(none.status == .unauthorized && none.error == "not_authenticated")
            let status = try await p.call(.get, "/internal/replication/status", headers: [Self.replicationKey: Self.key])
            #expect(status.status == .ok && status.json["role"] as? String == "primary")
            #expect(status.json["epoch"] as? String == primary.shop.epoch)
            #expect((status.json["head"] as? NSNumber)?.uint64Value == primary.shop.feedHead)
            #expect(status.headers[Self.feedHead] == String(primary.shop.feedHead))
            let linkStatus = try await PrimaryLink(primary: URL(string: "http://127.0.0.1:\(primaryPort)")!, key: Self.key).status()
            #expect(linkStatus == PrimaryLink.Status(role: "primary", epoch: primary.shop.epoch, head: primary.shop.feedHead))

            // A write with a wrong key is refused before it is looked at.
            let forged = try await p.call(.post, "/api/products", token: owner.access, json: ["name": "Forjado", "price": 1],
                                          headers: [Self.replicationKey: "not-the-key"])
            #expect(forged.status == .unauthorized && forged.error == "replication_key_refused")
            // Without the key, Tenda-Principal names nobody.
            let impostor = try await p.call(.post, "/api/commands/execute", json: ["command": "createProduct", "params": ["name": "Y", "price": 1]],
                                            headers: [HTTPField.Name("Tenda-Principal")!: "u1"])
            #expect(impostor.status == .unauthorized, "\(impostor.json)")
            let products = try await p.call(.get, "/api/products", token: owner.access)
            #expect(products.items.isEmpty)
            // Requests without the header are unchanged: no Feed-Head.
            #expect(products.headers[Self.feedHead] == nil)

            // The snapshot is for peers only, and no part of the published API.
            let snapshot = try await p.call(.get, "/internal/replication/snapshot", token: owner.access)
            #expect(snapshot.status == .unauthorized)
            let document = try await p.execute(uri: "/openapi.json", method: .get) { String(buffer: $0.body) }
            #expect(!document.contains("/internal/"))

            // A replica holding another key cannot write: 503 primary_unavailable, not the primary's 401.
            let misconfigured = try await Self.replica(of: primaryPort, key: String(repeating: "y", count: 40), catchUp: RecordingCatchUp())
            try await misconfigured.run { r, _ in
                let refused = try await r.call(.post, "/api/products", token: owner.access, json: ["name": "Z", "price": 1])
                #expect(refused.status == .serviceUnavailable && refused.error == "primary_unavailable", "\(refused.json)")
            }
            await misconfigured.discard()
        }
        await primary.discard()
    }

    @Test func theKeyMustBeLongAndAReplicaNeedsOne() throws {
        #expect(try ReplicationRole.from(key: nil, replicaOf: nil) == nil)
        #expect(try ReplicationRole.from(key: Self.key, replicaOf: nil) == .primary(key: Self.key))
        #expect(try ReplicationRole.from(key: Self.key, replicaOf: "http://10.0.0.5:8080")
            == .replica(primary: URL(string: "http://10.0.0.5:8080")!, key: Self.key))
        #expect(throws: ReplicationConfigurationError.self) { try ReplicationRole.from(key: "short", replicaOf: nil) }
        #expect(throws: ReplicationConfigurationError.self) { try ReplicationRole.from(key: nil, replicaOf: "http://10.0.0.5:8080") }
        #expect(throws: ReplicationConfigurationError.self) { try ReplicationRole.from(key: Self.key, replicaOf: "10.0.0.5") }
        #expect(Replication.keysMatch(Self.key, Self.key))
        #expect(!Replication.keysMatch(Self.key + "x", Self.key))
    }

    // MARK: Snapshot

    @Test func aSnapshotIsABackupFolderThatVerifiesAndOpensAtThePrimarysHeadAndEpoch() async throws {
        let primary = try await Self.primary(tokenSecretFile: true)
        try await primary.run { p, primaryPort in
            let owner = try await p.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            for name in ["Coxinha", "Kibe", "Esfiha"] {
                let created = try await p.call(.post, "/api/products", token: owner.access, json: ["name": name, "price": 650, "stock": 5])
                #expect(created.status == .created)
            }
            let parent = Self.temporaryFolder("backups")
            let link = PrimaryLink(primary: URL(string: "http://127.0.0.1:\(primaryPort)")!, key: Self.key)
            let (path, manifest) = try await link.fetchSnapshot(into: parent)
            #expect((path as NSString).lastPathComponent.hasPrefix(BackupFolders.namePrefix))
            #expect(manifest.feedHead == primary.shop.feedHead && manifest.epoch == primary.shop.epoch)
            #expect(manifest.counts["products"] == 3)
            // As `tenda db backup --into` would have written it: found, checked, restorable.
            #expect(try BackupFolders.newest(in: parent)?.path == path)
            #expect(try await BackupRestore.verify(path) == manifest)
            let secret = path + "/" + BackupManifest.tokenSecretFileName
            #expect(FileManager.default.contents(atPath: secret) == Data(repeating: 5, count: 32))
            let mode = try FileManager.default.attributesOfItem(atPath: secret)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o600)

            var readOnly = StoreConfiguration()
            readOnly.access = .readOnly
            readOnly.createIfMissing = false
            readOnly.mapSize = 1 << 20
            let copy = try await Store.Environment.open(at: path, configuration: readOnly)
            #expect(copy.head == primary.shop.feedHead && copy.epoch == primary.shop.epoch)
            await copy.close()

            // The primary keeps no temporary copy.
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
                .filter { $0.hasPrefix("tenda-snapshot-") }
            #expect(leftovers.isEmpty, "\(leftovers)")
            try? FileManager.default.removeItem(atPath: parent)

            // A wrong key gets no snapshot, and leaves no folder behind.
            let refusedInto = Self.temporaryFolder("refused")
            await #expect(throws: PrimaryLinkError.self) {
                try await PrimaryLink(primary: URL(string: "http://127.0.0.1:\(primaryPort)")!, key: String(repeating: "z", count: 40))
                    .fetchSnapshot(to: refusedInto)
            }
            #expect(!FileManager.default.fileExists(atPath: refusedInto + "/" + BackupManifest.dataFileName))
        }
        await primary.discard()
    }

    @Test func aSnapshotWhoseBytesDoNotMatchItsManifestIsRefusedAndLeavesNothing() async throws {
        // A "primary" whose snapshot is not what its manifest says.
        let router = Router()
        router.get("/internal/replication/snapshot") { _, _ -> Response in
            let manifest = #"{"format":1,"createdAt":"2026-12-03T17:45:00.123Z","feedHead":1,"epoch":"e","counts":{},"checksum":"sha256:00"}"#
            return Response(status: .ok, headers: [HTTPField.Name("Tenda-Backup-Manifest")!: Data(manifest.utf8).base64EncodedString()],
                            body: .init(byteBuffer: ByteBuffer(string: "not the store")))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let parent = Self.temporaryFolder("mismatch")
            await #expect(throws: StoreError.self) {
                try await PrimaryLink(primary: URL(string: "http://127.0.0.1:\(port)")!, key: Self.key).fetchSnapshot(into: parent)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty)
            try? FileManager.default.removeItem(atPath: parent)
        }
    }

    // MARK: Socket commands

    @Test func aSocketCommandOnTheReplicaRunsOnThePrimaryAsThatUserWithTheRoleThePrimaryStores() async throws {
        let primary = try await Self.primary()
        try await primary.run { p, primaryPort in
            let cast = try await p.signInCast()
            // The replica's copy: the primary as it was now (users, sessions, token secret).
            let folder = try await Self.storeFromSnapshot(of: primaryPort)
            let catchUp = RecordingCatchUp()
            let replica = try await Self.replica(of: primaryPort, folder: folder, catchUp: catchUp)
            try await replica.run { r, replicaPort in
                // Reads are the replica's own.
                let me = try await r.call(.get, "/api/auth/me", token: cast.ana.access)
                #expect(me.status == .ok && me.json["role"] as? String == "user", "\(me.json)")

                let create = #"{"type":"command","id":"a1","command":"createProduct","params":{"name":"DoSocket","price":300}}"#
                let byAdmin = try await Self.socketCommands(port: replicaPort, token: cast.admin.access, forwardedFor: "192.0.2.44", [create], ids: ["a1"])
                let result = try #require(byAdmin.first)
                #expect(result["type"] as? String == "result" && result["ok"] as? Bool == true, "\(result)")
                let seq = try #require((result["seq"] as? NSNumber)?.uint64Value)
                let productId = try #require((result["data"] as? [String: Any])?["productId"] as? String, "\(result)")
                #expect(catchUp.asked.last.map { $0 >= seq } == true)

                // Made on the primary, by the admin, through the socket, for the socket's client.
                let onPrimary = try await p.call(.get, "/api/products/\(productId)", token: cast.ana.access)
                #expect(onPrimary.status == .ok && onPrimary.json["name"] as? String == "DoSocket")
                let entry = try await ClientAddressTests.auditEntry(p, owner: cast.owner.access) {
                    $0["command"] as? String == "createProduct" && ($0["summary"] as? String)?.hasPrefix("DoSocket") == true
                }
                #expect(entry["actorId"] as? String == cast.admin.userId)
                #expect(entry["channel"] as? String == "ws")
                #expect(entry["clientAddress"] as? String == "192.0.2.44")
                #expect(entry["userAgent"] as? String == "ReplicaSocket")

                // A user may not: refused as on the primary itself.
                let byAna = #"{"type":"command","id":"u1","command":"createProduct","params":{"name":"DaAna","price":300}}"#
                let refused = try #require(try await Self.socketCommands(port: replicaPort, token: cast.ana.access, [byAna], ids: ["u1"]).first)
                #expect(refused["type"] as? String == "error" && refused["code"] as? String == "forbidden", "\(refused)")

                // The role is the primary's now: granted there, the replica's unfed copy still says user.
                let grant = try await p.call(.patch, "/api/users/\(cast.ana.userId)", token: cast.owner.access, json: ["role": "admin"])
                #expect(grant.status == .ok)
                let granted = #"{"type":"command","id":"u2","command":"createProduct","params":{"name":"DaAnaAdmin","price":300}}"#
                let allowed = try #require(try await Self.socketCommands(port: replicaPort, token: cast.ana.access, [granted], ids: ["u2"]).first)
                #expect(allowed["type"] as? String == "result" && allowed["ok"] as? Bool == true, "\(allowed)")

                // A blocked user is refused by the primary, though the replica's copy still knows the session.
                let block = try await p.call(.patch, "/api/users/\(cast.bruno.userId)", token: cast.owner.access, json: ["blocked": true])
                #expect(block.status == .ok)
                let byBruno = #"{"type":"command","id":"b1","command":"createProduct","params":{"name":"DoBruno","price":1}}"#
                let blocked = try #require(try await Self.socketCommands(port: replicaPort, token: cast.bruno.access, [byBruno], ids: ["b1"]).first)
                #expect(blocked["type"] as? String == "error" && blocked["code"] as? String == "user_blocked", "\(blocked)")

                // Nothing was written to the replica's store by any of it.
                let local = try await r.call(.get, "/api/products", token: cast.owner.access)
                #expect(local.items.isEmpty)
            }
            await replica.discard()
        }
        await primary.discard()
    }

    // MARK: Primary down

    @Test func withThePrimaryDownWritesAre503PrimaryUnavailableAndReadsGoOn() async throws {
        let primary = try await Self.primary()
        let box = Mutex<(port: Int, owner: String, folder: String)?>(nil)
        try await primary.run { p, primaryPort in
            let owner = try await p.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let created = try await p.call(.post, "/api/products", token: owner.access, json: ["name": "Quibe", "price": 700])
            #expect(created.status == .created)
            let folder = try await Self.storeFromSnapshot(of: primaryPort)
            box.withLock { $0 = (primaryPort, owner.access, folder) }
        }
        await primary.discard()
        let (primaryPort, owner, folder) = try #require(box.withLock { $0 })

        let replica = try await Self.replica(of: primaryPort, folder: folder, catchUp: RecordingCatchUp())
        try await replica.run { r, replicaPort in
            let write = try await r.call(.post, "/api/products", token: owner, json: ["name": "Nada", "price": 1])
            #expect(write.status == .serviceUnavailable && write.error == "primary_unavailable", "\(write.json)")
            #expect((write.json["error"] as? [String: Any])?["message"] is String)

            let read = try await r.call(.get, "/api/products", token: owner)
            #expect(read.status == .ok && read.items.map { $0["name"] as? String } == ["Quibe"])
            let health = try await r.call(.get, "/health")
            #expect(health.status == .ok)

            let command = #"{"type":"command","id":"d1","command":"createProduct","params":{"name":"Nada","price":1}}"#
            let answer = try #require(try await Self.socketCommands(port: replicaPort, token: owner, [command], ids: ["d1"]).first)
            #expect(answer["type"] as? String == "error" && answer["code"] as? String == "primary_unavailable", "\(answer)")
        }
        await replica.discard()
    }
}
