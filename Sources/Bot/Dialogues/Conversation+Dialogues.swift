import Foundation
import Shop

/// Plain messages (not commands) continue the person's open dialogue: items for the cart,
/// the next answer while a product is being created.
extension Conversation {
    public func continueDialogue(_ text: String, principal: Principal, language l: Language) async -> Reply {
        await answering(principal, l, inputField: "text") { caller in
            guard let userId = caller.userId else { throw ShopError(.notAuthenticated, "who are you?") }
            switch try await dialogues.current(userId) {
            case .none:
                return Reply(text: l.pick("Não entendi. Veja o que posso fazer em /commands.", "I didn't get that. See what I can do with /commands."))
            case .expired:
                return Reply(text: l.pick("Nossa conversa anterior expirou depois de um tempo parada; comece de novo quando quiser.",
                                          "Our earlier conversation timed out; start again whenever you like."))
            case .open(let dialogue):
                switch dialogue.kind {
                case .order:
                    return await run(ChatRequest(command: "pedido", args: "+ " + text, principal: principal, language: l))
                case .receipt:
                    return Reply(text: l.pick("Estou esperando a <b>foto</b> do comprovante do pedido \(dialogue.fields["orderId"] ?? "").",
                                              "I am waiting for the <b>photo</b> of order \(dialogue.fields["orderId"] ?? "")'s receipt."))
                case .newProduct:
                    return try await productStep(dialogue, answer: text, caller, l)
                }
            }
        }
    }

    /// `/product` alone starts a guided creation: name, then price, then stock.
    func startProductDialogue(_ caller: Caller, _ l: Language) async throws -> Reply {
        guard let userId = caller.userId else { throw ShopError(.notAuthenticated, "who are you?") }
        try await dialogues.save(Dialogue(kind: .newProduct, step: "name", updatedAt: Date()), for: userId)
        return Reply(text: l.pick("Vamos criar um produto. Qual é o <b>nome</b>? (ou edite um existente com /product p3 preco 7,00)",
                                  "Let's create a product. What is its <b>name</b>? (or edit one with /product p3 price 7.00)"))
    }

    private func productStep(_ dialogue: Dialogue, answer: String, _ caller: Caller, _ l: Language) async throws -> Reply {
        guard let userId = caller.userId else { throw ShopError(.notAuthenticated, "who are you?") }
        let answer = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        var next = dialogue
        next.updatedAt = Date()
        switch dialogue.step {
        case "name":
            guard !answer.isEmpty else { throw UsageError(pt: "Diga um nome.", en: "Give it a name.") }
            next.fields["name"] = answer
            next.step = "price"
            try await dialogues.save(next, for: userId)
            return Reply(text: l.pick("Preço de <b>\(html(answer))</b>? (ex.: 6,50)", "Price of <b>\(html(answer))</b>? (e.g. 6.50)"))
        case "price":
            guard let price = Arguments.money(answer) else { throw UsageError(pt: "Não é um preço: \(html(answer)). Ex.: 6,50", en: "Not a price: \(html(answer)). E.g. 6.50") }
            next.fields["price"] = String(price)
            next.step = "stock"
            try await dialogues.save(next, for: userId)
            return Reply(text: l.pick("Quantas unidades há em estoque agora?", "How many are in stock now?"))
        default:
            guard let stock = Int64(answer), stock >= 0 else { throw UsageError(pt: "Diga um número inteiro, ex.: 20", en: "Give a whole number, e.g. 20") }
            let created = try await shop.run(CreateProduct(name: next.fields["name"] ?? "", price: Int64(next.fields["price"] ?? "") ?? 0, stock: stock),
                                                 as: caller.principal)
            try await dialogues.end(userId)
            return Reply(text: l.pick("✅ Produto criado: ", "✅ Product created: ") + productLine(created.value) + " (\(created.publicId))",
                         data: ReplyData(["product": ProductView(created)]))
        }
    }
}
