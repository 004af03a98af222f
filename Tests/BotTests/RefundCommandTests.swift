import Bot
import Foundation
import Shop
import Store
import Telegram
import Testing

/// `/estornar`: an admin refunds a whole sale or some of its units from the chat, confirming
/// first; the shop's rules (never more than was sold, admins only) answer in the chat's words.
@Suite("Refund command", .serialized, .timeLimit(.minutes(3))) struct RefundCommandTests {
    @Test func estornarAsksThenRefundsOnceAndNeverMoreThanWasSold() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let coxinha = try demo.product(named: "Coxinha")
        let diego = try demo.user(DemoShop.userTelegramId)
        let bought = try await demo.say("/buy 3 coxinha @diegof ok", from: DemoShop.adminTelegramId)
        let s = try #require(try bought.json()["saleId"] as? String)
        let stock = { try demo.product(named: "Coxinha").value.stock }
        let debt = { try demo.shop.debt(of: diego.id, as: .system()).amount }
        let (stockAfterSale, debtAfterSale) = (try stock(), try debt())
        #expect(stockAfterSale == coxinha.value.stock - 3)

        // A customer may not, whatever they type.
        let byCustomer = try await demo.say("/estornar \(s) ok", from: DemoShop.userTelegramId)
        #expect(byCustomer.failure?.code == .forbidden && byCustomer.text.contains("só para"))

        // The whole sale, asked first: nothing moves before the tap.
        let whole = try await demo.say("/estornar \(s)", from: DemoShop.adminTelegramId)
        #expect(whole.failure == nil, "\(whole.text)")
        #expect(whole.buttonLines.first == "/estornar \(s) ok")
        #expect(whole.text.contains("3× Coxinha") && whole.text.contains("Estornar"))
        #expect(try whole.json()["amount"] as? Int == Int(3 * coxinha.value.price))

        // One unit, not back to stock: the button carries the product's id.
        let one = try await demo.say("/estornar \(s) 1 coxinha sem-estoque", from: DemoShop.adminTelegramId)
        let confirm = "/estornar \(s) 1 \(coxinha.value.publicId) sem-estoque ok"
        #expect(one.buttonLines.first == confirm, "\(one.buttonLines)")
        #expect(try stock() == stockAfterSale && (try debt()) == debtAfterSale, "nothing is refunded before confirming")

        let done = try await demo.say(confirm, from: DemoShop.adminTelegramId, key: "callback-1")
        let again = try await demo.say(confirm, from: DemoShop.adminTelegramId, key: "callback-1")
        #expect(done.failure == nil && again.failure == nil, "\(done.text) / \(again.text)")
        #expect(try (done.json()["sale"] as? [String: Any])?["refundedQuantities"] as? [Int] == [1])
        #expect(try (again.json()["sale"] as? [String: Any])?["refundedQuantities"] as? [Int] == [1], "a double tap refunds once")
        #expect(try stock() == stockAfterSale, "sem-estoque keeps the unit out of stock")
        #expect(try debt() == debtAfterSale - coxinha.value.price)
        #expect(done.text.contains("Estorno da venda \(s)") && done.text.contains("R$"))

        // More than is left is refused, before asking and when forced.
        let tooMany = try await demo.say("/estornar \(s) 3 coxinha", from: DemoShop.adminTelegramId)
        #expect(tooMany.failure?.code == .ruleBroken && tooMany.keyboard.isEmpty, "\(tooMany.text)")
        let forced = try await demo.say("/estornar \(s) 3 coxinha ok", from: DemoShop.adminTelegramId)
        #expect(forced.failure?.code == .ruleBroken && forced.failure?.field == "items[0].quantity")

        // The rest, back to stock.
        let rest = try await demo.say("/estornar \(s) ok", from: DemoShop.adminTelegramId)
        #expect(rest.failure == nil, "\(rest.text)")
        #expect(try (rest.json()["refunded"] as? [[String: Any]])?.first?["quantity"] as? Int == 2)
        #expect(try stock() == stockAfterSale + 2)
        #expect(try debt() == debtAfterSale - 3 * coxinha.value.price)
        let nothingLeft = try await demo.say("/estornar \(s)", from: DemoShop.adminTelegramId)
        #expect(nothingLeft.failure?.code == .ruleBroken)

        // Diego hears of each refund, in the catalogue's words.
        let notices = try demo.shop.notifications(page: PageRequest(limit: 50), as: try demo.principal(DemoShop.userTelegramId)).page.items
        #expect(notices.filter { $0.value.kind == "sale_refunded" && $0.value.params?["sale"] == s }.count == 2)
    }

    /// In the chat, with the bot running against the stand-in Telegram: the admin taps the
    /// confirmation, the message turns into the refund, and the buyer gets their notice.
    @Test func aRefundConfirmedInTheChatTellsTheBuyerInTelegram() async throws {
        try await LiveBot.run { live, _, _ in
            let coxinha = try live.demo.product(named: "Coxinha")
            _ = try await live.say("/buy 2 coxinha @diegof ok", as: LiveBot.admin)
            let sale = try #require(try live.demo.shop.sales(page: PageRequest(limit: 1), as: .system()).items.first?.value)
            #expect(sale.lines.map(\.quantity) == [2] && sale.lines.first?.productId == coxinha.key)
            let before = live.sent(to: LiveBot.user.id).count
            let prompt = try await live.say("/estornar \(sale.publicId) 1 coxinha", as: LiveBot.admin)
            let confirm = "/estornar \(sale.publicId) 1 \(coxinha.value.publicId) ok"
            #expect(prompt.replyMarkup?.inlineKeyboard.first?.first?.callbackData == confirm)
            live.telegram.pushCallback(confirm, from: LiveBot.admin)
            let edited = try await live.telegram.waitFor("editMessageText", count: 1)
            #expect(try edited[0].decode(EditMessageText.self).text.contains("Estorno da venda \(sale.publicId)"))
            let received = try await live.waitForMessages(to: LiveBot.user.id, count: before + 1)
            #expect(received.contains { $0.text.contains("Estorno da venda \(sale.publicId)") && $0.text.contains("1× Coxinha") },
                    "Diego was sent \(received.map(\.text))")
            #expect(try live.demo.shop.sale(sale.id, as: .system()).value.refundedQuantities == [1])
        }
    }

    @Test func estornarExplainsMistakesAndRefusesHugeQuantities() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let bought = try await demo.say("/buy 2 coxinha @diegof ok", from: DemoShop.adminTelegramId)
        let s = try #require(try bought.json()["saleId"] as? String)
        let before = demo.shop.feedHead
        for line in ["/estornar", "/estornar coxinha", "/estornar \(s) coxinha", "/estornar \(s) 1 pastel de vento"] {
            let reply = try await demo.say(line, from: DemoShop.adminTelegramId)
            #expect(reply.failure?.code == .invalidInput, "\(line): \(reply.text)")
            #expect(reply.text.contains("/estornar") || reply.text.contains("não tem"), "\(line): \(reply.text)")
        }
        let unknown = try await demo.say("/estornar s99999999", from: DemoShop.adminTelegramId)
        #expect(unknown.failure?.code == .notFound, "\(unknown.text)")
        for line in ["/estornar \(s) 99999999999999999 coxinha", "/estornar \(s) 9223372036854775807 coxinha ok", "/estornar \(s) 10001 coxinha"] {
            let reply = try await demo.say(line, from: DemoShop.adminTelegramId)
            #expect(reply.failure?.code == .invalidInput, "\(line): \(reply.text)")
        }
        // Refusals are audited; nothing of the shop changed.
        #expect(try demo.shop.changes(after: before, limit: 1_000).allSatisfy { $0.collection == "audit" })
    }
}
