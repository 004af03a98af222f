import Foundation
import Shop

/// `/buy`, `/estornar`, `/pagar`, `/dividas`, `/relatorios` and `/transactions`: money in and out.
extension Conversation {
    static let confirmWords: Set<String> = ["ok", "sim", "confirmar", "confirm", "yes"]

    /// `/buy <qty> <product> [buyer]`: asks to confirm, then records the purchase on the buyer's
    /// account (the caller's when no buyer is named). A trailing `ok` confirms at once.
    func buy(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        var words = Arguments.words(request.args)
        let confirmed = words.last.map { Self.confirmWords.contains($0.lowercased()) } ?? false
        if confirmed { words.removeLast() }
        guard let first = words.first, let quantity = Arguments.quantity(first), words.count > 1 else {
            throw UsageError(pt: "Use /buy &lt;quantidade&gt; &lt;produto&gt; [comprador], ex.: /buy 2 coxinha @ana",
                             en: "Use /buy &lt;quantity&gt; &lt;product&gt; [buyer], e.g. /buy 2 coxinha @ana")
        }
        guard let (product, rest) = try splitProduct(Array(words.dropFirst()), caller) else {
            throw UsageError(pt: "Não encontrei o produto \"\(html(words.dropFirst().joined(separator: " ")))\"; veja /lista_produtos.",
                             en: "No product matches \"\(html(words.dropFirst().joined(separator: " ")))\"; see /lista_produtos.")
        }
        let buyer: User
        if rest.isEmpty {
            guard let me = caller.user else { throw ShopError(.invalidInput, "name a buyer", field: "args") }
            buyer = me
        } else {
            guard let found = try findUser(rest.joined(separator: " "), caller) else {
                throw UsageError(pt: "Não encontrei o comprador \"\(html(rest.joined(separator: " ")))\".",
                                 en: "No buyer matches \"\(html(rest.joined(separator: " ")))\".")
            }
            buyer = found.value
        }
        let item = LineItem(productId: product.key, quantity: quantity)
        let purchase = Buy(buyerId: buyer.id, items: [item])
        try purchase.validate()  // the quantity is bounded before the preview multiplies it by the price
        let total = product.value.price * quantity
        guard confirmed else {
            if product.value.stock < quantity {
                let short = ShopError(.insufficientStock, "not enough stock", field: "items",
                                      shortItems: [ShopError.ShortItem(productId: product.key, requested: quantity, available: product.value.stock)])
                return refusal(short, explain(short, l))
            }
            let line = "/buy \(quantity) \(product.value.publicId) \(buyer.publicId) ok"
            return Reply(text: l.pick("Confirmar \(quantity)× \(html(product.value.name)) para \(html(buyer.name)) — <b>\(money(total))</b>?",
                                      "Confirm \(quantity)× \(html(product.value.name)) for \(html(buyer.name)) — <b>\(money(total))</b>?"),
                         data: ReplyData(["confirm": line, "productId": product.value.publicId, "quantity": quantity,
                                          "buyerId": buyer.publicId, "total": total, "currency": shop.settings.currency]),
                         keyboard: [[.run(l.pick("✅ Confirmar", "✅ Confirm"), line), ReplyButton(l.pick("✖️ Cancelar", "✖️ Cancel"), .command(Self.cancelLine))]])
        }
        let sale = try await shop.run(purchase, as: caller.principal, idempotencyKey: request.idempotencyKey)
        let debt = try shop.debt(of: buyer.id, as: caller.principal)
        return Reply(text: l.pick("✅ Venda \(sale.publicId): \(quantity)× \(html(product.value.name)) para \(html(buyer.name)) — <b>\(money(sale.total))</b>.\nDívida de \(html(buyer.name)): \(money(debt.amount)).",
                                  "✅ Sale \(sale.publicId): \(quantity)× \(html(product.value.name)) for \(html(buyer.name)) — <b>\(money(sale.total))</b>.\n\(html(buyer.name)) owes \(money(debt.amount))."),
                     data: ReplyData(["saleId": sale.publicId, "sale": SaleView(sale), "debt": DebtView(userId: buyer.id, amount: debt.amount, currency: debt.currency)]))
    }

