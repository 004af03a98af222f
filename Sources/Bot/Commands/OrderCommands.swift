import Foundation
import Shop

/// `/pedido`, `/pedidos`, `/verificar` and `/rejeitar`: customer orders paid by receipt.
///
/// `/pedido` keeps a cart in the user's dialogue: `/pedido + 2 coxinha` adds, `/pedido fim`
/// places the order and waits for the receipt photo; `/pedido 2 coxinha, 1 pastel` places it at once.
extension Conversation {
    func placeOrder(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        guard let userId = caller.userId else { throw ShopError(.notAuthenticated, "who are you?") }
        let args = request.args.trimmingCharacters(in: .whitespaces)
        let word = Arguments.words(args).first?.lowercased() ?? ""
        var cart = try await cart(of: userId)
        switch word {
        case "":
            try await dialogues.save(Dialogue(kind: .order, fields: cart, updatedAt: Date()), for: userId)
            return try cartReply(cart, l, caller, intro: l.pick(
                "Monte seu pedido: toque nos produtos ou escreva, por exemplo, <i>2 coxinha</i>.",
                "Build your order: tap products or type, for example, <i>2 coxinha</i>."))
        case "+", "add":
            let words = Array(Arguments.words(args).dropFirst())
            let quantity = words.first.flatMap(Arguments.quantity) ?? 1
            let nameWords = words.first.flatMap(Arguments.quantity) == nil ? words : Array(words.dropFirst())
            guard let product = try findProduct(nameWords.joined(separator: " "), caller) else {
                throw UsageError(pt: "Não encontrei \"\(html(nameWords.joined(separator: " ")))\"; veja /lista_produtos.",
                                 en: "No product matches \"\(html(nameWords.joined(separator: " ")))\"; see /lista_produtos.")
            }
            let (sum, overflow) = (Int64(cart[product.value.publicId] ?? "0") ?? 0).addingReportingOverflow(quantity)
            // The shop's limits on a line (1 to 10,000 units), checked as the cart grows: the cart's
            // total is worked out on every reply, and an unchecked quantity times a price can overflow.
            let line = LineItem(productId: product.key, quantity: overflow ? .max : sum)
            try PlaceOrder(items: [line]).validate()
            cart[product.value.publicId] = String(line.quantity)
            try await dialogues.save(Dialogue(kind: .order, fields: cart, updatedAt: Date()), for: userId)
            return try cartReply(cart, l, caller, intro: l.pick("Adicionado: \(quantity)× \(html(product.value.name)).",
                                                                "Added: \(quantity)× \(html(product.value.name))."))
        case "fim", "finalizar", "done":
            guard !cart.isEmpty else { throw UsageError(pt: "Seu carrinho está vazio.", en: "Your cart is empty.") }
            return try await submitOrder(try lineItems(cart), request, caller)
        case "cancelar", "cancel":
            try await dialogues.end(userId)
            return Reply(text: l.pick("Pedido descartado.", "Order discarded."), data: ReplyData(["cart": [CartLine]()]))
        default:
            var items: [LineItem] = []
            for part in args.split(separator: ",") {
                let words = Arguments.words(String(part))
                let quantity = words.first.flatMap(Arguments.quantity)
                let phrase = (quantity == nil ? words : Array(words.dropFirst())).joined(separator: " ")
                guard let product = try findProduct(phrase, caller) else {
                    throw UsageError(pt: "Não encontrei \"\(html(phrase))\"; veja /lista_produtos.", en: "No product matches \"\(html(phrase))\"; see /lista_produtos.")
                }
                items.append(LineItem(productId: product.key, quantity: quantity ?? 1))
            }
            return try await submitOrder(items, request, caller)
        }
    }

    /// Places the order, then waits for the receipt photo in the user's dialogue.
    private func submitOrder(_ items: [LineItem], _ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        let order = try await shop.run(PlaceOrder(items: items), as: caller.principal, idempotencyKey: request.idempotencyKey)
        if let userId = caller.userId {
            try await dialogues.save(Dialogue(kind: .receipt, fields: ["orderId": order.publicId], updatedAt: Date()), for: userId)
        }
        return Reply(text: l.pick("🧾 Pedido \(order.publicId) feito: <b>\(money(order.total))</b>.\nPague e envie aqui a foto do comprovante.",
                                  "🧾 Order \(order.publicId) placed: <b>\(money(order.total))</b>.\nPay, then send the receipt photo here."),
                     data: ReplyData(["orderId": order.publicId, "order": OrderView(order)]))
    }

