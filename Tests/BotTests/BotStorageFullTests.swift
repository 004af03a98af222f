import Bot
import Foundation
import Shop
import Store
import Telegram
import Testing

/// The bot over a store with no room left (its map at a small ceiling, filled by the test).
@Suite("Bot on a full store") struct BotStorageFullTests {
    @Test func aFullStoreGetsAPoliteReplyWhileLookingThingsUpGoesOn() async throws {
        try await LiveBot.run(store: { $0.maxMapSize = 16 << 20 }) { live, _, _ in
            // The start-up writes (menus) are done before the store fills.
            _ = try await live.telegram.waitFor("setMyCommands", count: 5)
            let environment = live.demo.shop.environment
            let filler = try await environment.collection("filler", key: UInt64Key.self, value: BytesCodec.self)
            var key: UInt64 = 0
            for size in [256 << 10, 16 << 10, 1 << 10] {
                while key < 10_000 {
                    key += 1
                    do {
                        try await environment.write { [key] txn in try filler.put(txn, key, [UInt8](repeating: 9, count: size)) }
                    } catch let error as StoreError where error.code == .storageFull {
                        break
                    }
                }
            }
            #expect(environment.storage.isFull)

            // Looking things up still answers.
            let list = try await live.say("/lista_produtos", as: LiveBot.user)
            #expect(list.text.contains("<b>Produtos</b>") && list.text.contains("estoque"), "\(list.text)")
            // A purchase is refused in words (sent directly: the outbox has no room either), and nothing is sold.
            let coxinha = try live.demo.product(named: "Coxinha")
            let diego = try live.demo.user(DemoShop.userTelegramId)
            let refused = try await live.say("/buy 2 \(coxinha.value.publicId) \(diego.publicId) ok", as: LiveBot.admin)
            #expect(refused.text.contains("armazenamento da loja está cheio"), "\(refused.text)")
            #expect(try live.demo.product(named: "Coxinha").value.stock == coxinha.value.stock)
            // Still full, so no write reached the disk: the replies went out without the outbox.
            #expect(environment.storage.isFull)
            // And the bot is still there for the next message.
            let again = try await live.say("/commands", as: LiveBot.user)
            #expect(!again.text.contains("Algo deu errado"), "\(again.text)")
        }
    }
}