    /// Words that keep refunded units out of stock (damaged or eaten, not coming back).
    static let noRestockWords: Set<String> = ["sem-estoque", "semestoque", "sem_estoque", "no-restock", "norestock"]

    /// `/estornar <venda> [<qtd> <produto>, …] [sem-estoque]`: asks to confirm, then refunds the
    /// whole sale, or the units named (products of the sale, by id or name), lowering the buyer's
    /// debt and, unless `sem-estoque`, putting the units back in stock. A trailing `ok` confirms.
    func refund(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        var words = Arguments.words(request.args)
        let confirmed = words.last.map { Self.confirmWords.contains($0.lowercased()) } ?? false
        if confirmed { words.removeLast() }
        let restock = !(words.last.map { Self.noRestockWords.contains($0.lowercased()) } ?? false)
        if !restock { words.removeLast() }
        let usage = UsageError(pt: "Use /estornar &lt;venda&gt; [&lt;quantidade&gt; &lt;produto&gt;, …] [sem-estoque], ex.: /estornar s12 ou /estornar s12 1 coxinha",
                               en: "Use /estornar &lt;sale&gt; [&lt;quantity&gt; &lt;product&gt;, …] [sem-estoque], e.g. /estornar s12 or /estornar s12 1 coxinha")
        guard let first = words.first, let saleId = Arguments.id(first, .sale) else { throw usage }
        let sale = try shop.sale(saleId, as: caller.principal).value
        let names = Dictionary(sale.lines.map { ($0.productId, (try? shop.product($0.productId, as: caller.principal).value.name) ?? EntityKind.product.format($0.productId)) },
                               uniquingKeysWith: { a, _ in a })
        // "1 coxinha, 2 p4": each part a quantity and a product of this sale.
        var items: [LineItem]? = nil
        let rest = words.dropFirst().joined(separator: " ")
        if !rest.isEmpty {
            items = []
            for part in rest.split(separator: ",").map({ Arguments.words(String($0)) }) where !part.isEmpty {
                guard part.count > 1, let quantity = Arguments.quantity(part[0]) else { throw usage }
                let phrase = part.dropFirst().joined(separator: " ").lowercased()
                let line = sale.lines.first { Arguments.id(phrase, .product) == $0.productId }
                    ?? sale.lines.first { names[$0.productId]?.lowercased() == phrase }
                    ?? sale.lines.first { names[$0.productId]?.lowercased().hasPrefix(phrase) == true }
                guard let line else {
                    throw UsageError(pt: "A venda \(sale.publicId) não tem \"\(html(phrase))\".", en: "Sale \(sale.publicId) has no \"\(html(phrase))\".")
                }
                items?.append(LineItem(productId: line.productId, quantity: quantity))
            }
        }
        let command = Refund(saleId: sale.id, items: items, restock: restock)
        try command.validate()  // quantities are bounded before the preview multiplies them by prices
        let buyer = (try? shop.user(sale.buyerId, as: caller.principal).value.name) ?? EntityKind.user.format(sale.buyerId)
        let describe = { (lines: [SaleLine]) in lines.map { "\($0.quantity)× \(html(names[$0.productId] ?? ""))" }.joined(separator: ", ") }
        // (line index, units) pairs as sale lines at the sale's prices, the empty ones left out.
        let priced = { (units: [(Int, Int64)]) -> [SaleLine] in
            units.filter { $0.1 > 0 }.map { SaleLine(productId: sale.lines[$0.0].productId, quantity: $0.1, unitPrice: sale.lines[$0.0].unitPrice) }
        }
        // Every item names a product of the sale (found in its lines above).
        let index = { (item: LineItem) -> Int in sale.lines.firstIndex { $0.productId == item.productId } ?? 0 }
        guard confirmed else {
            // What this refund would give back; more than is left is the shop's refusal, told before asking.
            let left = sale.lines.indices.map { sale.lines[$0].quantity - sale.refundedQuantities[$0] }
            let wanted: [(Int, Int64)] = items.map { $0.map { (index($0), $0.quantity) } } ?? sale.lines.indices.map { ($0, left[$0]) }
            let lines = priced(wanted)
            guard !lines.isEmpty else { throw ShopError(.ruleBroken, "this sale was already refunded in full") }
            for (n, item) in wanted.enumerated() where item.1 > left[item.0] {
                throw ShopError(.ruleBroken, "only \(left[item.0]) of \(names[sale.lines[item.0].productId] ?? "") left to refund", field: "items[\(n)].quantity")
            }
            let amount = lines.reduce(0) { $0 + $1.total }
            let line = "/estornar \(sale.publicId)"
                + (items == nil ? "" : " " + lines.map { "\($0.quantity) \(EntityKind.product.format($0.productId))" }.joined(separator: ", "))
                + (restock ? "" : " sem-estoque") + " ok"
            let stock = restock ? l.pick("os itens voltam ao estoque", "the units go back to stock") : l.pick("sem devolver ao estoque", "not put back in stock")
            return Reply(text: l.pick("Estornar \(describe(lines)) da venda \(sale.publicId) de \(html(buyer)) — <b>\(money(amount))</b> (\(stock))?",
                                      "Refund \(describe(lines)) of sale \(sale.publicId) to \(html(buyer)) — <b>\(money(amount))</b> (\(stock))?"),
                         data: ReplyData(["confirm": line, "saleId": sale.publicId, "lines": lines.map(SaleLineView.init), "amount": amount,
                                          "restock": restock, "currency": sale.currency]),
                         keyboard: [[.run(l.pick("✅ Estornar", "✅ Refund"), line), ReplyButton(l.pick("✖️ Cancelar", "✖️ Cancel"), .command(Self.cancelLine))]])
        }
        let refunded = try await shop.run(command, as: caller.principal, idempotencyKey: request.idempotencyKey)
        // The units named, or (a whole refund) what this run gave back; a replayed tap, which gave
        // nothing back now, shows every unit refunded so far.
        var lines = items.map { priced($0.map { (index($0), $0.quantity) }) }
            ?? priced(sale.lines.indices.map { ($0, refunded.refundedQuantities[$0] - sale.refundedQuantities[$0]) })
        if lines.isEmpty { lines = priced(sale.lines.indices.map { ($0, refunded.refundedQuantities[$0]) }) }
        let amount = lines.reduce(0) { $0 + $1.total }
        let debt = try shop.debt(of: sale.buyerId, as: caller.principal)
        return Reply(text: l.pick("↩️ Estorno da venda \(sale.publicId): \(describe(lines)) — <b>\(money(amount))</b>.\nDívida de \(html(buyer)): \(money(debt.amount)).",
                                  "↩️ Refund of sale \(sale.publicId): \(describe(lines)) — <b>\(money(amount))</b>.\n\(html(buyer)) owes \(money(debt.amount))."),
                     data: ReplyData(["saleId": refunded.publicId, "sale": SaleView(refunded), "refunded": lines.map(SaleLineView.init), "amount": amount,
                                      "debt": DebtView(userId: sale.buyerId, amount: debt.amount, currency: debt.currency)]))
    }

