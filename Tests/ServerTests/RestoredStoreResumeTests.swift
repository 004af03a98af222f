import AsyncHTTPClient
import Foundation
import HummingbirdTesting
import Store
import Testing

/// A store restored from a backup goes back to the backup's head and begins a new epoch: a
/// client that resumes with the sequence and epoch it had before is told to start again, on
/// the socket, on Server-Sent Events and on long-poll, never handed a silent gap.
@Suite(.timeLimit(.minutes(3))) struct RestoredStoreResumeTests {
    @Test func aClientResumingAgainstARestoredStoreWithItsOldSinceAndEpochIsToldToResync() async throws {
        let server = try await LiveServer.make()
        let backups = server.folder + "-backups"
        let restored = server.folder + "-restored"
        defer {
            try? FileManager.default.removeItem(atPath: backups)
            try? FileManager.default.removeItem(atPath: restored)
        }
        // Before: a product, some restocks, a backup, then more restocks the backup does not have.
        let seen = Seen()
        try await server.run { client, port in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            let created = try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Suco", "price": 500, "stock": 100])
            let productId = try #require(created.json["id"] as? String)
            for _ in 0..<3 {
                _ = try await client.call(.post, "/api/products/\(productId)/stock", token: owner.access, json: ["delta": 1, "reason": "restock"])
            }
            let backup = try await server.shop.backup(into: backups, tokenSecretFile: nil)
            for _ in 0..<3 {
                _ = try await client.call(.post, "/api/products/\(productId)/stock", token: owner.access, json: ["delta": 1, "reason": "restock"])
            }
            // The client's picture: the `ready` of a socket, and the events after it.
            let frames = FrameCollector()
            try await webSocket(port: port, token: owner.access, send: [#"{"type":"subscribe","topics":["inventory"],"since":\#(backup.manifest.feedHead)}"#],
                                into: frames) { await frames.eventCount() >= 3 }
            let all = Frames(await frames.received())
            let ready = try #require(all.all.first { $0["type"] as? String == "ready" })
            await seen.set(epoch: try #require(ready["epoch"] as? String), since: try #require(all.events.compactMap { $0["seq"] as? Int }.max()),
                           backup: backup.path, backupHead: Int(backup.manifest.feedHead))
        }
        await server.app.environment.close()
        let old = await seen.value
        #expect(old.epoch == server.app.environment.epoch)
        #expect(old.since > old.backupHead)

        let outcome = try await BackupRestore.restore(from: old.backup, into: restored, force: false)
        #expect(outcome.epoch != old.epoch)
        let again = try await LiveServer.reopen(restored)
        try await again.run { client, port in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            // A sequence the restored feed has (before the backup's head), named with the old epoch.
            let resumeAt = old.backupHead - 1

            let frames = FrameCollector()
            try await webSocket(port: port, token: owner.access,
                                send: [#"{"type":"subscribe","topics":["inventory"],"since":\#(resumeAt),"epoch":"\#(old.epoch)"}"#],
                                into: frames) { Frames(await frames.received()).all.contains { $0["type"] as? String == "resync" } }
            let socket = Frames(await frames.received()).all
            let ready = try #require(socket.first)
            #expect(ready["type"] as? String == "ready" && ready["epoch"] as? String == outcome.epoch)
            // The restored feed went on from the backup's head (signing in writes a session).
            #expect((ready["seq"] as? Int ?? 0) > old.backupHead)
            let resync = try #require(socket.first { $0["type"] as? String == "resync" })
            #expect(resync["reason"] as? String == "epoch_changed" && resync["epoch"] as? String == outcome.epoch)
            #expect(!socket.contains { $0["type"] as? String == "event" }, "nothing replayed from another history")

            // The address's since and epoch stand for the first subscribe's.
            let byAddress = FrameCollector()
            try await webSocket(port: port, token: "\(owner.access)&since=\(resumeAt)&epoch=\(old.epoch)",
                                send: [#"{"type":"subscribe","topics":["inventory"]}"#], into: byAddress) {
                Frames(await byAddress.received()).all.contains { $0["type"] as? String == "resync" }
            }
            #expect(Frames(await byAddress.received()).all.first { $0["type"] as? String == "resync" }?["reason"] as? String == "epoch_changed")

            // Server-Sent Events: the opening `ready` names the new epoch, then the resync.
            let stream = try await EventSourceReader(port: port).read("since=\(resumeAt)&epoch=\(old.epoch)&topics=inventory",
                                                                      token: owner.access, count: 1)
            let streamReady = try #require(stream.ready.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            #expect(streamReady["epoch"] as? String == outcome.epoch)
            #expect(stream.frames.first?["type"] as? String == "resync" && stream.frames.first?["reason"] as? String == "epoch_changed")

            // Long-poll: 410 epoch_changed; with the new epoch, the page, which names it.
            let stale = try await client.call(.get, "/api/changes?since=\(resumeAt)&epoch=\(old.epoch)", token: owner.access)
            #expect(stale.status == .gone && stale.error == "epoch_changed")
            let current = try await client.call(.get, "/api/changes?since=\(resumeAt)&epoch=\(outcome.epoch)", token: owner.access)
            #expect(current.status == .ok && current.json["epoch"] as? String == outcome.epoch)
            // The old client's own sequence is beyond the restored head: since_too_old even without an epoch.
            let beyond = try await client.call(.get, "/api/changes?since=\(old.since)", token: owner.access)
            #expect(beyond.status == .gone && beyond.error == "since_too_old")
        }
        await again.app.environment.close()
        try? FileManager.default.removeItem(atPath: server.folder)
    }
}

/// What the first server's client saw, carried to the second half of the test.
private actor Seen {
    struct Value: Sendable {
        var epoch = "", since = 0, backup = "", backupHead = 0
    }

    private(set) var value = Value()

    func set(epoch: String, since: Int, backup: String, backupHead: Int) {
        value = Value(epoch: epoch, since: since, backup: backup, backupHead: backupHead)
    }
}
