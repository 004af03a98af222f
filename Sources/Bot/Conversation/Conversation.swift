import Foundation
import Logging
import Shop
import Store

/// What the conversation needs to know beyond the shop.
public struct ConversationSettings: Sendable {
    /// Where the MiniApp is served; login links and "open the app" buttons point there.
    public var publicURL: String?
    /// Where `/backup` writes its copies (each in a dated folder of its own).
    public var backupFolder: String?
    /// The data folder's token secret file, copied into each backup (mode 0600) when it exists.
    public var tokenSecretFile: String?

    public init(publicURL: String? = nil, backupFolder: String? = nil, tokenSecretFile: String? = nil) {
        self.publicURL = publicURL
        self.backupFolder = backupFolder
        self.tokenSecretFile = tokenSecretFile
    }
}

/// The bot's commands: one parser and one set of handlers behind the chat, `POST
/// /api/commands/execute` and the WebSocket's `{"type": "command"}`, so the same line gives
/// the same answer everywhere. Handlers only call the shop's commands and queries; every
/// rule (who may, how much stock) is the shop's.
public struct Conversation: Sendable {
    public let shop: Shop
    public let settings: ConversationSettings
    /// Multi-step conversations in progress, kept in the bot's store.
    public let dialogues: DialogueStore

    /// Opens the conversation over `shop`, keeping its dialogues in `environment` (the store
    /// the shop lives in, given by whoever opened both: the bot's bookkeeping shares its file,
    /// writer and backups, but not its change feed).
    public static func open(shop: Shop, environment: Store.Environment, settings: ConversationSettings = ConversationSettings()) async throws -> Conversation {
        let dialogues = try await DialogueStore.open(environment)
        dialogues.forgetErasedPeople(of: shop)
        return Conversation(shop: shop, settings: settings, dialogues: dialogues)
    }

    typealias Handler = @Sendable (Conversation, ChatRequest, Caller) async throws -> Reply

    /// The handlers by command name; the names and the roles come from the shop's catalogue.
    static let handlers: [String: Handler] = [
        "start": { try await $0.start($1, $2) },
        "commands": { try await $0.commands($1, $2) },
        "login": { try await $0.login($1, $2) },
        "lista_produtos": { try await $0.productList($1, $2) },
        "dividas": { try await $0.debts($1, $2) },
        "pedido": { try await $0.placeOrder($1, $2) },
        "meusdados": { try await $0.myData($1, $2) },
        "buy": { try await $0.buy($1, $2) },
        "estornar": { try await $0.refund($1, $2) },
        "estoque": { try await $0.stock($1, $2) },
        "pagar": { try await $0.pay($1, $2) },
        "relatorios": { try await $0.reports($1, $2) },
        "pedidos": { try await $0.orders($1, $2) },
        "verificar": { try await $0.verify($1, $2) },
        "rejeitar": { try await $0.reject($1, $2) },
        "resumo": { try await $0.dailySummary($1, $2) },
        "atrasadas": { try await $0.overdueDebts($1, $2) },
        "cobrar": { try await $0.remindDebtor($1, $2) },
        "lembretes": { try await $0.reminderSettings($1, $2) },
        "user": { try await $0.users($1, $2) },
        "product": { try await $0.product($1, $2) },
        "smartcontract": { try await $0.contracts($1, $2) },
        "transactions": { try await $0.transactions($1, $2) },
        "backup": { try await $0.backup($1, $2) },
    ]

    /// Runs one command line for its caller. Refusals and mistakes come back as replies with
    /// a `failure`, worded for the person; nothing is thrown.
    public func run(_ request: ChatRequest) async -> Reply {
        let l = request.language
        return await answering(request.principal, l) { caller in
            guard let info = CommandCatalog.all.first(where: { $0.name == request.command }), let handler = Self.handlers[info.name] else {
                return refusal(ShopError(.notFound, "no command /\(request.command)"), l.pick(
                    "Não conheço o comando /\(html(request.command)). Veja /commands.",
                    "I don't know /\(html(request.command)). See /commands."))
            }
            guard caller.role >= info.minimumRole || opensToEveryone(request) else {
                return refusal(ShopError(.forbidden, "/\(info.name) needs the \(info.minimumRole.rawValue) role"), l.pick(
                    "O comando /\(info.name) é só para \(roleName(info.minimumRole, l, plural: true)).",
                    "/\(info.name) is only for \(roleName(info.minimumRole, l, plural: true))."))
            }
            return try await handler(self, request, caller)
        }
    }

