import Foundation
import Shop

/// `/buy`, `/pagar`, `/dividas`, `/relatorios` and `/transactions`: money in and out.
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

    /// `/relatorios [hoje|semana|mes]`: sales and revenue over the period, best products first.
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
        return Reply(text: lines.joined(separator: "\n"),
                     data: ReplyData(["period": period.isEmpty ? "hoje" : period, "from": RFC3339.string(from: report.from), "to": RFC3339.string(from: report.to),
                                      "sales": sales, "revenue": report.totalRevenue, "currency": report.currency,
                                      "products": rows.map { ReportLine(key: $0.key, label: $0.label, units: $0.units, revenue: $0.revenue) }]))
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
