import Bot
import Foundation
import Shop
import Store
import Telegram
import Testing

/// `/verificar o1 o2 o3` and `/user u2 u3 bloquear`: an admin verifies several orders, an owner
/// changes several users, in one message, over the stand-in Telegram Bot API; each item is its own
/// command, and the one reply names every outcome.
@Suite("Bulk work from the bot", .serialized, .timeLimit(.minutes(3))) struct BulkVerifyBotTests {
    /// Sends `text` as `user` and returns the bot's answer: the first message to their chat after
    /// it that is not a notice (🔔; the orders' notices reach the admins meanwhile).
    static func answer(_ live: LiveBot, _ text: String, as user: TelegramUser) async throws -> SendMessage {
        let before = live.sent(to: user.id).count
        live.telegram.pushMessage(text, from: user)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let reply = live.sent(to: user.id).dropFirst(before).first(where: { !$0.text.hasPrefix("🔔") }) { return reply }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("no answer to \(text) within 30 s")
        throw CancellationError()
    }

    @Test func verificarWithSeveralIdsVerifiesEachAndReportsEveryOutcome() async throws {
        try await LiveBot.run { live, _, _ in
            let shop = live.demo.shop
            let diego = try live.demo.user(DemoShop.userTelegramId)
            let coxinha = try live.demo.product(named: "Coxinha")
            let customer = Principal.user(diego.id, via: .bot)
            var orders: [Order] = []
            for n in 0..<3 {
                let placed = try await shop.run(PlaceOrder(items: [LineItem(productId: coxinha.key, quantity: 1)]), as: customer)
                orders.append(try await shop.run(SubmitReceipt(orderId: placed.value.id, mediaId: "m-bot-\(n)"), as: customer).value)
            }
            // The second is verified and fulfilled already: verifying it again is refused, alone.
            _ = try await shop.run(VerifyOrder(orderId: orders[1].id), as: .system())
            _ = try await shop.run(FulfilOrder(orderId: orders[1].id), as: .system())
            let ids = orders.map(\.publicId)

            // A customer may not.
            let byCustomer = try await Self.answer(live, "/verificar \(ids.joined(separator: " "))", as: LiveBot.user)
            #expect(byCustomer.text.contains("⚠️"), "\(byCustomer.text)")
            #expect(try shop.order(orders[0].id, as: .system()).value.state == .receiptSubmitted)

            let reply = try await Self.answer(live, "/verificar \(ids[0]) \(ids[1]) \(ids[2]) o999", as: LiveBot.admin)
            let lines = reply.text.split(separator: "\n").map(String.init)
            #expect(lines.count == 5, "\(reply.text)")
            #expect(lines.first == "✅ Pedido \(ids[0]) verificado.", "\(reply.text)")
            #expect(lines.count > 3 && lines[1].hasPrefix("⚠️ Pedido \(ids[1]):") && lines[1].contains("Não dá nesse estado"), "\(reply.text)")
            #expect(lines.count > 3 && lines[2] == "✅ Pedido \(ids[2]) verificado.", "\(reply.text)")
            #expect(lines.count > 3 && lines[3].hasPrefix("⚠️ Pedido o999:") && lines[3].contains("Não encontrei"), "\(reply.text)")
            #expect(lines.last == "2 de 4 pedidos verificados.", "\(reply.text)")

            // Each applied in full or not at all.
            #expect(try shop.order(orders[0].id, as: .system()).value.state == .verified)
            #expect(try shop.order(orders[1].id, as: .system()).value.state == .fulfilled)
            #expect(try shop.order(orders[2].id, as: .system()).value.state == .verified)
            // Each verified customer is told, as for a single /verificar.
            for id in [ids[0], ids[2]] { _ = try await live.waitForMessage(to: LiveBot.user.id, containing: "Pedido \(id) confirmado") }

            // A word that is not an order refuses the whole message before anything runs.
            let more = try await shop.run(PlaceOrder(items: [LineItem(productId: coxinha.key, quantity: 1)]), as: customer).value
            _ = try await shop.run(SubmitReceipt(orderId: more.id, mediaId: "m-bot-9"), as: customer)
            let bad = try await Self.answer(live, "/verificar \(more.publicId) coxinha", as: LiveBot.admin)
            #expect(bad.text.contains("Diga qual pedido"), "\(bad.text)")
            #expect(try shop.order(more.id, as: .system()).value.state == .receiptSubmitted)
            // More than one message's worth is refused whole.
            let tooMany = try await Self.answer(live, "/verificar " + (1...21).map { "o\($0 + 500)" }.joined(separator: " "), as: LiveBot.admin)
            #expect(tooMany.text.contains("No máximo 20 pedidos"), "\(tooMany.text)")
            // Commas separate ids too, and an id written twice is verified once.
            let twice = try await Self.answer(live, "/verificar \(more.publicId), \(more.publicId)", as: LiveBot.admin)
            #expect(twice.text == "✅ Pedido \(more.publicId) verificado.\n1 de 1 pedidos verificados.", "\(twice.text)")
        }
    }

    @Test func userWithSeveralIdsChangesEachAndReportsEveryOutcome() async throws {
        try await LiveBot.run { live, _, _ in
            let shop = live.demo.shop
            let owner = try live.demo.user(DemoShop.ownerTelegramId)
            let diego = try live.demo.user(DemoShop.userTelegramId)
            let rafael = try live.demo.user(DemoShop.englishUserTelegramId)

            // An admin may not.
            let byAdmin = try await BulkVerifyBotTests.answer(live, "/user \(diego.publicId) \(rafael.publicId) bloquear", as: LiveBot.admin)
            #expect(byAdmin.text.contains("⚠️"), "\(byAdmin.text)")
            #expect(try !shop.user(diego.id, as: .system()).value.blocked)

            // A user not found refuses the whole message before anything runs.
            let unknown = try await BulkVerifyBotTests.answer(live, "/user \(diego.publicId) u99999 bloquear", as: LiveBot.owner)
            #expect(unknown.text.contains("Não encontrei \"u99999\""), "\(unknown.text)")
            #expect(try !shop.user(diego.id, as: .system()).value.blocked)

            // The owner blocking themself is refused, alone; the others are blocked, each once.
            let reply = try await BulkVerifyBotTests.answer(
                live, "/user \(diego.publicId) \(owner.publicId) \(rafael.publicId) \(diego.publicId) bloquear", as: LiveBot.owner)
            let lines = reply.text.split(separator: "\n").map(String.init)
            #expect(lines.count == 4, "\(reply.text)")
            #expect(lines.first == "✅ \(diego.name) bloqueado.", "\(reply.text)")
            #expect(lines.count == 4 && lines[1].hasPrefix("⚠️ \(owner.publicId):"), "\(reply.text)")
            #expect(lines.count == 4 && lines[2] == "✅ \(rafael.name) bloqueado.", "\(reply.text)")
            #expect(lines.last == "2 de 3 usuários alterados.", "\(reply.text)")
            #expect(try shop.user(diego.id, as: .system()).value.blocked)
            #expect(try shop.user(rafael.id, as: .system()).value.blocked)
            #expect(try !shop.user(owner.id, as: .system()).value.blocked)

            // A role for several; a word that is not an action refuses the whole message.
            let bad = try await BulkVerifyBotTests.answer(live, "/user \(diego.publicId) \(rafael.publicId) chefe", as: LiveBot.owner)
            #expect(bad.text.contains("Use user, admin, owner"), "\(bad.text)")
            let promoted = try await BulkVerifyBotTests.answer(live, "/user \(diego.publicId) \(rafael.publicId) admin", as: LiveBot.owner)
            #expect(promoted.text.hasSuffix("2 de 2 usuários alterados."), "\(promoted.text)")
            #expect(try shop.user(diego.id, as: .system()).value.role == .admin)
            #expect(try shop.user(rafael.id, as: .system()).value.role == .admin)
            // A name of several words still names one user.
            let one = try await BulkVerifyBotTests.answer(live, "/user \(diego.name) desbloquear", as: LiveBot.owner)
            #expect(one.text == "✅ \(diego.name) desbloqueado.", "\(one.text)")
        }
    }
}