    /// The line a cancel button carries: the chat answers it without running anything.
    public static let cancelLine = "/cancel"

    /// `/pagar <user> <amount> [method] [note]`: records a payment against the user's debt.
    func pay(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        let words = Arguments.words(request.args)
        guard words.count >= 2, let amountIndex = words.indices.dropFirst().first(where: { Arguments.money(words[$0]) != nil }),
              let amount = Arguments.money(words[amountIndex]) else {
            throw UsageError(pt: "Use /pagar &lt;usuário&gt; &lt;valor&gt; [pix|dinheiro|cartao] [nota], ex.: /pagar @ana 12,50",
                             en: "Use /pagar &lt;user&gt; &lt;amount&gt; [pix|cash|card] [note], e.g. /pagar @ana 12.50")
        }
        let who = words[..<amountIndex].joined(separator: " ")
        guard let payer = try findUser(who, caller) else {
            throw UsageError(pt: "Não encontrei o usuário \"\(html(who))\".", en: "No user matches \"\(html(who))\".")
        }
        let after = words[(amountIndex + 1)...]
        let method = after.first.map { Self.paymentMethods[$0.lowercased()] ?? "" } ?? "pix"
        let note = (method.isEmpty ? after : after.dropFirst()).joined(separator: " ")
        let payment = try await shop.run(RecordPayment(userId: payer.key, amount: amount, method: method.isEmpty ? "pix" : method, note: note),
                                             as: caller.principal, idempotencyKey: request.idempotencyKey)
        let debt = try shop.debt(of: payer.key, as: caller.principal)
        return Reply(text: l.pick("✅ Pagamento \(payment.publicId) de \(html(payer.value.name)): <b>\(money(amount))</b> (\(payment.method)).\nDívida agora: \(money(debt.amount)).",
                                  "✅ Payment \(payment.publicId) from \(html(payer.value.name)): <b>\(money(amount))</b> (\(payment.method)).\nDebt now: \(money(debt.amount))."),
                     data: ReplyData(["paymentId": payment.publicId, "payment": PaymentView(payment),
                                      "debt": DebtView(userId: payer.key, amount: debt.amount, currency: debt.currency)]))
    }

