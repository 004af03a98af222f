import Bot
import Foundation
import Shop
import Store
import Telegram
import Testing

/// The change feed that clients replay and the hub fans out carries the shop's changes and
/// nothing of the bot's bookkeeping (its outbox, dialogues and notifier position).
@Suite("The feed carries the shop only", .timeLimit(.minutes(3))) struct ShopOnlyFeedTests {
    @Test func aThousandChatMessagesMoveTheFeedOnlyByTheShopsOwnChanges() async throws {
        try await LiveBot.run { live, _, _ in
            let shop = live.demo.shop
            // Start-up is done (the menus sent) and each person has written once, so that the
            // shop knows them as Telegram names them: from here on, only what they ask writes.
            _ = try await live.telegram.waitFor("setMyCommands", count: 5)
            for person in [LiveBot.owner, LiveBot.admin, LiveBot.user] { _ = try await live.say("/start", as: person) }
            let coxinha = try live.demo.product(named: "Coxinha").value

            // Lines that only read the shop, or only touch the bot's own dialogue (a cart).
            let reading: [(line: String, from: TelegramUser)] = [
                ("/estoque", LiveBot.admin),
                ("/lista_produtos", LiveBot.user),
                ("/pedido + 1 coxinha", LiveBot.user),
                ("/dividas", LiveBot.user),
                ("/pedidos", LiveBot.admin),
                ("/pedido cancelar", LiveBot.user),
                ("/relatorios", LiveBot.owner),
                ("/commands", LiveBot.user),
            ]
            // Forty rounds of twenty-four reading lines, sent together as from busy chats, and one restock.
            var restocks = 0
            for _ in 0..<40 {
                let before = shop.feedHead
                let batch = (0..<24).map { reading[$0 % reading.count] }
                let expected = Dictionary(grouping: batch, by: { $0.from.id }).mapValues { $0.count }
                let sentBefore = Dictionary(uniqueKeysWithValues: expected.keys.map { ($0, live.sent(to: $0).count) })
                for (line, person) in batch { live.telegram.pushMessage(line, from: person) }
                for (chat, count) in expected { _ = try await live.waitForMessages(to: chat, count: sentBefore[chat]! + count) }
                let replies = expected.keys.flatMap { live.sent(to: $0).dropFirst(sentBefore[$0]!).map(\.text) }
                #expect(!replies.contains { $0.contains("Algo deu errado") }, "\(replies)")
                let written = try shop.changes(after: before, limit: 1_000).map(\.collection)
                #expect(shop.feedHead == before, "24 reading lines moved the feed by \(shop.feedHead - before): \(written)")

                // A line that runs a shop command: the feed moves by exactly what the command wrote.
                let beforeRestock = shop.feedHead
                let reply = try await live.say("/estoque \(coxinha.publicId) +1", as: LiveBot.admin)
                #expect(reply.text.contains("✅"), "\(reply.text)")
                restocks += 1
                let restock = try shop.changes(after: beforeRestock, limit: 1_000)
                #expect(!restock.isEmpty && UInt64(restock.count) == shop.feedHead - beforeRestock)
                #expect(Set(restock.map(\.transactionId)).count == 1, "one command, one write")
                #expect(restock.allSatisfy { $0.metadata["command"] == Restock.name }, "\(restock.map(\.collection))")
            }
            #expect(try live.demo.product(named: "Coxinha").value.stock == coxinha.stock + Int64(restocks))
            // The bot's bookkeeping was written all along, just not to the feed: every reply went
            // out through the outbox, which is empty again.
            #expect(live.telegram.answered("sendMessage").count >= 1_003, "a reply to each of the thousand lines, and to the three first ones")
            try await waitUntil("the outbox to empty", seeing: { try live.bot.outbox.count() }) { $0 == 0 }
        }
    }
}
