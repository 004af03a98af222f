import Foundation
import Shop

/// `/start`, `/commands` and `/login`: who you are, what you may do, and a way into the dashboard.
extension Conversation {
    func start(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        let name = caller.user.map { html($0.name) } ?? ""
        var text = l.pick("Olá, \(name)! 👋\nEu sou o bot da loja: produtos, compras, dívidas e pedidos.",
                          "Hi, \(name)! 👋\nI am the shop's bot: products, purchases, debts and orders.")
        text += "\n" + l.pick("Seu papel: <b>\(roleName(caller.role, l))</b>. Veja /commands.",
                              "Your role: <b>\(roleName(caller.role, l))</b>. See /commands.")
        var keyboard: [[ReplyButton]] = []
        if let app = miniAppURL {
            keyboard.append([ReplyButton(l.pick("🛍 Abrir o app", "🛍 Open the app"), .webApp(app))])
        }
        return Reply(text: text, data: ReplyData(["role": caller.role.rawValue, "userId": caller.user?.publicId]), keyboard: keyboard)
    }

    func commands(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        let list = CommandCatalog.commands(for: caller.role)
        let lines = list.map { "/\($0.name) — \(html(l.pick($0.descriptionPT, $0.descriptionEN)))" }
        let data = list.map { CommandData(name: $0.name, minimumRole: $0.minimumRole.rawValue, description: l.pick($0.descriptionPT, $0.descriptionEN)) }
        return Reply(text: l.pick("<b>Seus comandos</b>", "<b>Your commands</b>") + "\n" + lines.joined(separator: "\n"),
                     data: ReplyData(["commands": data]))
    }

    func login(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        let code = try await shop.execute(IssueLoginCode(), as: caller.principal)
        let minutes = Int(shop.settings.loginCodeLifetime / 60)
        guard let base = settings.publicURL else {
            return Reply(text: l.pick("Seu código de acesso: <code>\(code)</code> (vale \(minutes) min, uma vez).",
                                      "Your sign-in code: <code>\(code)</code> (good for \(minutes) min, once)."),
                         data: ReplyData(["code": code, "expiresIn": minutes * 60]))
        }
        let link = "\(base)/?code=\(code)"
        return Reply(text: l.pick("Entre no painel por este link (vale \(minutes) min, uma vez):\n\(html(link))",
                                  "Sign in to the dashboard with this link (good for \(minutes) min, once):\n\(html(link))"),
                     data: ReplyData(["code": code, "url": link, "expiresIn": minutes * 60]),
                     keyboard: [[ReplyButton(l.pick("Abrir o painel", "Open the dashboard"), .url(link))]])
    }

    /// The MiniApp's address when Telegram can open it (web_app buttons need https).
    var miniAppURL: String? {
        guard let url = settings.publicURL, url.hasPrefix("https://") else { return nil }
        return url + "/"
    }
}

struct CommandData: Encodable, Sendable {
    let name: String
    let minimumRole: String
    let description: String
}