    static let paymentMethods = ["pix": "pix", "dinheiro": "cash", "cash": "cash", "cartao": "card", "cartão": "card", "card": "card"]

    /// `/dividas`: your own debt; an admin sees everyone's, or one person's with `/dividas <user>`.
    func debts(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        let who = request.args.trimmingCharacters(in: .whitespaces)
        if caller.role < .admin || !who.isEmpty {
            let user: Stored<User>
            if caller.role >= .admin {
                guard let found = try findUser(who, caller) else { throw UsageError(pt: "Não encontrei \"\(html(who))\".", en: "No user matches \"\(html(who))\".") }
                user = found
            } else {
                guard let me = caller.user else { throw ShopError(.notAuthenticated, "who are you?") }
                user = try shop.user(me.id, as: caller.principal)
            }
            let debt = try shop.debt(of: user.key, as: caller.principal)
            let text = debt.amount > 0
                ? l.pick("\(html(user.value.name)) deve <b>\(money(debt.amount))</b>.", "\(html(user.value.name)) owes <b>\(money(debt.amount))</b>.")
                : l.pick("\(html(user.value.name)) não deve nada. 🎉", "\(html(user.value.name)) owes nothing. 🎉")
            return Reply(text: text, data: ReplyData(["debt": DebtView(userId: user.key, amount: debt.amount, currency: debt.currency)]))
        }
        let debts = try shop.debts(as: caller.principal)
        var lines = [l.pick("<b>Dívidas</b>", "<b>Debts</b>")]
        for debt in debts {
            let name = (try? shop.user(debt.userId, as: caller.principal).value.name) ?? EntityKind.user.format(debt.userId)
            lines.append("• \(html(name)): \(money(debt.amount))")
        }
        let total = debts.reduce(0) { $0 + $1.amount }
        lines.append(debts.isEmpty ? l.pick("Ninguém deve nada. 🎉", "Nobody owes anything. 🎉") : l.pick("Total: <b>\(money(total))</b>", "Total: <b>\(money(total))</b>"))
        return Reply(text: lines.joined(separator: "\n"),
                     data: ReplyData(["debts": debts.map { DebtView(userId: $0.userId, amount: $0.amount, currency: $0.currency) }, "total": total]))
    }

