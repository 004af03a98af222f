import Foundation
import Shop

/// `/lista_produtos`, `/estoque` and `/product`: the catalogue and its stock.
extension Conversation {
    static let productsPerPage = 8

    /// `/lista_produtos [page]`: a page of products; admins get buy and restock buttons.
    func productList(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        let all = try shop.products(page: PageRequest(limit: 200), as: caller.principal).items
        let pages = max(1, (all.count + Self.productsPerPage - 1) / Self.productsPerPage)
        let page = min(max(Arguments.words(request.args).first.flatMap { Int($0) } ?? 1, 1), pages)
        let shown = all.dropFirst((page - 1) * Self.productsPerPage).prefix(Self.productsPerPage)
        var lines = [l.pick("<b>Produtos</b> (página \(page) de \(pages))", "<b>Products</b> (page \(page) of \(pages))")]
        var keyboard: [[ReplyButton]] = []
        for record in shown {
            let product = record.value
            lines.append("\(productLine(product)) · \(l.pick("estoque", "stock")) \(product.stock)")
            if caller.role >= .admin {
                keyboard.append([.run("🛒 \(product.name)", "/buy 1 \(product.publicId)"), .run("➕ 10", "/estoque \(product.publicId) +10")])
            }
        }
        if all.isEmpty { lines.append(l.pick("Nenhum produto ainda.", "No products yet.")) }
        var paging: [ReplyButton] = []
        if page > 1 { paging.append(.run("◀️", "/lista_produtos \(page - 1)")) }
        if page < pages { paging.append(.run("▶️", "/lista_produtos \(page + 1)")) }
        if !paging.isEmpty { keyboard.append(paging) }
        return Reply(text: lines.joined(separator: "\n"),
                     data: ReplyData(["products": shown.map { ProductView($0.value, version: $0.version) }, "page": page, "pages": pages]),
                     keyboard: keyboard)
    }

    /// `/estoque`: stock levels, low first, with restock buttons; `/estoque <product>` its latest
    /// movements and current level; `/estoque <product> +N` restocks and `/estoque <product> -N`
    /// corrects a count.
    func stock(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        var words = Arguments.words(request.args)
        if let last = words.last, last.hasPrefix("+") || last.hasPrefix("-"), let delta = Int64(last), delta != 0 {
            words.removeLast()
            guard let product = try findProduct(words.joined(separator: " "), caller) else {
                throw UsageError(pt: "Não encontrei o produto \"\(html(words.joined(separator: " ")))\".",
                                 en: "No product matches \"\(html(words.joined(separator: " ")))\".")
            }
            let updated = delta > 0
                ? try await shop.run(Restock(productId: product.key, quantity: delta, note: "bot"), as: caller.principal)
                : try await shop.run(AdjustStock(productId: product.key, delta: delta, reason: .adjustment, note: "bot"), as: caller.principal)
            return Reply(text: l.pick("✅ \(html(updated.name)): estoque agora \(updated.stock).", "✅ \(html(updated.name)): stock now \(updated.stock)."),
                         data: ReplyData(["product": ProductView(updated)]))
        }
        if !words.isEmpty {
            guard let product = try findProduct(words.joined(separator: " "), caller) else {
                throw UsageError(pt: "Não encontrei o produto \"\(html(words.joined(separator: " ")))\". Use /estoque, /estoque &lt;produto&gt; " +
                                     "para o histórico ou /estoque &lt;produto&gt; +10 para repor.",
                                 en: "No product matches \"\(html(words.joined(separator: " ")))\". Use /estoque, /estoque &lt;product&gt; " +
                                     "for its history or /estoque &lt;product&gt; +10 to restock.")
            }
            return try stockHistory(product.key, l, caller)
        }
        let inventory = try shop.inventory(as: caller.principal)
        var lines = [l.pick("<b>Estoque</b>", "<b>Stock</b>")]
        var keyboard: [[ReplyButton]] = []
        for line in inventory {
            let product = line.product.value
            let flag = line.isLow ? "🔴" : "🟢"
            lines.append("\(flag) \(html(product.name)): \(product.stock) (\(l.pick("mínimo", "minimum")) \(product.lowStockThreshold))")
            if line.isLow {
                keyboard.append([.run("➕ 10 \(product.name)", "/estoque \(product.publicId) +10"), .run("➕ 50", "/estoque \(product.publicId) +50")])
            }
        }
        return Reply(text: lines.joined(separator: "\n"),
                     data: ReplyData(["inventory": inventory.map { StockLine(productId: $0.product.value.publicId, name: $0.product.value.name,
                                                                               stock: $0.product.value.stock, lowStockThreshold: $0.product.value.lowStockThreshold,
                                                                               low: $0.isLow) }]),
                     keyboard: keyboard)
    }

    static let stockHistoryLines = 10

