import Foundation
import Store
import Testing
@testable import Shop

/// Notices keep what happened (kind and parameters); the catalogue words them in each language.
@Suite(.timeLimit(.minutes(3))) struct NoticeWordingTests {
    /// The `{name}`s a template uses.
    static func placeholders(_ template: String) -> Set<String> {
        Set(template.matches(of: /\{(\w+)\}/).map { String($0.output.1) })
    }

    @Test func everyKindHasWordsInEveryLanguageUsingTheSameParameters() {
        for kind in NoticeKind.allCases {
            let words = Language.allCases.compactMap { language in NoticeCatalogue.templates(kind.rawValue, language) }
            #expect(words.count == Language.allCases.count, "\(kind.rawValue) has words in \(words.count) of \(Language.allCases.count) languages")
            #expect(words.allSatisfy { !$0.title.isEmpty }, "\(kind.rawValue) has an empty title")
            let used = Set(words.map { Self.placeholders($0.title + " " + $0.body) })
            #expect(used.count <= 1, "\(kind.rawValue)'s languages fill different parameters: \(used)")
        }
        #expect(NoticeCatalogue.templates("order_update", .en) == nil, "a retired kind has no words: its records carry their own")
    }

    @Test func anEmptyValueLeavesNoGapAndAValueIsNotReadAsATemplate() {
        #expect(NoticeCatalogue.fill("Low stock: {emoji} {product}", ["emoji": "", "product": "Kibe"]) == "Low stock: Kibe")
        #expect(NoticeCatalogue.fill("{name} declined. {reason}", ["name": "Ana"]) == "Ana declined.")
        #expect(NoticeCatalogue.fill("{name} declined. {reason}", ["name": "Ana", "reason": "Caro demais"]) == "Ana declined. Caro demais")
        #expect(NoticeCatalogue.fill("{title}", ["title": "Promo {hoje}"]) == "Promo {hoje}")
    }

    @Test func aNoticeSaysWhatWasTrueWhenItHappenedAfterTheProductChanges() async throws {
        let t = try await TestShop.make()
        let coxinha = try await t.product("Coxinha", stock: 10, threshold: 2)
        try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: coxinha.id, quantity: 8)]), as: t.asAdmin)
        // Renamed and restocked after the alert was written.
        try await t.shop.execute(UpdateProduct(productId: coxinha.id, name: "Coxinha de frango"), as: t.asAdmin)
        try await t.shop.execute(Restock(productId: coxinha.id, quantity: 50), as: t.asAdmin)
        let alert = try #require(try t.shop.notifications(as: t.asAdmin).page.items.first { $0.value.kind == "low_stock" }?.value)
        #expect(alert.words(in: .en) == NoticeWords("Low stock: 🥟 Coxinha", "2 left (threshold 2)."))
        #expect(alert.words(in: .pt) == NoticeWords("Estoque baixo: 🥟 Coxinha", "Restam 2 (limite 2)."))
        let view = NotificationView(alert, version: 1, language: .en)
        #expect(view.title == "Low stock: 🥟 Coxinha" && view.params?["stock"] == "2" && view.kind == "low_stock")
        await t.discard()
    }

    @Test func aNoticeStoredBeforeParametersStillReadsAndShowsItsWords() async throws {
        // The first format, field by field, as an older Tenda wrote it: finished Portuguese words, no parameters.
        var w = BinaryWriter()
        w.write(UInt64(41)); w.write(UInt64(3)); w.write(Role?.none); w.write("order_update"); w.write(Notice.Priority.high)
        w.write("Pedido o7 recusado"); w.write("Comprovante ilegível"); w.write(String?.some("orders/o7")); w.write(false)
        w.write(Date(microsecondsSince1970: 1_790_000_000_000_000))
        let old = try Notice(binary: w.bytes)
        #expect(old.params == nil && old.kind == "order_update" && old.title == "Pedido o7 recusado" && old.link == "orders/o7")
        #expect(old.binaryEncoded() == w.bytes, "rewriting an old record (marking it read) keeps its format")
        #expect(old.words(in: .en) == NoticeWords("Pedido o7 recusado", "Comprovante ilegível"))

        // Kept in a real store and read back through the shop's query, as the list route reads it.
        let t = try await TestShop.make()
        var mine = old
        mine.userId = t.ana.id
        let stored = mine
        try await t.environment.write { txn in _ = try t.shop.collections.notifications.put(txn, stored.id, stored) }
        let read = try #require(try t.shop.notifications(as: t.asAna).page.items.first { $0.key == 41 })
        #expect(read.value == stored)
        let view = NotificationView(read.value, version: read.version, language: .en)
        #expect(view.title == "Pedido o7 recusado" && view.body == "Comprovante ilegível" && view.params == nil)
        // A stored low_stock notice of the first format keeps its words too, though its kind has a template.
        var lowStock = stored
        lowStock.kind = "low_stock"
        #expect(lowStock.words(in: .en) == NoticeWords("Pedido o7 recusado", "Comprovante ilegível"))
        await t.discard()
    }

    @Test func everyNoticeTheShopWritesIsFilledInBothLanguages() async throws {
        let t = try await TestShop.make()
        let coxinha = try await t.product("Coxinha", stock: 10, threshold: 2)
        let bolo = try await t.product("Bolo", stock: 100, threshold: 0)
        let sold = try await t.shop.execute(Buy(buyerId: t.ana.id, items: [.init(productId: coxinha.id, quantity: 8)]), as: t.asAdmin)
        try await t.shop.execute(Refund(saleId: sold.id, items: [.init(productId: coxinha.id, quantity: 1)], restock: false, note: "Fria"), as: t.asAdmin)
        try await t.shop.execute(RecordPayment(userId: t.ana.id, amount: 500), as: t.asAdmin)
        try await t.shop.execute(SendDebtReminder(userId: t.ana.id), as: t.asAdmin)
        try await t.shop.execute(Notify(recipient: .role(.user), title: "Fechado amanhã", body: "Feriado"), as: t.asAdmin)
        let line = [LineItem(productId: bolo.id, quantity: 1)]
        let delivered = try await t.shop.execute(PlaceOrder(items: line), as: t.asAna)
        try await t.shop.execute(SubmitReceipt(orderId: delivered.id, mediaId: "m1"), as: t.asAna)
        try await t.shop.execute(VerifyOrder(orderId: delivered.id), as: t.asAdmin)
        try await t.shop.execute(FulfilOrder(orderId: delivered.id), as: t.asAdmin)
        let rejected = try await t.shop.execute(PlaceOrder(items: line), as: t.asAna)
        try await t.shop.execute(SubmitReceipt(orderId: rejected.id, mediaId: "m2"), as: t.asAna)
        try await t.shop.execute(RejectOrder(orderId: rejected.id, reason: "Comprovante ilegível"), as: t.asAdmin)
        try await t.shop.execute(CancelOrder(orderId: try await t.shop.execute(PlaceOrder(items: line), as: t.asAna).id), as: t.asAna)
        try await t.shop.execute(CancelOrder(orderId: try await t.shop.execute(PlaceOrder(items: line), as: t.asAna).id, reason: "Sem entrega hoje"),
                                 as: t.asAdmin)
        func contract(_ title: String) async throws -> Contract {
            try await t.shop.execute(CreateContract(title: title, terms: "…", amount: 9_000,
                                                    parties: [.init(userId: t.ana.id, part: "metade"), .init(userId: t.bruno.id, part: "metade")],
                                                    requiredConfirmations: 2), as: t.asOwner)
        }
        let completed = try await contract("Rateio do forno")
        try await t.shop.execute(ConfirmContract(contractId: completed.id), as: t.asAna)
        try await t.shop.execute(ConfirmContract(contractId: completed.id), as: t.asBruno)
        try await t.shop.execute(CompleteContract(contractId: completed.id), as: t.asOwner)
        try await t.shop.execute(DeclineContract(contractId: try await contract("Rateio da geladeira").id), as: t.asAna)
        try await t.shop.execute(CancelContract(contractId: try await contract("Rateio do micro-ondas").id, reason: "Desistimos"), as: t.asOwner)
        try await t.shop.execute(GrantRole(userId: t.bruno.id, role: .admin), as: t.asOwner)

        var notices: [Notice] = []
        for reader in [t.asOwner, t.asAdmin, t.asAna, t.asBruno] {
            notices += try t.shop.notifications(page: PageRequest(limit: 200), as: reader).page.items.map(\.value)
        }
        for notice in notices {
            let params = try #require(notice.params, "\(notice.kind) was written without parameters")
            #expect(notice.title.isEmpty && notice.body.isEmpty, "\(notice.kind) was written with finished words")
            for language in Language.allCases {
                let templates = try #require(NoticeCatalogue.templates(notice.kind, language))
                let missing = Self.placeholders(templates.title + " " + templates.body).subtracting(params.keys)
                #expect(missing.isEmpty, "\(notice.kind) in \(language) needs \(missing.sorted()), the notice has \(params.keys.sorted())")
            }
        }
        let unseen = Set(NoticeKind.allCases.map(\.rawValue)).subtracting(notices.map(\.kind))
        #expect(unseen.isEmpty, "kinds this scenario did not write (add them to it): \(unseen.sorted())")

        let declined = try #require(notices.first { $0.kind == "contract_declined" && $0.userId == t.bruno.id })
        #expect(declined.words(in: .en) == NoticeWords("Contract declined: Rateio da geladeira", "Ana Souza declined."))
        let confirmed = try #require(notices.first { $0.kind == "contract_confirmed" && $0.userId == t.bruno.id })
        #expect(confirmed.words(in: .pt) == NoticeWords("Ana Souza confirmou: Rateio do forno", "1 de 2 confirmações."))
        let payment = try #require(notices.first { $0.kind == "payment_recorded" && $0.params?["method"] == "pix" })
        #expect(payment.words(in: .en) == NoticeWords("Payment recorded", "We received R$ 5,00 (pix)."))
        let refund = try #require(notices.first { $0.kind == "sale_refunded" })
        #expect(refund.words(in: .pt) == NoticeWords("Estorno da venda \(sold.publicId)", "Estornamos 1× Coxinha: R$ 6,50. Fria"))
        #expect(refund.words(in: .en) == NoticeWords("Refund of sale \(sold.publicId)", "We refunded 1× Coxinha: R$ 6,50. Fria"))
        let broadcast = try #require(notices.first { $0.kind == "broadcast" })
        #expect(broadcast.words(in: .en) == NoticeWords("Fechado amanhã", "Feriado"), "what an admin wrote stays as written")
        await t.discard()
    }
}
