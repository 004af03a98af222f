import Bot
import Foundation
import Shop
import Store
import Testing

/// Every bot command through the conversation, in each role that may run it and in one that
/// may not: the same handlers serve the chat and the bridges.
/// One at a time: each test imports the whole demo shop through the commands, and twenty
/// imports at once beside the rest of the suite on two cores starved every test of the run.
@Suite("Conversation", .serialized, .timeLimit(.minutes(3))) struct ConversationTests {
    @Test func commandLinesAreParsedAsTyped() throws {
        let principal = Principal.system(.bot)
        let request = try #require(ChatRequest(line: "/buy@TendaBot  3 coxinha  @ana ", principal: principal, language: .pt))
        #expect(request.command == "buy")
        #expect(request.args == "3 coxinha  @ana")
        #expect(ChatRequest(line: "oi, tudo bem?", principal: principal, language: .pt) == nil)
        #expect(ChatRequest(line: "/", principal: principal, language: .pt) == nil)
        #expect(Language(code: "en-US") == .en)
        #expect(Language(code: "pt-br") == .pt)
        #expect(Language(code: nil) == .pt)
    }

    @Test func startAndCommandsFollowTheRole() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        for (telegramId, role) in [(DemoShop.userTelegramId, Role.user), (DemoShop.adminTelegramId, .admin), (DemoShop.ownerTelegramId, .owner)] {
            let start = try await demo.say("/start", from: telegramId)
            #expect(start.failure == nil)
            #expect(try start.json()["role"] as? String == role.rawValue)
            #expect(start.keyboard.flatMap { $0 }.contains { $0.action == .webApp("https://shop.example/") })
            let commands = try await demo.say("/commands", from: telegramId)
            let names = try #require(try commands.json()["commands"] as? [[String: Any]]).compactMap { $0["name"] as? String }
            #expect(names == CommandCatalog.commands(for: role).map(\.name))
        }
    }

    @Test func everyCommandIsRefusedBelowItsRole() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let before = demo.shop.feedHead
        for info in CommandCatalog.all where info.minimumRole > .user {
            let reply = try await demo.say("/\(info.name)", from: DemoShop.userTelegramId)
            #expect(reply.failure?.code == .forbidden, "/\(info.name) as user")
            #expect(reply.text.contains("só para"))
        }
        for info in CommandCatalog.all where info.minimumRole == .owner {
            let reply = try await demo.say("/\(info.name) x", from: DemoShop.adminTelegramId)
            #expect(reply.failure?.code == .forbidden, "/\(info.name) as admin")
        }
        let unknown = try await demo.say("/voar", from: DemoShop.adminTelegramId)
        #expect(unknown.failure?.code == .notFound)
        // Refusals are audited, but nothing of the shop changed: no sale, payment or stock movement.
        let changes = try demo.shop.changes(after: before, limit: 1_000)
        #expect(changes.allSatisfy { $0.collection == "audit" })
    }

    @Test func loginGivesALinkWhoseCodeSignsIn() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let reply = try await demo.say("/login", from: DemoShop.userTelegramId)
        let data = try reply.json()
        let code = try #require(data["code"] as? String)
        #expect(data["url"] as? String == "https://shop.example/?code=\(code)")
        let tokens = try await demo.shop.redeemLoginCode(code, device: "test", via: .anonymous(via: .rest))
        #expect(tokens.user.telegramId == DemoShop.userTelegramId)
    }

    @Test func productListPagesAndGivesAdminsButtons() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let asUser = try await demo.say("/lista_produtos", from: DemoShop.userTelegramId)
        #expect(!asUser.buttonLines.contains { $0.hasPrefix("/buy") })
        #expect(asUser.buttonLines.contains("/lista_produtos 2"))
        let asAdmin = try await demo.say("/lista_produtos", from: DemoShop.adminTelegramId)
        #expect(asAdmin.buttonLines.contains { $0.hasPrefix("/buy 1 p") })
        let page2 = try await demo.say("/lista_produtos 2", from: DemoShop.adminTelegramId)
        let first = try #require(try asAdmin.json()["products"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        let second = try #require(try page2.json()["products"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        #expect(first.count == 8 && second.count == 8)
        #expect(Set(first).isDisjoint(with: second))
        #expect(page2.buttonLines.contains("/lista_produtos 1"))
    }

    @Test func buyAsksThenRecordsOnceOnTheBuyersAccount() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let coxinha = try demo.product(named: "Coxinha")
        let diego = try demo.user(DemoShop.userTelegramId)
        let debtBefore = try demo.shop.debt(of: diego.id, as: .system()).amount

        let prompt = try await demo.say("/buy 2 coxinha @diegof", from: DemoShop.adminTelegramId)
        #expect(prompt.failure == nil)
        let confirm = "/buy 2 \(coxinha.value.publicId) \(diego.publicId) ok"
        #expect(prompt.buttonLines.first == confirm)
        #expect(try demo.product(named: "Coxinha").value.stock == coxinha.value.stock, "nothing is bought before confirming")

        let done = try await demo.say(confirm, from: DemoShop.adminTelegramId, key: "callback-1")
        let again = try await demo.say(confirm, from: DemoShop.adminTelegramId, key: "callback-1")
        #expect(done.failure == nil && again.failure == nil)
        #expect(try done.json()["saleId"] as? String == (try again.json()["saleId"] as? String))
        #expect(try demo.product(named: "Coxinha").value.stock == coxinha.value.stock - 2)
        #expect(try demo.shop.debt(of: diego.id, as: .system()).amount == debtBefore + 2 * coxinha.value.price)
        #expect(done.text.contains("R$"))
    }

    @Test func buyRefusesShortStockClearly() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let coxinha = try demo.product(named: "Coxinha")
        let reply = try await demo.say("/buy \(coxinha.value.stock + 1) coxinha", from: DemoShop.adminTelegramId)
        #expect(reply.failure?.code == .insufficientStock)
        #expect(reply.text.contains("Estoque insuficiente") && reply.text.contains("disponível \(coxinha.value.stock)"))
        #expect(reply.keyboard.isEmpty)
        let forced = try await demo.say("/buy \(coxinha.value.stock + 1) coxinha ok", from: DemoShop.adminTelegramId)
        #expect(forced.failure?.code == .insufficientStock, "the shop refuses, whatever the bot asked")
        let usage = try await demo.say("/buy coxinha", from: DemoShop.adminTelegramId)
        #expect(usage.failure?.code == .invalidInput)
    }

    /// A quantity beyond the shop's limit used to be multiplied by the price before the shop
    /// saw it (the total of `/buy`'s question, the cart's total), and trapped on the overflow.
    /// These inputs crashed the `botline` fuzz target (Tests/Fuzz).
    @Test func hugeQuantitiesAreRefusedNotMultiplied() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        for line in ["/buy 99999999999999999 coxinha", "/buy 9223372036854775807 coxinha @diegof ok", "/buy 10001 coxinha"] {
            let reply = try await demo.say(line, from: DemoShop.adminTelegramId)
            #expect(reply.failure?.code == .invalidInput, "\(line): \(reply.text)")
            #expect(reply.text.contains("10000"), "the shop's limit is named: \(reply.text)")
        }
        let full = try await demo.say("/pedido + 10000 coxinha", from: DemoShop.userTelegramId)
        #expect(full.failure == nil, "\(full.text)")
        for line in ["/pedido + 9223372036854775807 coxinha", "/pedido + 1 coxinha"] {
            let reply = try await demo.say(line, from: DemoShop.userTelegramId)
            #expect(reply.failure?.code == .invalidInput, "\(line): \(reply.text)")
        }
        let cart = try await demo.say("/pedido", from: DemoShop.userTelegramId)
        #expect(try (cart.json()["cart"] as? [[String: Any]])?.first?["quantity"] as? Int == 10_000, "a refused addition leaves the cart as it was")
    }

    @Test func stockListsLowFirstAndRestocks() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let reply = try await demo.say("/estoque", from: DemoShop.adminTelegramId)
        let lines = try #require(try reply.json()["inventory"] as? [[String: Any]])
        let lows = lines.map { $0["low"] as? Bool == true }
        #expect(lows == lows.sorted { $0 && !$1 }, "low stock first")
        let coxinha = try demo.product(named: "Coxinha")
        let restocked = try await demo.say("/estoque coxinha +10", from: DemoShop.adminTelegramId)
        #expect(restocked.failure == nil)
        #expect(try demo.product(named: "Coxinha").value.stock == coxinha.value.stock + 10)
        let corrected = try await demo.say("/estoque \(coxinha.value.publicId) -3", from: DemoShop.adminTelegramId)
        #expect(corrected.failure == nil)
        #expect(try demo.product(named: "Coxinha").value.stock == coxinha.value.stock + 7)
    }

    @Test func payAndDebts() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let diego = try demo.user(DemoShop.userTelegramId)
        _ = try await demo.say("/buy 3 coxinha @diegof ok", from: DemoShop.adminTelegramId)
        let owed = try demo.shop.debt(of: diego.id, as: .system()).amount
        #expect(owed > 500)
        let paid = try await demo.say("/pagar @diegof 5,00 dinheiro troco", from: DemoShop.adminTelegramId)
        #expect(paid.failure == nil)
        let payment = try #require(try paid.json()["payment"] as? [String: Any])
        #expect(payment["amount"] as? Int == 500 && payment["method"] as? String == "cash" && payment["note"] as? String == "troco")
        #expect(try demo.shop.debt(of: diego.id, as: .system()).amount == owed - 500)

        let own = try await demo.say("/dividas @someoneelse", from: DemoShop.userTelegramId)
        #expect(try (own.json()["debt"] as? [String: Any])?["userId"] as? String == diego.publicId, "a user sees only their own debt")
        let all = try await demo.say("/dividas", from: DemoShop.adminTelegramId)
        let debts = try #require(try all.json()["debts"] as? [[String: Any]])
        #expect(debts.contains { $0["userId"] as? String == diego.publicId })
        let one = try await demo.say("/dividas diego", from: DemoShop.adminTelegramId)
        #expect(try (one.json()["debt"] as? [String: Any])?["amount"] as? Int == Int(owed - 500))
        let bad = try await demo.say("/pagar @diegof doze", from: DemoShop.adminTelegramId)
        #expect(bad.failure?.code == .invalidInput)
    }

    @Test func reportsMatchTheShopsReport() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        _ = try await demo.say("/buy 1 coxinha ok", from: DemoShop.adminTelegramId)
        for period in ["hoje", "semana", "mes"] {
            let reply = try await demo.say("/relatorios \(period)", from: DemoShop.adminTelegramId)
            #expect(reply.failure == nil)
            let days = ["hoje": 1, "semana": 7, "mes": 30][period]!
            let now = Date()
            let expected = try demo.shop.report(from: now.addingTimeInterval(-Double(days - 1) * 86_400), to: now, groupBy: .product, as: .system())
            #expect(try reply.json()["revenue"] as? Int == Int(expected.totalRevenue))
            // The period's customers, as the report route gives them.
            let customers = try #require(try reply.json()["customers"] as? [String: Any])
            #expect(customers["buyers"] as? Int == Int(expected.customers.buyers) && customers["repeatBuyers"] as? Int == Int(expected.customers.repeatBuyers))
            #expect(customers["averageBasket"] as? Int == Int(expected.customers.averageBasket) && expected.customers.buyers > 0)
            let rows = (customers["rows"] as? [[String: Any]] ?? []).map { "\($0["id"] ?? "") \($0["lifetimeRevenue"] ?? "") \($0["debt"] ?? "")" }
            #expect(rows == expected.customers.rows.map { "\($0.key) \($0.lifetimeRevenue) \($0.debt)" })
            #expect(reply.text.contains("Clientes</b>: \(expected.customers.buyers) compradores"), "\(reply.text)")
            // The downloads are the MiniApp's: a web_app button opens its reports screen.
            #expect(reply.keyboard.flatMap { $0 }.map(\.action) == [.webApp("https://shop.example/#/reports")])
        }
        #expect(try await demo.say("/relatorios ano", from: DemoShop.adminTelegramId).failure?.code == .invalidInput)
    }

    @Test func orderInStepsThenReceiptThenVerify() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let start = try await demo.say("/pedido", from: DemoShop.userTelegramId)
        #expect(start.buttonLines.contains("/pedido fim"))
        #expect(start.buttonLines.contains { $0.hasPrefix("/pedido + p") })
        let added = try await demo.say("/pedido + 2 coxinha", from: DemoShop.userTelegramId)
        #expect(try (added.json()["cart"] as? [[String: Any]])?.first?["quantity"] as? Int == 2)
        let placed = try await demo.say("/pedido fim", from: DemoShop.userTelegramId)
        let orderId = try #require(try placed.json()["orderId"] as? String)

        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 64)
        let receipt = await demo.conversation.attachReceipt(png, principal: try demo.principal(DemoShop.userTelegramId), language: .pt)
        #expect(receipt.failure == nil, "\(receipt.text)")
        #expect(try (receipt.json()["order"] as? [String: Any])?["state"] as? String == "receipt_submitted")
        let none = await demo.conversation.attachReceipt(png, principal: try demo.principal(DemoShop.userTelegramId), language: .pt)
        #expect(none.failure?.code == .invalidInput, "the dialogue ended with the receipt")

        let list = try await demo.say("/pedidos", from: DemoShop.adminTelegramId)
        #expect(list.buttonLines.contains("/verificar \(orderId)"))
        #expect(try await demo.say("/verificar \(orderId)", from: DemoShop.userTelegramId).failure?.code == .forbidden)
        let verified = try await demo.say("/verificar \(orderId)", from: DemoShop.adminTelegramId)
        #expect(try (verified.json()["order"] as? [String: Any])?["state"] as? String == "verified")
    }

    @Test func orderAtOnceThenRejectWithAReason() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let placed = try await demo.say("/pedido 2 coxinha, 1 pão de queijo", from: DemoShop.userTelegramId)
        let order = try #require(try placed.json()["order"] as? [String: Any])
        #expect((order["lines"] as? [[String: Any]])?.count == 2)
        let orderId = try #require(order["id"] as? String)
        #expect(try await demo.say("/rejeitar \(orderId)", from: DemoShop.adminTelegramId).failure?.code == .invalidInput)
        // Rejecting needs a receipt first: the shop's state machine says so, not the bot.
        let early = try await demo.say("/rejeitar \(orderId) valor errado", from: DemoShop.adminTelegramId)
        #expect(early.failure?.code == .invalidTransition)
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 1, count: 32)
        _ = await demo.conversation.attachReceipt(png, principal: try demo.principal(DemoShop.userTelegramId), language: .pt)
        let rejected = try await demo.say("/rejeitar \(orderId) valor errado", from: DemoShop.adminTelegramId)
        #expect(try (rejected.json()["order"] as? [String: Any])?["state"] as? String == "rejected")
    }

    @Test func ownerManagesUsers() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let list = try await demo.say("/user", from: DemoShop.ownerTelegramId)
        #expect((try list.json()["users"] as? [[String: Any]])?.count == 10)
        let promoted = try await demo.say("/user @diegof admin", from: DemoShop.ownerTelegramId)
        #expect(try (promoted.json()["user"] as? [String: Any])?["role"] as? String == "admin")
        #expect(try await demo.say("/estoque", from: DemoShop.userTelegramId).failure == nil, "the new role holds at once")
        _ = try await demo.say("/user @diegof bloquear", from: DemoShop.ownerTelegramId)
        #expect(try await demo.say("/dividas", from: DemoShop.userTelegramId).failure?.code == .userBlocked)
        _ = try await demo.say("/user @diegof desbloquear", from: DemoShop.ownerTelegramId)
        #expect(try await demo.say("/dividas", from: DemoShop.userTelegramId).failure == nil)
        #expect(try await demo.say("/user @diegof rei", from: DemoShop.ownerTelegramId).failure?.code == .invalidInput)
    }

    @Test func ownerCreatesAndEditsProducts() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let created = try await demo.say("/product novo Pastel de feira; 7,50; 20; 🥟; Salgados", from: DemoShop.ownerTelegramId)
        let product = try #require(try created.json()["product"] as? [String: Any])
        #expect(product["price"] as? Int == 750 && product["stock"] as? Int == 20 && product["category"] as? String == "Salgados")
        let priced = try await demo.say("/product pastel de feira preco 8", from: DemoShop.ownerTelegramId)
        #expect(try (priced.json()["product"] as? [String: Any])?["price"] as? Int == 800)
        let archived = try await demo.say("/product pastel de feira arquivar", from: DemoShop.ownerTelegramId)
        #expect(try (archived.json()["product"] as? [String: Any])?["active"] as? Bool == false)
        #expect(try await demo.say("/product novo Sem preço", from: DemoShop.ownerTelegramId).failure?.code == .invalidInput)
    }

    @Test func contractsAreCreatedByTheOwnerAndConfirmedByTheParties() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let created = try await demo.say("/smartcontract criar Fornecimento; @diegof comprador, @fer_lima fornecedora; 150,00; entrega semanal",
                                         from: DemoShop.ownerTelegramId)
        let contract = try #require(try created.json()["contract"] as? [String: Any])
        let id = try #require(contract["id"] as? String)
        #expect(contract["amount"] as? Int == 15_000)
        #expect(try await demo.say("/smartcontract criar X; @diegof a; 1,00", from: DemoShop.userTelegramId).failure?.code == .forbidden)
        let confirmed = try await demo.say("/smartcontract confirmar \(id)", from: DemoShop.userTelegramId)
        #expect(confirmed.failure == nil, "\(confirmed.text)")
        #expect(try (confirmed.json()["contract"] as? [String: Any])?["state"] as? String == "pending")
        let stranger = try await demo.say("/smartcontract confirmar \(id)", from: DemoShop.adminTelegramId)
        #expect(stranger.failure?.code == .notFound, "only parties confirm; to others the contract does not exist")
        let second = try await demo.say("/smartcontract confirmar \(id)", from: 697_283_485)
        #expect(try (second.json()["contract"] as? [String: Any])?["state"] as? String == "active")
        let listed = try await demo.say("/smartcontract", from: DemoShop.ownerTelegramId)
        #expect((try listed.json()["contracts"] as? [[String: Any]])?.contains { $0["id"] as? String == id } == true)
    }

    @Test func transactionsAndBackupForTheOwner() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let ledger = try await demo.say("/transactions", from: DemoShop.ownerTelegramId)
        #expect((try ledger.json()["entries"] as? [[String: Any]])?.count == 10)
        let backup = try await demo.say("/backup", from: DemoShop.ownerTelegramId)
        let path = try #require(try backup.json()["path"] as? String)
        #expect(FileManager.default.fileExists(atPath: path + "/data.mdb"))
        let copy = try await Store.Environment.open(at: path, configuration: .testing)
        let copied = try await Shop.open(copy, settings: ShopSettings(tokenSecret: Array(repeating: 7, count: 32)))
        #expect(try copied.users(as: .system()).items.count == 10)
        await copy.close()
    }

    @Test func repliesInEnglishForEnglishSpeakers() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let reply = try await demo.say("/commands", from: DemoShop.englishUserTelegramId, language: .en)
        #expect(reply.text.contains("Your commands"))
        let refused = try await demo.say("/estoque", from: DemoShop.englishUserTelegramId, language: .en)
        #expect(refused.text.contains("only for admins"))
    }

    @Test func namesAreEscapedForTelegramHTML() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let created = try await demo.say("/product novo Bolo <b>&</b> café; 5; 3", from: DemoShop.ownerTelegramId)
        #expect(created.text.contains("Bolo &lt;b&gt;&amp;&lt;/b&gt; café"))
        let id = try #require(try (created.json()["product"] as? [String: Any])?["id"] as? String)
        let card = try await demo.say("/product \(id)", from: DemoShop.ownerTelegramId)
        #expect(card.text.contains("<b>Bolo &lt;b&gt;&amp;&lt;/b&gt; café</b>"))
        #expect(!card.text.contains("<b>&</b>"))
    }

    @Test func dialoguesExpirePolitely() async throws {
        let demo = try await DemoShop.make()
        defer { Task { await demo.discard() } }
        let diego = try demo.user(DemoShop.userTelegramId)
        let old = Date().addingTimeInterval(-DialogueStore.timeout - 60)
        try await demo.conversation.dialogues.save(Dialogue(kind: .order, fields: ["p1": "2"], updatedAt: old), for: diego.id)
        guard case .expired(let expired) = try await demo.conversation.dialogues.current(diego.id) else {
            Issue.record("an old dialogue is expired")
            return
        }
        #expect(expired.kind == .order && expired.fields == ["p1": "2"])
        #expect(try await demo.conversation.dialogues.current(diego.id) == DialogueStore.Lookup.none)
    }
}