    /// `/relatorios [hoje|semana|mes]`: sales and revenue over the period, best products first,
    /// the period's customers (buyers, repeat buyers, average basket, best customers with their
    /// lifetime revenue and debt), and a button to the MiniApp's reports, which downloads the
    /// same report as CSV or `.xlsx` (the bot sends no files).
    func reports(_ request: ChatRequest, _ caller: Caller, now: Date = Date()) async throws -> Reply {
        let l = request.language
        let period = request.args.trimmingCharacters(in: .whitespaces).lowercased()
        let days: Int
        let title: String
        switch period {
        case "", "hoje", "today": days = 1; title = l.pick("hoje", "today")
        case "semana", "week": days = 7; title = l.pick("últimos 7 dias", "last 7 days")
        case "mes", "mês", "month": days = 30; title = l.pick("últimos 30 dias", "last 30 days")
        default: throw UsageError(pt: "Use /relatorios hoje, semana ou mes.", en: "Use /relatorios hoje (today), semana (week) or mes (month).")
        }
        let from = now.addingTimeInterval(-Double(days - 1) * 86_400)
        let report = try shop.report(from: from, to: now, groupBy: .product, as: caller.principal)
        let rows = report.rows.sorted { $0.revenue > $1.revenue }
        let sales = try shop.report(from: from, to: now, groupBy: .day, as: caller.principal).rows.reduce(0) { $0 + $1.sales }
        var lines = [l.pick("<b>Relatório — \(title)</b>", "<b>Report — \(title)</b>"),
                     l.pick("Vendas: \(sales) · Receita: <b>\(money(report.totalRevenue))</b>", "Sales: \(sales) · Revenue: <b>\(money(report.totalRevenue))</b>")]
        for row in rows.prefix(5) {
            lines.append("• \(html(row.label)): \(row.units) \(l.pick("un.", "units")) — \(money(row.revenue))")
        }
        let customers = report.customers
        lines.append(l.pick("<b>Clientes</b>: \(customers.buyers) compradores, \(customers.repeatBuyers) voltaram · cesta média \(money(customers.averageBasket))",
                            "<b>Customers</b>: \(customers.buyers) buyers, \(customers.repeatBuyers) came back · average basket \(money(customers.averageBasket))"))
        for customer in customers.rows.prefix(5) {
            lines.append(l.pick("• \(html(customer.name)): \(money(customer.revenue)) (sempre: \(money(customer.lifetimeRevenue)), deve \(money(customer.debt)))",
                                "• \(html(customer.name)): \(money(customer.revenue)) (lifetime: \(money(customer.lifetimeRevenue)), owes \(money(customer.debt)))"))
        }
        var keyboard: [[ReplyButton]] = []
        if let app = miniAppURL {
            keyboard.append([ReplyButton(l.pick("📥 Planilha e CSV", "📥 Spreadsheet and CSV"), .webApp(app + "#/reports"))])
        }
        return Reply(text: lines.joined(separator: "\n"),
                     data: ReplyData(["period": period.isEmpty ? "hoje" : period, "from": RFC3339.string(from: report.from), "to": RFC3339.string(from: report.to),
                                      "sales": sales, "revenue": report.totalRevenue, "currency": report.currency,
                                      "products": rows.map { ReportLine(key: $0.key, label: $0.label, units: $0.units, revenue: $0.revenue) },
                                      "customers": CustomerFiguresView(customers)]),
                     keyboard: keyboard)
    }

    /// `/transactions [user]`: the newest entries of the money ledger.
    func transactions(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        let who = request.args.trimmingCharacters(in: .whitespaces)
        let user = who.isEmpty ? nil : try findUser(who, caller)
        if !who.isEmpty, user == nil { throw UsageError(pt: "Não encontrei \"\(html(who))\".", en: "No user matches \"\(html(who))\".") }
        let entries = try shop.ledger(userId: user?.key, page: PageRequest(limit: 10), as: caller.principal).items
        var lines = [l.pick("<b>Livro-caixa</b> (últimos \(entries.count))", "<b>Ledger</b> (latest \(entries.count))")]
        for entry in entries.map(\.value) {
            let name = (try? shop.user(entry.userId, as: caller.principal).value.name) ?? EntityKind.user.format(entry.userId)
            lines.append("\(RFC3339.string(from: entry.at).prefix(10)) \(entry.kind.rawValue) \(html(name)): \(money(entry.amount))")
        }
        return Reply(text: lines.joined(separator: "\n"), data: ReplyData(["entries": entries.map { LedgerEntryView($0.value) }]))
    }
}

struct ReportLine: Encodable, Sendable {
    let key: String
    let label: String
    let units: Int64
    let revenue: Int64
}