    /// Attaches a receipt photo sent in the chat to the order the user's dialogue waits on.
    public func attachReceipt(_ bytes: [UInt8], principal: Principal, language l: Language) async -> Reply {
        await answering(principal, l) { caller in
            guard let userId = caller.userId, case .open(let dialogue) = try await dialogues.current(userId), dialogue.kind == .receipt,
                  let orderId = dialogue.fields["orderId"].flatMap({ EntityKind.order.parse($0) }) else {
                return refusal(ShopError(.invalidInput, "no order waits for a receipt"), l.pick(
                    "Nenhum pedido espera comprovante. Faça um com /pedido.", "No order is waiting for a receipt. Place one with /pedido."))
            }
            let media = try await shop.execute(UploadMedia(bytes: bytes), as: principal)
            let order = try await shop.run(SubmitReceipt(orderId: orderId, mediaId: media.id), as: principal)
            try await dialogues.end(userId)
            return Reply(text: l.pick("📎 Comprovante recebido para o pedido \(order.publicId). Avisaremos quando for verificado.",
                                      "📎 Receipt received for order \(order.publicId). We'll tell you when it is verified."),
                         data: ReplyData(["order": OrderView(order), "mediaId": media.id]))
        }
    }

    /// `/pedidos [estado]`: orders waiting on a decision first, with verify and reject buttons.
    func orders(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        let stateWord = request.args.trimmingCharacters(in: .whitespaces)
        let state: Order.State? = stateWord.isEmpty ? nil : Order.State(rawValue: stateWord)
        if !stateWord.isEmpty, state == nil {
            throw UsageError(pt: "Estados: \(Order.State.allCases.map(\.rawValue).joined(separator: ", ")).",
                             en: "States: \(Order.State.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let page = try shop.orders(state: state, page: PageRequest(limit: 20), as: caller.principal).items
        let sorted = page.filter { $0.value.state == .receiptSubmitted } + page.filter { $0.value.state != .receiptSubmitted }
        var lines = [l.pick("<b>Pedidos</b>", "<b>Orders</b>")]
        var keyboard: [[ReplyButton]] = []
        for record in sorted.prefix(10) {
            let order = record.value
            let customer = (try? shop.user(order.customerId, as: caller.principal).value.name) ?? EntityKind.user.format(order.customerId)
            lines.append("\(order.publicId) · \(html(customer)) · \(money(order.total)) · \(stateName(order.state, l))")
            if order.state == .receiptSubmitted {
                keyboard.append([.run("✅ \(order.publicId)", "/verificar \(order.publicId)"),
                                 .run("❌ \(order.publicId)", "/rejeitar \(order.publicId) \(l.pick("comprovante inválido", "invalid receipt"))")])
            }
        }
        if sorted.isEmpty { lines.append(l.pick("Nenhum pedido.", "No orders.")) }
        return Reply(text: lines.joined(separator: "\n"), data: ReplyData(["orders": sorted.map { OrderView($0.value, version: $0.version) }]), keyboard: keyboard)
    }

    /// At most this many orders in one `/verificar`: their outcomes fit in one Telegram message
    /// (4,096 characters). The MiniApp and `POST /api/orders/bulk` take up to 100.
    static let maxOrdersPerVerification = 20

    /// `/verificar <order>`: the receipt is good; the order becomes a sale. `/verificar o1 o2 o3`
    /// verifies each in turn, each on its own (one refused order leaves the others verified), and
    /// answers every order's outcome in one message.
    func verify(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        let words = Arguments.words(request.args.replacingOccurrences(of: ",", with: " "))
        if words.count > 1 { return try await verifyMany(words, l, caller) }
        let id = try orderId(words.first, l)
        let order = try await shop.run(VerifyOrder(orderId: id), as: caller.principal)
        return Reply(text: l.pick("✅ Pedido \(order.publicId) verificado.", "✅ Order \(order.publicId) verified."),
                     data: ReplyData(["order": OrderView(order)]))
    }

    /// Several orders: every id read first (a word that is not one refuses the whole message),
    /// then one VerifyOrder per order, in the order written, each its own write.
    private func verifyMany(_ words: [String], _ l: Language, _ caller: Caller) async throws -> Reply {
        guard words.count <= Self.maxOrdersPerVerification else {
            throw UsageError(pt: "No máximo \(Self.maxOrdersPerVerification) pedidos de uma vez.",
                             en: "At most \(Self.maxOrdersPerVerification) orders at once.")
        }
        var ids: [UInt64] = []
        for word in words {
            let id = try orderId(word, l)
            if !ids.contains(id) { ids.append(id) }
        }
        let (lines, outcomes) = await runEach(ids, l, id: { EntityKind.order.format($0) },
                                              label: { l.pick("Pedido \($0)", "Order \($0)") }) { id in
            let order = try await shop.run(VerifyOrder(orderId: id), as: caller.principal)
            return (l.pick("Pedido \(order.publicId) verificado.", "Order \(order.publicId) verified."),
                    BulkOutcome(id: order.publicId, ok: true, order: OrderView(order)))
        }
        let verified = outcomes.filter(\.ok).count
        let summary = l.pick("\(verified) de \(outcomes.count) pedidos verificados.", "\(verified) of \(outcomes.count) orders verified.")
        return Reply(text: (lines + [summary]).joined(separator: "\n"), data: ReplyData(["results": outcomes]))
    }

    /// `/rejeitar <order> <reason>`: the receipt is refused, with the reason the customer will read.
    func reject(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        let words = Arguments.words(request.args)
        let id = try orderId(words.first, l)
        let reason = words.dropFirst().joined(separator: " ")
        guard !reason.isEmpty else { throw UsageError(pt: "Diga o motivo: /rejeitar o12 valor errado", en: "Give a reason: /rejeitar o12 wrong amount") }
        let order = try await shop.run(RejectOrder(orderId: id, reason: reason), as: caller.principal)
        return Reply(text: l.pick("❌ Pedido \(order.publicId) recusado: \(html(reason)).", "❌ Order \(order.publicId) rejected: \(html(reason))."),
                     data: ReplyData(["order": OrderView(order)]))
    }

    private func orderId(_ word: String?, _ l: Language) throws -> UInt64 {
        guard let word, let id = Arguments.id(word, .order) ?? UInt64(word).flatMap({ $0 > 0 ? $0 : nil }) else {
            throw UsageError(pt: "Diga qual pedido, ex.: o12 (veja /pedidos).", en: "Say which order, e.g. o12 (see /pedidos).")
        }
        return id
    }

    func stateName(_ state: Order.State, _ l: Language) -> String {
        switch state {
        case .pendingPayment: l.pick("aguardando pagamento", "awaiting payment")
        case .receiptSubmitted: l.pick("comprovante enviado", "receipt sent")
        case .verified: l.pick("verificado", "verified")
        case .fulfilled: l.pick("entregue", "fulfilled")
        case .rejected: l.pick("recusado", "rejected")
        case .cancelled: l.pick("cancelado", "cancelled")
        }
    }

    // MARK: The cart

    private func cart(of userId: UInt64) async throws -> [String: String] {
        if case .open(let dialogue) = try await dialogues.current(userId), dialogue.kind == .order { return dialogue.fields }
        return [:]
    }

    private func lineItems(_ cart: [String: String]) throws -> [LineItem] {
        cart.sorted { $0.key < $1.key }.compactMap { id, quantity in
            guard let productId = EntityKind.product.parse(id), let quantity = Int64(quantity) else { return nil }
            return LineItem(productId: productId, quantity: quantity)
        }
    }

    private func cartReply(_ cart: [String: String], _ l: Language, _ caller: Caller, intro: String) throws -> Reply {
        var lines = [intro]
        var total: Int64 = 0
        var data: [CartLine] = []
        for item in try lineItems(cart) {
            guard let product = try? shop.product(item.productId, as: caller.principal).value else { continue }
            total = try Checked.sum(total, product.price * item.quantity, "total")  // lines are bounded when added
            data.append(CartLine(productId: product.publicId, name: product.name, quantity: item.quantity, unitPrice: product.price))
            lines.append("• \(item.quantity)× \(html(product.name)) — \(money(product.price * item.quantity))")
        }
        if !data.isEmpty { lines.append(l.pick("Total: <b>\(money(total))</b>", "Total: <b>\(money(total))</b>")) }
        var keyboard = try shop.products(page: PageRequest(limit: 6), as: caller.principal).items.map { record in
            [ReplyButton.run("➕ \(record.value.emoji) \(record.value.name)", "/pedido + \(record.value.publicId)")]
        }
        keyboard.append([.run(l.pick("✅ Finalizar", "✅ Done"), "/pedido fim"), .run(l.pick("✖️ Descartar", "✖️ Discard"), "/pedido cancelar")])
        return Reply(text: lines.joined(separator: "\n"), data: ReplyData(["cart": data, "total": total]), keyboard: keyboard)
    }
}

struct CartLine: Encodable, Sendable {
    let productId: String
    let name: String
    let quantity: Int64
    let unitPrice: Int64
}
