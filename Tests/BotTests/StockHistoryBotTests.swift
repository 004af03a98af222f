import Bot
import Foundation
import Shop
import Telegram
import Testing

/// `/estoque <produto>` over Telegram (the stand-in Bot API): the product's level and its latest
/// movements, newest first, for admins only.
@Suite("Stock history in the chat", .timeLimit(.minutes(2))) struct StockHistoryBotTests {
    @Test func anAdminSeesTheLatestMovementsAndTheLevelAUserIsRefused() async throws {
        try await LiveBot.run { live, _, _ in
            let admin = try live.demo.user(DemoShop.adminTelegramId)
            let diego = try live.demo.user(DemoShop.userTelegramId)
            // A threshold of 1 so that no low-stock alert comes between a line and its reply.
            let pamonha = try await live.demo.shop.execute(CreateProduct(name: "Pamonha", price: 800, stock: 5, lowStockThreshold: 1),
                                                           as: try live.demo.principal(DemoShop.adminTelegramId))
            let restocked = try await live.say("/estoque pamonha +10", as: LiveBot.admin)
            #expect(restocked.text.contains("Pamonha: estoque agora 15"), "\(restocked.text)")
            let sale = try await live.demo.shop.execute(Buy(buyerId: diego.id, items: [.init(productId: pamonha.id, quantity: 2)]),
                                                        as: try live.demo.principal(DemoShop.adminTelegramId))

            for line in ["/estoque pamonha", "/estoque \(pamonha.publicId)"] {
                let reply = try await live.say(line, as: LiveBot.admin)
                let text = reply.text
                #expect(reply.parseMode == "HTML")
                #expect(text.contains("<b>Pamonha</b>: estoque 13 (mínimo 1)"), "\(line): \(text)")
                #expect(text.contains("<b>Últimas movimentações</b>"), "\(line): \(text)")
                let lines = text.split(separator: "\n").map(String.init)
                let movements = lines.filter { $0.contains(" → ") }
                #expect(movements.count == 3, "\(line): \(text)")
                guard movements.count == 3 else { continue }
                #expect(movements[0].contains("venda -2 → 13 · \(admin.name) (\(sale.publicId))"), "\(movements[0])")
                #expect(movements[1].contains("reposição +10 → 15 · \(admin.name) · “bot”"), "\(movements[1])")
                #expect(movements[2].contains("inicial +5 → 5 · \(admin.name)"), "\(movements[2])")
                #expect(reply.replyMarkup?.inlineKeyboard.flatMap { $0 }.contains { $0.callbackData == "/estoque \(pamonha.publicId) +10" } == true)
            }

            // A long note is cut, so ten of them stay inside one Telegram message.
            try await live.demo.shop.execute(AdjustStock(productId: pamonha.id, delta: 1, reason: .return, note: String(repeating: "a", count: 300)),
                                             as: try live.demo.principal(DemoShop.adminTelegramId))
            let long = try await live.say("/estoque pamonha", as: LiveBot.admin)
            let newest = try #require(long.text.split(separator: "\n").first { $0.contains(" → ") })
            #expect(newest.contains("devolução +1 → 14 · \(admin.name) · “\(String(repeating: "a", count: 79))…”"), "\(newest)")
            #expect(!long.text.contains(String(repeating: "a", count: 80)))

            let refused = try await live.say("/estoque pamonha", as: LiveBot.user)
            #expect(refused.text.contains("só para administradores"), "\(refused.text)")
            #expect(!refused.text.contains("→"))
            let unknown = try await live.say("/estoque abacaxi voador", as: LiveBot.admin)
            #expect(unknown.text.contains("Não encontrei o produto \"abacaxi voador\""), "\(unknown.text)")
            // Reading moved nothing: the level is still 14.
            #expect(try live.demo.shop.product(pamonha.id, as: .system()).value.stock == 14)
        }
    }
}