    /// Runs `body` for the person behind `principal`: the one place where a refusal or a
    /// mistake, thrown anywhere in a command, becomes a reply worded for the chat.
    /// `inputField` names the input a usage mistake is blamed on: the arguments, or a dialogue's answer.
    func answering(_ principal: Principal, _ l: Language, inputField: String = "args", _ body: (Caller) async throws -> Reply) async -> Reply {
        do {
            return try await body(try Caller(shop: shop, principal: principal))
        } catch {
            return reply(to: error, l, inputField: inputField)
        }
    }

    /// A thrown error as the reply that tells the person what went wrong.
    public func reply(to error: any Error, _ l: Language, inputField: String = "args") -> Reply {
        switch error {
        case let error as ShopError:
            refusal(error, explain(error, l))
        case let error as UsageError:
            refusal(ShopError(.invalidInput, error.en, field: inputField), error.text(l))
        default:
            refusal(ShopError(.storeFailure, "\(error)"), l.pick("Algo deu errado; tente de novo.", "Something went wrong; please try again."))
        }
    }

    /// A party to a contract confirms it with `/smartcontract confirmar`, whatever their role:
    /// the shop refuses anyone who is not a party.
    private func opensToEveryone(_ request: ChatRequest) -> Bool {
        request.command == "smartcontract"
            && Arguments.words(request.args).first.map { Self.partyContractActions.contains($0.lowercased()) } == true
    }

    func refusal(_ error: ShopError, _ text: String) -> Reply {
        Reply(text: "⚠️ " + text, data: ReplyData(["error": ErrorData(code: error.code.rawValue, message: error.message, field: error.field)]), failure: error)
    }

    /// The shop's refusal in words for a chat.
    func explain(_ error: ShopError, _ l: Language) -> String {
        switch error.code {
        case .forbidden: l.pick("Seu papel não permite isso.", "Your role does not allow this.")
        case .userBlocked: l.pick("Sua conta está bloqueada.", "Your account is blocked.")
        case .notAuthenticated, .sessionEnded, .tokenExpired: l.pick("Não sei quem é você; envie /start.", "I don't know who you are; send /start.")
        case .notFound: l.pick("Não encontrei: \(html(error.message)).", "Not found: \(html(error.message)).")
        case .insufficientStock:
            l.pick("Estoque insuficiente", "Not enough stock") + ": " + error.shortItems.map { item in
                let name = (try? shop.product(item.productId, as: .system()).value.name) ?? EntityKind.product.format(item.productId)
                return l.pick("\(html(name)): pedido \(item.requested), disponível \(item.available)",
                              "\(html(name)): asked \(item.requested), available \(item.available)")
            }.joined(separator: "; ") + "."
        case .versionConflict: l.pick("Alguém mudou isso agora mesmo; veja de novo.", "Someone just changed this; look again.")
        case .invalidTransition: l.pick("Não dá nesse estado: \(html(error.message)).", "Not in this state: \(html(error.message)).")
        case .storageFull: l.pick("O armazenamento da loja está cheio, então nada foi gravado. Consultas seguem funcionando; tente de novo mais tarde.",
                                  "The shop's storage is full, so nothing was saved. Looking things up still works; please try again later.")
        default: html(error.message)
        }
    }
}

/// The code, message and field of a refusal, as the bridges' `data.error`.
struct ErrorData: Encodable, Sendable {
    let code: String
    let message: String
    let field: String?
}

/// The person running a command: their user record and current role.
struct Caller: Sendable {
    let principal: Principal
    let user: User?
    let role: Role

    init(shop: Shop, principal: Principal) throws {
        let me = try shop.me(as: principal)
        self.principal = principal
        self.user = me.user
        self.role = me.role
    }

    var userId: UInt64? { user?.id }
}

/// A command typed the wrong way; the reply shows how to type it.
struct UsageError: Error {
    let pt: String
    let en: String
    func text(_ l: Language) -> String { l.pick(pt, en) }
}

func roleName(_ role: Role, _ l: Language, plural: Bool = false) -> String {
    switch role {
    case .user: plural ? l.pick("usuários", "users") : l.pick("usuário", "user")
    case .admin: plural ? l.pick("administradores", "admins") : l.pick("administrador", "admin")
    case .owner: plural ? l.pick("donos", "owners") : l.pick("dono", "owner")
    }
}
