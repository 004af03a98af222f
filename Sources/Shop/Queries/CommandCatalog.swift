/// A bot command as menus list it: the bot, the MiniApp menu and `GET /api/commands` share this list.
public struct BotCommandInfo: Sendable, Equatable {
    /// Without the slash: "estoque".
    public var name: String
    public var minimumRole: Role
    public var descriptionPT: String
    public var descriptionEN: String
}

/// The seed bot's commands and who may run them (CONTRACT.md, "Bot commands").
public enum CommandCatalog {
    public static let all: [BotCommandInfo] = [
        .init(name: "start", minimumRole: .user, descriptionPT: "Boas-vindas e abrir o app", descriptionEN: "Welcome and open the app"),
        .init(name: "commands", minimumRole: .user, descriptionPT: "Comandos disponíveis", descriptionEN: "Available commands"),
        .init(name: "login", minimumRole: .user, descriptionPT: "Link de acesso ao painel", descriptionEN: "Sign-in link for the dashboard"),
        .init(name: "lista_produtos", minimumRole: .user, descriptionPT: "Lista de produtos", descriptionEN: "Product list"),
        .init(name: "dividas", minimumRole: .user, descriptionPT: "Suas dívidas (admin: de qualquer um)", descriptionEN: "Your debts (admin: anyone's)"),
        .init(name: "pedido", minimumRole: .user, descriptionPT: "Fazer um pedido", descriptionEN: "Place an order"),
        .init(name: "meusdados", minimumRole: .user, descriptionPT: "Seus dados guardados pela loja", descriptionEN: "Your data the shop keeps"),
        .init(name: "buy", minimumRole: .admin, descriptionPT: "Registrar uma compra", descriptionEN: "Record a purchase"),
        .init(name: "estornar", minimumRole: .admin, descriptionPT: "Estornar uma venda (toda ou alguns itens)", descriptionEN: "Refund a sale (whole or some units)"),
        .init(name: "estoque", minimumRole: .admin, descriptionPT: "Níveis e histórico de estoque", descriptionEN: "Stock levels and history"),
        .init(name: "pagar", minimumRole: .admin, descriptionPT: "Registrar um pagamento", descriptionEN: "Record a payment"),
        .init(name: "relatorios", minimumRole: .admin, descriptionPT: "Relatórios de vendas", descriptionEN: "Sales reports"),
        .init(name: "pedidos", minimumRole: .admin, descriptionPT: "Pedidos dos clientes", descriptionEN: "Customer orders"),
        .init(name: "verificar", minimumRole: .admin, descriptionPT: "Confirmar o pagamento de um ou mais pedidos (/verificar o1 o2)", descriptionEN: "Verify the payment of one or more orders (/verificar o1 o2)"),
        .init(name: "rejeitar", minimumRole: .admin, descriptionPT: "Recusar o comprovante de um pedido", descriptionEN: "Reject an order's receipt"),
        .init(name: "atrasadas", minimumRole: .admin, descriptionPT: "Dívidas atrasadas: idade e lembretes", descriptionEN: "Overdue debts: age and reminders"),
        .init(name: "cobrar", minimumRole: .admin, descriptionPT: "Lembrar um cliente da dívida agora, ou pausar", descriptionEN: "Remind a customer of their debt now, or pause"),
        .init(name: "resumo", minimumRole: .owner, descriptionPT: "Resumo diário: horário ou desligar", descriptionEN: "Daily summary: time or off"),
        .init(name: "lembretes", minimumRole: .owner, descriptionPT: "Lembretes de dívida: prazos e silêncio", descriptionEN: "Debt reminders: timing and quiet hours"),
        .init(name: "user", minimumRole: .owner, descriptionPT: "Usuários e papéis", descriptionEN: "Users and roles"),
        .init(name: "product", minimumRole: .owner, descriptionPT: "Criar ou editar produtos", descriptionEN: "Create or edit products"),
        .init(name: "smartcontract", minimumRole: .owner, descriptionPT: "Contratos entre partes", descriptionEN: "Multi-party contracts"),
        .init(name: "transactions", minimumRole: .owner, descriptionPT: "Livro-caixa", descriptionEN: "The money ledger"),
        .init(name: "backup", minimumRole: .owner, descriptionPT: "Fazer um backup", descriptionEN: "Take a backup"),
    ]

    /// The commands a role may run, in menu order.
    public static func commands(for role: Role) -> [BotCommandInfo] {
        all.filter { $0.minimumRole <= role }
    }
}
