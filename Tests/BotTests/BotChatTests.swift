import Bot
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import Shop
import Telegram
import Testing

/// The bot end to end: updates from the stand-in Bot API, replies through the outbox, the
/// server and the bot in one service group, as `tenda serve` runs them.
@Suite("Bot in the chat", .timeLimit(.minutes(2))) struct BotChatTests {
    @Test func menusAreSetPerRoleAtStart() async throws {
        try await LiveBot.run { live, _, _ in
            // The user list by default (pt and en), and one chat-scoped list per admin and owner (3 in the demo shop).
            let calls = try await live.telegram.waitFor("setMyCommands", count: 5)
            let menus = try calls.map { try $0.decode(SetMyCommands.self) }
            let defaults = menus.filter { $0.scope == nil }
            #expect(defaults.count == 2)
            #expect(defaults.allSatisfy { $0.commands.map(\.command) == CommandCatalog.commands(for: .user).map(\.name) })
            let owner = try #require(menus.first { $0.scope == .chat(DemoShop.ownerTelegramId) })
            #expect(owner.commands.map(\.command) == CommandCatalog.commands(for: .owner).map(\.name))
            let admin = try #require(menus.first { $0.scope == .chat(DemoShop.adminTelegramId) })
            #expect(admin.commands.map(\.command) == CommandCatalog.commands(for: .admin).map(\.name))
        }
    }

    @Test func aConversationInEachRole() async throws {
        try await LiveBot.run { live, _, _ in
            let welcome = try await live.say("/start", as: LiveBot.user)
            #expect(welcome.text.contains("Olá") && welcome.parseMode == "HTML")
            let refused = try await live.say("/estoque", as: LiveBot.user)
            #expect(refused.text.contains("só para administradores"))
            let stock = try await live.say("/estoque", as: LiveBot.admin)
            #expect(stock.text.contains("<b>Estoque</b>"))
            let users = try await live.say("/user", as: LiveBot.owner)
            #expect(users.text.contains("Diego Ferreira"))
            let english = try await live.say("/commands", as: TelegramUser(id: DemoShop.englishUserTelegramId, firstName: "Rafael", lastName: "Nunes",
                                                                          username: "rafanunes", languageCode: "en"))
            #expect(english.text.contains("Your commands"))
            let stranger = TelegramUser(id: 777_000_111, firstName: "Nova", languageCode: "pt-br")
            let hello = try await live.say("/start", as: stranger)
            #expect(hello.text.contains("Olá, Nova"), "someone new is a user from their first message")
            #expect(try live.demo.shop.user(telegramId: stranger.id, as: .system())?.value.role == .user)
            let chatter = try await live.say("bom dia!", as: LiveBot.user)
            #expect(chatter.text.contains("/commands"))
        }
    }

    @Test func everyCommandInEveryRoleOverTelegram() async throws {
        try await LiveBot.run { live, _, _ in
            for (person, role) in [(LiveBot.user, Role.user), (LiveBot.admin, .admin), (LiveBot.owner, .owner)] {
                for info in CommandCatalog.all {
                    let reply = try await live.say("/\(info.name)", as: person)
                    let refused = reply.text.contains("só para")
                    #expect(refused == (role < info.minimumRole), "/\(info.name) as \(role): \(reply.text)")
                    #expect(!reply.text.contains("Algo deu errado") && !reply.text.contains("Não conheço"), "/\(info.name) as \(role) failed: \(reply.text)")
                }
            }
        }
    }

    @Test func buyInTheChatReachesAWebSocketSubscriber() async throws {
        try await LiveBot.run { live, client, port in
            let token = try await client.token(for: DemoShop.adminTelegramId, live.demo)
            let coxinha = try live.demo.product(named: "Coxinha")
            let diego = try live.demo.user(DemoShop.userTelegramId)
            let frames = Frames()
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws?token=\(token)", logger: Logger(label: "ws")) { inbound, outbound, _ in
                try await outbound.write(.text(#"{"type":"subscribe","topics":["sales","inventory"]}"#))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            if case .text(let text) = message { await frames.add(text) }
                        }
                    }
                    try await waitUntil("the socket's subscription in the hub", seeing: { live.hub.subscriberCount }) { $0 == 1 }
                    let prompt = try await live.say("/buy 2 coxinha @diegof", as: LiveBot.admin)
                    let confirm = "/buy 2 \(coxinha.value.publicId) \(diego.publicId) ok"
                    #expect(prompt.replyMarkup?.inlineKeyboard.first?.first?.callbackData == confirm)
                    live.telegram.pushCallback(confirm, from: LiveBot.admin)
                    let edited = try await live.telegram.waitFor("editMessageText", count: 1)
                    #expect(try edited[0].decode(EditMessageText.self).text.contains("Venda"))
                    try await live.telegram.waitFor("answerCallbackQuery", count: 1)
                    try await waitUntil("new_sale and inventory_update on the socket", seeing: { await frames.events }) {
                        $0.contains("new_sale") && $0.contains("inventory_update")
                    }
                    group.cancelAll()
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    @Test func aRestPurchaseCrossingTheThresholdAlertsTheAdmins() async throws {
        try await LiveBot.run { live, client, _ in
            let token = try await client.token(for: DemoShop.adminTelegramId, live.demo)
            let coxinha = try live.demo.product(named: "Coxinha").value
            let diego = try live.demo.user(DemoShop.userTelegramId)
            let quantity = coxinha.stock - coxinha.lowStockThreshold
            let purchase = try await client.json(.post, "/api/purchases", token: token, body: [
                "buyerId": diego.publicId, "items": [["productId": coxinha.publicId, "quantity": quantity]]])
            #expect(purchase.status == .created)
            for admin in [DemoShop.adminTelegramId, 5_656_225_308] {
                let messages = try await live.waitForMessages(to: admin, count: 1)
                let alert = try #require(messages.first { $0.text.contains("Estoque baixo") })
                #expect(alert.text.contains("Coxinha"))
                #expect(alert.replyMarkup?.inlineKeyboard.flatMap { $0 }.contains { $0.callbackData == "/estoque \(coxinha.publicId) +10" } == true)
            }
            #expect(live.sent(to: DemoShop.userTelegramId).allSatisfy { !$0.text.contains("Estoque baixo") }, "users are not told")
        }
    }

    @Test func orderWithAReceiptPhotoThenVerifiedTellsEveryone() async throws {
        try await LiveBot.run { live, _, _ in
            let placed = try await live.say("/pedido 2 coxinha", as: LiveBot.user)
            #expect(placed.text.contains("comprovante"))
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 120)
            let fileId = live.telegram.addFile(path: "photos/receipt.png", bytes: png)
            let before = live.sent(to: LiveBot.user.id).count
            live.telegram.push(Update(updateId: 0, message: Message(
                messageId: 900, from: LiveBot.user, chat: Chat(id: LiveBot.user.id, firstName: "Diego"), date: Int64(Date().timeIntervalSince1970),
                photo: [PhotoSize(fileId: "small", fileUniqueId: "s", width: 90, height: 90), PhotoSize(fileId: fileId, fileUniqueId: "b", width: 800, height: 800)])))
            let received = try await live.waitForMessages(to: LiveBot.user.id, count: before + 1)
            #expect(received.last?.text.contains("Comprovante recebido") == true)
            let order = try #require(try live.demo.shop.orders(as: .system()).items.first).value
            #expect(order.state == .receiptSubmitted)
            #expect(try live.demo.shop.media(try #require(order.receiptMediaId), as: .system()).bytes == png)
            // The admins hear of the order and of its receipt, with a button to the list.
            let adminMessages = try await live.waitForMessages(to: DemoShop.adminTelegramId, count: 2)
            #expect(adminMessages.contains { $0.text.contains("Comprovante") })
            let verified = try await live.say("/verificar \(order.publicId)", as: LiveBot.admin)
            #expect(verified.text.contains("verificado"))
            // The customer is told their order was verified.
            _ = try await live.waitForMessage(to: LiveBot.user.id, containing: "Pedido \(order.publicId) confirmado")
        }
    }

    @Test func aRoleChangeTellsThePersonAndChangesTheirMenu() async throws {
        try await LiveBot.run { live, client, _ in
            let token = try await client.token(for: DemoShop.ownerTelegramId, live.demo)
            try await live.telegram.waitFor("setMyCommands", count: 5)
            let diego = try live.demo.user(DemoShop.userTelegramId)
            let changed = try await client.json(.patch, "/api/users/\(diego.publicId)", token: token, body: ["role": "admin"])
            #expect(changed.status == .ok)
            let told = try await live.waitForMessages(to: diego.telegramId, count: 1)
            #expect(told.last?.text.contains("Seu acesso mudou") == true)
            let menus = try await live.telegram.waitFor("setMyCommands", count: 6)
            let diegosMenu = try #require(try menus.map { try $0.decode(SetMyCommands.self) }.last { $0.scope == .chat(diego.telegramId) })
            #expect(diegosMenu.commands.map(\.command) == CommandCatalog.commands(for: .admin).map(\.name))
        }
    }

    @Test func theBridgeAndTheChatAgree() async throws {
        try await LiveBot.run { live, client, _ in
            let lines: [(TelegramUser, String)] = [
                (LiveBot.user, "/commands"), (LiveBot.user, "/lista_produtos 2"), (LiveBot.user, "/dividas"), (LiveBot.user, "/estoque"),
                (LiveBot.user, "/buy 1 coxinha"), (LiveBot.admin, "/estoque"), (LiveBot.admin, "/dividas"), (LiveBot.admin, "/relatorios semana"),
                (LiveBot.admin, "/pedidos"), (LiveBot.admin, "/buy 1 coxinha @diegof"), (LiveBot.admin, "/buy 999 coxinha"),
                (LiveBot.admin, "/user"), (LiveBot.owner, "/user"), (LiveBot.owner, "/transactions"), (LiveBot.owner, "/smartcontract"),
                (LiveBot.owner, "/voar"),
            ]
            for (person, line) in lines {
                let token = try await client.token(for: person.id, live.demo)
                let parts = line.dropFirst().split(separator: " ", maxSplits: 1).map(String.init)
                let bridge = try await client.json(.post, "/api/commands/execute", token: token,
                                                   body: ["command": parts[0], "args": parts.count > 1 ? parts[1] : ""])
                let chat = try await live.say(line, as: person)
                if bridge.status == .ok {
                    #expect(bridge.json["text"] as? String == chat.text, "\(line) as \(person.firstName)")
                } else {
                    let message = (bridge.json["error"] as? [String: Any])?["message"] as? String
                    #expect(message.map { chat.text.contains($0) } == true, "\(line) as \(person.firstName): \(bridge.json) vs \(chat.text)")
                }
            }
        }
    }

    @Test func theBridgesCommandsAreAuditedWithTheCallersAddressAndUserAgent() async throws {
        try await LiveBot.run { live, client, _ in
            let token = try await client.token(for: DemoShop.userTelegramId, live.demo)
            let bridge = try await client.json(.post, "/api/commands/execute", token: token, body: ["command": "login", "args": ""],
                                               headers: [.userAgent: "ConsoleAgent/2", HTTPField.Name("X-Forwarded-For")!: "203.0.113.80"])
            #expect(bridge.status == .ok, "\(bridge.json)")
            let owner = try await client.token(for: DemoShop.ownerTelegramId, live.demo)
            let trail = try await client.json(.get, "/api/audit?limit=200", token: owner)
            let entry = try #require((trail.json["items"] as? [[String: Any]])?.first { $0["userAgent"] as? String == "ConsoleAgent/2" },
                                     "\(trail.json)")
            #expect(entry["command"] as? String == "issueLoginCode")
            // No proxy is trusted here, so the forwarded address is ignored and the peer's stands.
            #expect(entry["clientAddress"] as? String == "127.0.0.1")
        }
    }

    @Test func aWebSocketCommandLineAnswersAsTheChatDoes() async throws {
        try await LiveBot.run { live, client, port in
            let token = try await client.token(for: DemoShop.adminTelegramId, live.demo)
            let frames = Frames()
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws?token=\(token)", logger: Logger(label: "ws")) { inbound, outbound, _ in
                try await outbound.write(.text(#"{"type":"command","id":"c1","command":"estoque","args":""}"#))
                try await outbound.write(.text(#"{"type":"command","id":"c2","command":"/backup","args":""}"#))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { await frames.add(text) }
                    if await frames.count(type: "result") + frames.count(type: "error") >= 2 { break }
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
            let chat = try await live.say("/estoque", as: LiveBot.admin)
            let result = try object(try #require(await frames.first(type: "result")))
            #expect(result["id"] as? String == "c1" && result["ok"] as? Bool == true)
            #expect((result["data"] as? [String: Any])?["text"] as? String == chat.text)
            let refused = try object(try #require(await frames.first(type: "error")))
            #expect(refused["id"] as? String == "c2" && refused["code"] as? String == "forbidden")
        }
    }

    @Test func theWebhookRefusesAWrongSecretAndHandlesARightOne() async throws {
        try await LiveBot.run(webhook: true) { live, client, _ in
            let registered = try await live.telegram.waitFor("setWebhook", count: 1)
            let webhook = try registered[0].decode(SetWebhook.self)
            #expect(webhook.url == "https://shop.example/telegram/webhook")
            let secret = try #require(webhook.secretToken)
            func update(_ id: Int, _ text: String) -> ByteBuffer {
                ByteBuffer(string: #"{"update_id": \#(id), "message": {"message_id": \#(id), "from": {"id": \#(DemoShop.userTelegramId), "is_bot": false, "first_name": "Diego", "language_code": "pt-br"}, "chat": {"id": \#(DemoShop.userTelegramId), "type": "private"}, "date": 1605891721, "text": "\#(text)"}}"#)
            }
            // The refused deliveries say /start, the accepted one /dividas.
            for (n, wrong) in [nil, "nope", String(secret.dropLast()) + "x"].enumerated() {
                var headers = HTTPFields()
                if let wrong { headers[HTTPField.Name("X-Telegram-Bot-Api-Secret-Token")!] = wrong }
                let refused = try await client.execute(uri: "/telegram/webhook", method: .post, headers: headers, body: update(5001 + n, "/start")) { $0.status }
                #expect(refused == .unauthorized)
            }
            var headers = HTTPFields()
            headers[HTTPField.Name("X-Telegram-Bot-Api-Secret-Token")!] = secret
            let accepted = try await client.execute(uri: "/telegram/webhook", method: .post, headers: headers, body: update(5010, "/dividas")) { $0.status }
            #expect(accepted == .ok)
            _ = try await live.waitForMessage(to: DemoShop.userTelegramId, containing: "deve")
            // Deliveries are handled in arrival order and a chat's replies go out in order, so
            // had a refused one been handled, its greeting would have been sent before this.
            #expect(live.sent(to: DemoShop.userTelegramId).map(\.text).count == 1, "a refused delivery is not handled: \(live.sent(to: DemoShop.userTelegramId).map(\.text))")
            #expect(live.telegram.calls(of: "getUpdates").isEmpty, "no long polling while the webhook is set")
        }
    }
}

func object(_ json: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
}

/// WebSocket frames a test received, parsed as JSON objects.
actor Frames {
    private var frames: [[String: Any]] = []

    func add(_ text: String) {
        if let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] { frames.append(object) }
    }

    func count(type: String) -> Int { frames.filter { $0["type"] as? String == type }.count }

    /// The first frame of a type, as its JSON text.
    func first(type: String) -> String? {
        frames.first { $0["type"] as? String == type }.flatMap { try? JSONSerialization.data(withJSONObject: $0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The names of the events received, in order.
    var events: [String] {
        frames.filter { $0["type"] as? String == "event" }.compactMap { $0["event"] as? String }
    }
}
