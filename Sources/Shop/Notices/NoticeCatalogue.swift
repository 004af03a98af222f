import Foundation

/// A notice's title and body, or the templates they are filled from.
public struct NoticeWords: Sendable, Equatable, Encodable {
    public var title: String
    public var body: String

    public init(_ title: String, _ body: String) {
        self.title = title
        self.body = body
    }
}

/// The words of every notice, in Brazilian Portuguese and English: data keyed by kind and
/// language. The domain writes a notice's kind and parameters; the bot renders it here for its
/// addressee, the REST view for its reader, and the MiniApp from the same table served as JSON
/// (`GET /api/notifications/wording`), so every reader sees it in their language and as it was
/// when it happened.
///
/// In a template `{name}` is replaced by the parameter of that name. An empty (or missing)
/// value takes the space after it along, and the result is trimmed, so an optional part such
/// as a product's emoji or a reason leaves no gap. `web/js/notices.js` follows the same rule.
public enum NoticeCatalogue {
    /// Every kind's templates, in each language.
    public static let words: [NoticeKind: [Language: NoticeWords]] = Dictionary(
        uniqueKeysWithValues: table.map { entry in (entry.kind, [Language.pt: entry.pt, .en: entry.en]) })

    private static let table: [(kind: NoticeKind, pt: NoticeWords, en: NoticeWords)] = [
        (.lowStock,
         NoticeWords("Estoque baixo: {emoji} {product}", "Restam {stock} (limite {threshold})."),
         NoticeWords("Low stock: {emoji} {product}", "{stock} left (threshold {threshold}).")),
        (.newOrder,
         NoticeWords("Novo pedido {order}", "Total {total}, aguardando pagamento."),
         NoticeWords("New order {order}", "Total {total}, awaiting payment.")),
        (.receiptSubmitted,
         NoticeWords("Comprovante do pedido {order}", "Confira o pagamento de {total}."),
         NoticeWords("Receipt for order {order}", "Check the payment of {total}.")),
        (.orderVerified,
         NoticeWords("Pedido {order} confirmado", "Seu pagamento foi confirmado."),
         NoticeWords("Order {order} confirmed", "Your payment was confirmed.")),
        (.orderRejected,
         NoticeWords("Pedido {order} recusado", "{reason}"),
         NoticeWords("Order {order} rejected", "{reason}")),
        (.orderFulfilled,
         NoticeWords("Pedido {order} entregue", "Bom proveito!"),
         NoticeWords("Order {order} delivered", "Enjoy!")),
        (.orderCancelled,
         NoticeWords("Pedido {order} cancelado", "{reason}"),
         NoticeWords("Order {order} cancelled", "{reason}")),
        (.orderCancelledByCustomer,
         NoticeWords("Pedido {order} cancelado pelo cliente", "{reason}"),
         NoticeWords("Order {order} cancelled by the customer", "{reason}")),
        (.contractPending,
         NoticeWords("Contrato aguardando sua confirmação", "{contract}: {amount}."),
         NoticeWords("A contract awaits your confirmation", "{contract}: {amount}.")),
        (.contractConfirmed,
         NoticeWords("{name} confirmou: {contract}", "{confirmations} de {required} confirmações."),
         NoticeWords("{name} confirmed: {contract}", "{confirmations} of {required} confirmations.")),
        (.contractActive,
         NoticeWords("Contrato ativo: {contract}", "Todas as confirmações necessárias foram dadas."),
         NoticeWords("Contract active: {contract}", "Every confirmation needed was given.")),
        (.contractDeclined,
         NoticeWords("Contrato recusado: {contract}", "{name} recusou. {reason}"),
         NoticeWords("Contract declined: {contract}", "{name} declined. {reason}")),
        (.contractCancelled,
         NoticeWords("Contrato cancelado: {contract}", "{reason}"),
         NoticeWords("Contract cancelled: {contract}", "{reason}")),
        (.contractCompleted,
         NoticeWords("Contrato concluído: {contract}", ""),
         NoticeWords("Contract completed: {contract}", "")),
        (.paymentRecorded,
         NoticeWords("Pagamento registrado", "Recebemos {amount} ({method})."),
         NoticeWords("Payment recorded", "We received {amount} ({method}).")),
        (.saleRefunded,
         NoticeWords("Estorno da venda {sale}", "Estornamos {items}: {amount}. {note}"),
         NoticeWords("Refund of sale {sale}", "We refunded {items}: {amount}. {note}")),
        (.roleChanged,
         NoticeWords("Seu acesso mudou", "Agora você é {role}."),
         NoticeWords("Your access changed", "You are now {role}.")),
        (.debtReminder,
         NoticeWords("Lembrete: sua conta está em {amount}",
                     "Em aberto há {days} dias. Pague por Pix, dinheiro, cartão ou transferência a um atendente da loja; o pagamento é registrado na hora."),
         NoticeWords("Reminder: your tab stands at {amount}",
                     "Open for {days} days. Pay by Pix, cash, card or transfer to a member of the shop's staff; the payment is recorded at once.")),
        (.broadcast,
         NoticeWords("{title}", "{body}"),
         NoticeWords("{title}", "{body}")),
    ]

    /// The templates of a kind (by its stored name) in a language; nil for a kind this version does not know.
    public static func templates(_ kind: String, _ language: Language) -> NoticeWords? {
        NoticeKind(rawValue: kind).flatMap { words[$0]?[language] }
    }

    /// Fills a template's `{name}`s from `params` (see the type's rule for empty values).
    public static func fill(_ template: String, _ params: [String: String]) -> String {
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            result += rest[..<open]
            let value = params[String(rest[rest.index(after: open)..<close])] ?? ""
            rest = rest[rest.index(after: close)...]
            if value.isEmpty {
                if rest.first == " " { rest = rest.dropFirst() }
            } else {
                result += value
            }
        }
        result += rest
        return result.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The table as the MiniApp reads it: `{"kinds": {kind: {language: {"title", "body"}}}}`.
    public static var document: NoticeWordingDocument {
        NoticeWordingDocument(kinds: Dictionary(uniqueKeysWithValues: words.map { kind, languages in
            (kind.rawValue, Dictionary(uniqueKeysWithValues: languages.map { ($0.key.rawValue, $0.value) }))
        }))
    }
}

/// The catalogue as JSON: every kind's templates by language ("pt", "en").
public struct NoticeWordingDocument: Encodable, Sendable {
    public var kinds: [String: [String: NoticeWords]]
}

extension Notice {
    /// The notice's title and body in `language`: its kind's words filled with the parameters it
    /// was written with. A record from before notices kept parameters, or of a kind this version
    /// does not know, shows the words it was stored with.
    public func words(in language: Language) -> NoticeWords {
        guard let params, let templates = NoticeCatalogue.templates(kind, language) else { return NoticeWords(title, body) }
        return NoticeWords(NoticeCatalogue.fill(templates.title, params), NoticeCatalogue.fill(templates.body, params))
    }
}