    /// `/estoque <product>`: the product's current level and its latest movements, newest first
    /// (what, signed quantity, the level after, who, why), with restock buttons.
    func stockHistory(_ productId: UInt64, _ l: Language, _ caller: Caller) throws -> Reply {
        let history = try shop.stockHistory(of: productId, page: PageRequest(limit: Self.stockHistoryLines), as: caller.principal)
        let product = history.product.value
        var lines = [l.pick("📦 <b>\(html(product.name))</b>: estoque \(product.stock) (mínimo \(product.lowStockThreshold))",
                            "📦 <b>\(html(product.name))</b>: stock \(product.stock) (minimum \(product.lowStockThreshold))")]
        if history.page.items.isEmpty {
            lines.append(l.pick("Nenhuma movimentação ainda.", "No movements yet."))
        } else {
            lines.append(l.pick("<b>Últimas movimentações</b>", "<b>Latest movements</b>"))
        }
        for entry in history.page.items {
            let m = entry.movement.value
            var line = "\(RFC3339.string(from: m.at).prefix(16).replacingOccurrences(of: "T", with: " ")) · "
                + "\(Self.kindLabel(m.kind, l)) \(m.delta > 0 ? "+" : "")\(m.delta) → \(entry.levelAfter)"
            line += " · " + html(entry.actorName ?? l.pick("sistema", "system"))
            if let reference = m.reference { line += " (\(html(reference)))" }
            // A note may hold 500 characters; ten of them would pass Telegram's 4,096.
            if !m.note.isEmpty { line += " · “\(html(m.note.count > 80 ? String(m.note.prefix(79)) + "…" : m.note))”" }
            lines.append(line)
        }
        if history.page.next != nil {
            lines.append(l.pick("… o histórico completo está no app.", "… the whole history is in the app."))
        }
        return Reply(text: lines.joined(separator: "\n"),
                     data: ReplyData(["product": ProductView(product, version: history.product.version), "stock": product.stock,
                                      "movements": history.page.items.map(StockMovementView.init)]),
                     keyboard: [[.run("➕ 10", "/estoque \(product.publicId) +10"), .run("➕ 50", "/estoque \(product.publicId) +50")]])
    }

    /// A movement's kind in the reader's language.
    static func kindLabel(_ kind: StockMovement.Kind, _ l: Language) -> String {
        switch kind {
        case .initial: l.pick("inicial", "initial")
        case .sale: l.pick("venda", "sale")
        case .restock: l.pick("reposição", "restock")
        case .adjustment: l.pick("ajuste", "adjustment")
        case .order: l.pick("pedido", "order")
        case .cancel: l.pick("pedido cancelado", "order cancelled")
        case .return: l.pick("devolução", "return")
        case .refund: l.pick("reembolso", "refund")
        }
    }

    /// `/product new <name>; <price>[; <stock>[; <emoji>[; <category>]]]`, `/product <product> price|name|threshold|archive …`,
    /// `/product <product>` (its card); `/product` alone starts a guided dialogue (name, price, stock).
    func product(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        let words = Arguments.words(request.args)
        guard let first = words.first else {
            return try await startProductDialogue(caller, l)
        }
        if ["novo", "new", "criar", "create"].contains(first.lowercased()) {
            let fields = request.args.dropFirst(first.count).split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 2, let price = Arguments.money(fields[1]) else {
                throw UsageError(pt: "Use /product novo Nome; preço; estoque (ex.: /product novo Coxinha; 6,50; 20).",
                                 en: "Use /product new Name; price; stock (e.g. /product new Coxinha; 6.50; 20).")
            }
            let stock = fields.count > 2 ? Int64(fields[2]) ?? 0 : 0
            let created = try await shop.run(CreateProduct(name: fields[0], emoji: fields.count > 3 ? fields[3] : "",
                                                               category: fields.count > 4 ? fields[4] : "", price: price, stock: stock),
                                                 as: caller.principal)
            return Reply(text: l.pick("✅ Produto criado: ", "✅ Product created: ") + productLine(created.value) + " (\(created.publicId))",
                         data: ReplyData(["product": ProductView(created)]))
        }
        guard let (found, rest) = try splitProduct(words, caller) else {
            throw UsageError(pt: "Não encontrei o produto \"\(html(request.args))\".", en: "No product matches \"\(html(request.args))\".")
        }
        guard let action = rest.first?.lowercased() else {
            let p = found.value
            return Reply(text: productLine(p) + "\n" + l.pick("Estoque \(p.stock), mínimo \(p.lowStockThreshold), id \(p.publicId)",
                                                              "Stock \(p.stock), threshold \(p.lowStockThreshold), id \(p.publicId)"),
                         data: ReplyData(["product": ProductView(p, version: found.version)]))
        }
        let value = rest.dropFirst().joined(separator: " ")
        let update: UpdateProduct
        switch action {
        case "preco", "preço", "price":
            guard let price = Arguments.money(value) else { throw UsageError(pt: "Preço inválido: \(html(value)).", en: "Not a price: \(html(value)).") }
            update = UpdateProduct(productId: found.key, expectedVersion: found.version, price: price)
        case "nome", "name":
            update = UpdateProduct(productId: found.key, expectedVersion: found.version, name: value)
        case "minimo", "mínimo", "threshold":
            guard let threshold = Int64(value), threshold >= 0 else { throw UsageError(pt: "Mínimo inválido: \(html(value)).", en: "Not a threshold: \(html(value)).") }
            update = UpdateProduct(productId: found.key, expectedVersion: found.version, lowStockThreshold: threshold)
        case "arquivar", "archive":
            let archived = try await shop.run(ArchiveProduct(productId: found.key, expectedVersion: found.version), as: caller.principal)
            return Reply(text: l.pick("🗄 \(html(archived.name)) arquivado.", "🗄 \(html(archived.name)) archived."),
                         data: ReplyData(["product": ProductView(archived)]))
        default:
            throw UsageError(pt: "Não sei mudar \"\(html(action))\": use preco, nome, minimo ou arquivar.",
                             en: "I can't change \"\(html(action))\": use price, name, threshold or archive.")
        }
        let updated = try await shop.run(update, as: caller.principal)
        return Reply(text: "✅ " + productLine(updated.value), data: ReplyData(["product": ProductView(updated)]))
    }
}

struct StockLine: Encodable, Sendable {
    let productId: String
    let name: String
    let stock: Int64
    let lowStockThreshold: Int64
    let low: Bool
}
