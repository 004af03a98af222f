import Bot
import Foundation
import Shop
import Store
import Telegram
import Testing

/// `/meusdados` (a person's own data) and the owner's `/user novo` and `/user <who> apagar`.
@Suite("People commands", .serialized, .timeLimit(.minutes(3))) struct PeopleBotTests {
    @Test func meusdadosSummarisesWhatTheShopKeepsAndCarriesTheWholeExport() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let diego = try demo.user(DemoShop.userTelegramId)
        var sales = 0
        var cursor: PageCursor?
        repeat {
            let page = try demo.shop.sales(buyerId: diego.id, page: PageRequest(limit: 200, cursor: cursor), as: .system())
            sales += page.items.count
            cursor = page.next
        } while cursor != nil
        #expect(sales > 0)
        let mine = try await demo.say("/meusdados", from: DemoShop.userTelegramId)
        #expect(mine.failure == nil, "\(mine.text)")
        #expect(mine.text.contains("Seus dados na loja") && mine.text.contains(diego.publicId) && mine.text.contains("vendas: \(sales)"), "\(mine.text)")
        let export = try #require(try mine.json()["export"] as? [String: Any])
        #expect((export["user"] as? [String: Any])?["id"] as? String == diego.publicId)
        #expect((export["sales"] as? [[String: Any]])?.count == sales)
        #expect(export["sessions"] is [[String: Any]] && export["audit"] is [[String: Any]])
        let english = try await demo.say("/meusdados", from: DemoShop.englishUserTelegramId, language: .en)
        #expect(english.text.contains("Your data in the shop"), "\(english.text)")
        await demo.discard()
    }

    @Test func theOwnerRecordsSomeoneNewAndErasesACustomerFromTheChat() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let created = try await demo.say("/user novo 5555 admin Carla Dias", from: DemoShop.ownerTelegramId)
        #expect(created.failure == nil && created.text.contains("Carla Dias"), "\(created.text)")
        #expect(try demo.user(5_555).role == .admin)
        let duplicate = try await demo.say("/user novo 5555 user Outra", from: DemoShop.ownerTelegramId)
        #expect(duplicate.failure?.code == .alreadyExists)
        let byAdmin = try await demo.say("/user novo 6666 user Zé", from: DemoShop.adminTelegramId)
        #expect(byAdmin.failure?.code == .forbidden)
        let usage = try await demo.say("/user novo abc admin", from: DemoShop.ownerTelegramId)
        #expect(usage.failure != nil && usage.text.contains("/user novo"), "\(usage.text)")

        let diego = try demo.user(DemoShop.userTelegramId)
        let debt = try demo.shop.debt(of: diego.id, as: .system()).amount
        let erased = try await demo.say("/user @diegof apagar", from: DemoShop.ownerTelegramId)
        #expect(erased.failure == nil && erased.text.contains("apagados"), "\(erased.text)")
        let after = try demo.shop.user(diego.id, as: .system()).value
        #expect(after.isErased && after.name == "Erased customer \(diego.publicId)")
        #expect(try demo.shop.debt(of: diego.id, as: .system()).amount == debt, "the books keep what he owes")
        let anAdmin = try await demo.say("/user @brunocarvalho apagar", from: DemoShop.ownerTelegramId)
        #expect(anAdmin.failure?.code == .ruleBroken)
        await demo.discard()
    }

    @Test func anErasureDropsWhatTheBotStillHoldsForThePerson() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let diego = try demo.user(DemoShop.userTelegramId)
        let outbox = try await Outbox.open(demo.environment)
        outbox.forgetErasedPeople(of: demo.shop)
        _ = try await outbox.enqueue(SendMessage(chatId: DemoShop.userTelegramId, text: "Olá, Diego Ferreira"))
        _ = try await outbox.enqueue(SendMessage(chatId: DemoShop.adminTelegramId, text: "Diego Ferreira (@diegof) pagou"))
        // An order half put together in the chat: a dialogue kept under his id.
        let cart = try await demo.say("/pedido", from: DemoShop.userTelegramId)
        #expect(cart.failure == nil, "\(cart.text)")
        #expect(try await demo.conversation.dialogues.current(diego.id) != .none)

        let erased = try await demo.say("/user @diegof apagar", from: DemoShop.ownerTelegramId)
        #expect(erased.failure == nil, "\(erased.text)")
        let pending = try outbox.pending()
        #expect(!pending.contains { $0.entry.chatId == DemoShop.userTelegramId }, "nothing left for his chat")
        let toAdmin = try #require(pending.first { $0.entry.chatId == DemoShop.adminTelegramId })
        let text = String(decoding: toAdmin.entry.payload, as: UTF8.self)
        #expect(!text.contains("Diego Ferreira") && !text.contains("diegof") && text.contains("pagou"), "\(text)")
        #expect(try await demo.conversation.dialogues.current(diego.id) == .none)
        for trace in ["Diego Ferreira", "diegof", String(DemoShop.userTelegramId)] {
            #expect(try await demo.environment.databases(containing: Array(trace.utf8)) == [], "\(trace) survives")
        }
        await demo.discard()
    }
}
