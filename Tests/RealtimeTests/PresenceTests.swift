import Foundation
import Realtime
import Shop
import Store
import Testing

@Suite(.timeLimit(.minutes(1)))
struct PresenceTests {
    /// The `online` list of a presence frame, as (user id, views) pairs.
    func online(_ frame: Frame) -> [(String, [String])] {
        (data(frame)["online"] as? [[String: Any]] ?? []).map { ($0["userId"] as? String ?? "", $0["views"] as? [String] ?? []) }
    }

    @Test func adminsSeeWhoIsOnlineAndWhatTheyViewAndUsersDoNot() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            let admin = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["presence"])
            let user = live.hub.subscribe(user: live.ana.id, role: .user, topics: ["presence", "inventory"])
            live.hub.setPresence(connectionId: "c1", userId: live.ana.id, role: .user, view: "products/p\(coxinha.id)")
            live.hub.setPresence(connectionId: "c2", userId: live.ana.id, role: .user, view: "orders")
            live.hub.setPresence(connectionId: "c3", userId: live.admin.id, role: .admin, view: nil)

            // Queued snapshots supersede each other: read until the full picture arrives.
            let frames = await read(admin) { frames in frames.last.map { (data($0)["online"] as? [Any])?.count == 2 } ?? false }
            guard let latest = frames.last else { return }
            #expect(json(latest)["topic"] as? String == "presence" && json(latest)["event"] as? String == "presence")
            let picture = online(latest)
            #expect(picture.map(\.0) == ["u\(live.admin.id)", "u\(live.ana.id)"])
            #expect(picture.last?.1 == ["orders", "products/p\(coxinha.id)"])

            live.hub.removePresence(connectionId: "c1")
            live.hub.removePresence(connectionId: "c2")
            let after = await read(admin, count: 1)
            #expect(after.first.map(online)?.map(\.0) == ["u\(live.admin.id)"])

            // A later admin gets the current picture at once.
            let late = live.hub.subscribe(user: live.owner.id, role: .owner, topics: ["presence"])
            let first = await read(late, count: 1)
            #expect(first.first.map(online)?.map(\.0) == ["u\(live.admin.id)"])

            // The user saw none of it: their first frame is the stock change that follows.
            try await live.shop.execute(Restock(productId: coxinha.id, quantity: 1), as: live.asAdmin)
            let userFrames = await read(user, count: 1)
            #expect(userFrames.map(\.name) == ["inventory_update"])
        }
    }
}
