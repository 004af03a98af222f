import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Shop
import Store
import Testing

/// A real server over a store on a small tmpfs that the test itself mounts and fills (a disk
/// that really fills up). Mounting needs root, which CI has; without it the test fails and says so.
@Suite(.timeLimit(.minutes(5))) struct StorageFullTests {
    @Test func aFullDiskAnswers507KeepsServingAndTakesWritesAgainOnceThereIsRoom() async throws {
        try #require(getuid() == 0, "this test mounts a small tmpfs, which needs root (CI runs as root): run it as root")
        let disk = try SmallDisk(size: "24m")
        var failure: (any Error)?
        do {
            let server = try await LiveServer.reopen(disk.path + "/data", heartbeat: .seconds(600))
            do { try await fillAndFree(server, disk) } catch { failure = error }
            await server.discard()
        } catch {
            failure = error
        }
        disk.unmount()
        if let failure { throw failure }
    }

    private func fillAndFree(_ server: LiveServer, _ disk: SmallDisk) async throws {
        let initialStock = 100_000
        let sold = SaleCount()
        try await server.run { client, port in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let created = try await client.call(.post, "/api/products", token: owner.access,
                                                json: ["name": "Pastel", "price": 700, "stock": initialStock])
            let productId = try #require(created.json["id"] as? String)
            let purchase: [String: Any] = ["buyerId": ana.userId, "items": [["productId": productId, "quantity": 1]]]
            let socket = try await RawWebSocket.connect(port: port, token: owner.access)
            try await socket.send(#"{"type":"subscribe","topics":["inventory"]}"#)
            try await socket.wait("ready") { $0.frames.contains { $0.text.contains(#""type":"ready""#) } }

            // A filler file beside the data folder takes all but a little of the disk.
            let filler = disk.path + "/filler"
            try disk.fill(filler, leaving: 128 << 10)

            var refusal: Reply?
            for _ in 0..<3_000 {
                let reply = try await client.call(.post, "/api/purchases", token: owner.access, json: purchase)
                if reply.status == .created {
                    await sold.add()
                    continue
                }
                refusal = reply
                break
            }
            let refused = try #require(refusal, "3,000 purchases fitted: the disk never filled")
            #expect(refused.status.code == 507, "\(refused.status) \(refused.json)")
            #expect(refused.error == "storage_full")
            let message = (refused.json["error"] as? [String: Any])?["message"] as? String
            #expect(message?.isEmpty == false)
            #expect(await sold.count > 0, "the disk was full before the first purchase: leave more room")
            // Refused again while full, with the same answer.
            #expect(try await client.call(.post, "/api/purchases", token: owner.access, json: purchase).status.code == 507)

            // Reads go on, and show every acknowledged purchase.
            let product = try await client.call(.get, "/api/products/\(productId)", token: ana.access)
            #expect(product.status == .ok)
            #expect(product.json["stock"] as? Int == initialStock - (await sold.count))
            // /health (still 200) and /metrics say it.
            let health = try await client.call(.get, "/health")
            #expect(health.status == .ok)
            #expect(health.json["storage"] as? String == "full" && health.json["status"] as? String == "degraded")
            #expect(health.json["storageFullSince"] is String)
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("tenda_store_storage_full 1"))

            // The socket stays open: it answers a ping, and a command over it is refused with the same code.
            try await socket.send(#"{"type":"ping"}"#)
            try await socket.send(#"{"type":"command","id":"full1","command":"buy","params":\#(String(decoding: try JSONSerialization.data(withJSONObject: purchase), as: UTF8.self))}"#)
            try await socket.wait("pong and the command's error", seconds: 30) { state in
                state.frames.contains { $0.text.contains(#""type":"pong""#) } && state.frames.contains { $0.text.contains(#""id":"full1""#) }
            }
            let commandError = socket.frames.first { $0.text.contains(#""id":"full1""#) }?.text ?? ""
            #expect(commandError.contains(#""type":"error""#) && commandError.contains(#""code":"storage_full""#), "\(commandError)")
            #expect(!socket.isClosed)

            // Room again: the next purchase is taken, with no restart, and /health is back to ok.
            try FileManager.default.removeItem(atPath: filler)
            let again = try await client.call(.post, "/api/purchases", token: owner.access, json: purchase)
            #expect(again.status == .created, "\(again.status) \(again.json)")
            if again.status == .created { await sold.add() }
            let healthAgain = try await client.call(.get, "/health")
            #expect(healthAgain.json["storage"] as? String == "ok" && healthAgain.json["status"] as? String == "ok")
            #expect(healthAgain.json["storageFullSince"] == nil)
            // The purchase reaches the socket that stayed open through it all.
            let stockNow = initialStock - (await sold.count)
            try await socket.wait("the purchase's inventory_update", seconds: 30) { state in
                state.frames.contains { $0.text.contains("inventory_update") && $0.text.contains(#""stock":\#(stockNow)"#) }
            }
            await socket.close()
        }

        // Nothing acknowledged was lost: the store, reopened, holds exactly the sales answered 201.
        await server.shop.close()
        let reopened = try await Environment.open(at: server.folder, configuration: .testing)
        let sales = try await reopened.statistics().collections.first { $0.name == "sales" }?.records
        #expect(sales == (await sold.count))
        await reopened.close()
    }
}

/// Purchases answered 201, counted across the server's tasks.
private actor SaleCount {
    private(set) var count = 0
    func add() { count += 1 }
}

/// A tmpfs of a few megabytes mounted on a fresh folder: a disk the test can fill.
struct SmallDisk {
    let path: String

    init(size: String) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-small-disk-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let status = try Self.run("/bin/mount", "-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path)
        if status != 0 {
            try? FileManager.default.removeItem(atPath: path)
            throw SmallDiskError(description: "mount -t tmpfs -o size=\(size) tmpfs \(path) failed with status \(status)")
        }
    }

    /// Bytes free for an unprivileged writer.
    var available: Int {
        var fs = statvfs()
        guard statvfs(path, &fs) == 0 else { return 0 }
        return Int(fs.f_bavail) * Int(fs.f_frsize)
    }

    /// Writes a file at `file` that leaves about `leaving` bytes free.
    func fill(_ file: String, leaving: Int) throws {
        let size = available - leaving
        guard size > 0 else { return }
        guard FileManager.default.createFile(atPath: file, contents: nil), let handle = FileHandle(forWritingAtPath: file) else {
            throw SmallDiskError(description: "cannot create \(file)")
        }
        defer { try? handle.close() }
        let chunk = Data(repeating: 0x5A, count: 1 << 20)
        var written = 0
        while written < size {
            let part = min(chunk.count, size - written)
            try handle.write(contentsOf: part == chunk.count ? chunk : chunk.prefix(part))
            written += part
        }
    }

    /// Unmounts (lazily, should anything still hold a file) and removes the folder.
    func unmount() {
        if (try? Self.run("/bin/umount", path)) != 0 { _ = try? Self.run("/bin/umount", "-l", path) }
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func run(_ arguments: String...) throws -> Int32 {
        let process = try SpawnedProcess(arguments[0], Array(arguments.dropFirst()), output: "/dev/null", errors: "/dev/null")
        process.waitUntilExit()
        return process.terminationStatus
    }
}

struct SmallDiskError: Error, CustomStringConvertible {
    let description: String
}
