import Foundation
import Shop

/// `/meusdados`: what the shop keeps about the caller.
///
/// The bot's Bot API client sends messages, not files, so the chat gets a summary of what is
/// kept and a button to the MiniApp's sessions screen, whose "Download my data" saves the whole JSON
/// (`GET /api/me/export`); through the command bridge the reply's `data.export` is that JSON.
extension Conversation {
    func myData(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        let export = try shop.personalData(as: caller.principal)
        let counts: [(String, String, Int)] = [
            ("vendas", "sales", export.sales.count), ("pagamentos", "payments", export.payments.count),
            ("lançamentos", "ledger entries", export.ledger.count), ("pedidos", "orders", export.orders.count),
            ("comprovantes", "receipts", export.receipts.count), ("contratos", "contracts", export.contracts.count),
            ("notificações", "notifications", export.notifications.count), ("sessões", "sessions", export.sessions.count),
            ("registros de auditoria", "audit entries", export.audit.count),
        ]
        var lines = [l.pick("<b>Seus dados na loja</b>", "<b>Your data in the shop</b>"),
                     "\(html(export.user.name))\(export.user.username.map { " @\(html($0))" } ?? "") · \(export.user.id) · Telegram \(export.user.telegramId)",
                     l.pick("Dívida: ", "Debt: ") + money(export.debt.amount)]
        lines += counts.map { "\(l.pick($0.0, $0.1)): \($0.2)" }
        lines.append(l.pick("Baixe tudo em JSON no app: Sessões → Baixar meus dados.",
                            "Download all of it as JSON in the app: Sessions → Download my data."))
        var keyboard: [[ReplyButton]] = []
        if let app = miniAppURL {
            keyboard.append([ReplyButton(l.pick("📦 Baixar meus dados", "📦 Download my data"), .webApp(app + "#/sessions"))])
        }
        return Reply(text: lines.joined(separator: "\n"), data: ReplyData(["export": export]), keyboard: keyboard)
    }
}
