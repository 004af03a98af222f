import Foundation
import Telegram
import Testing

@Suite(.timeLimit(.minutes(1))) struct BotAPIClientTests {
    static let ana = TelegramUser(id: 436_432_850, firstName: "Ana", username: "ana", languageCode: "pt", isBot: false)

    @Test func getMeAnswersTheBotsOwnUser() async throws {
        let telegram = try await StandInBotAPI.start()
        let me = try await telegram.client.getMe()
        #expect(me == StandInBotAPI.bot)
        await telegram.stop()
    }

    @Test func sendMessageSendsHTMLAndAnInlineKeyboardAndAnswersTheMessage() async throws {
        let telegram = try await StandInBotAPI.start()
        let keyboard = InlineKeyboardMarkup([
            [.callback("Comprar", data: "buy:p3:1"), .webApp("Abrir loja", url: "https://shop.example/app")],
            [.login("Painel", url: "https://shop.example/login")],
        ])
        let first = try await telegram.client.sendMessage(SendMessage(chatId: 42, text: "<b>Coxinha</b> R$ 6,00", replyMarkup: keyboard))
        let second = try await telegram.client.sendMessage(SendMessage(chatId: 42, text: "de novo", parseMode: nil))

        #expect(first.chat.id == 42 && first.text == "<b>Coxinha</b> R$ 6,00")
        #expect(second.messageId > first.messageId)
        let call = try #require(telegram.answered("sendMessage").first)
        #expect(call["parse_mode"]?.string == "HTML")
        #expect(call["chat_id"]?.int == 42)
        let rows = try #require(call["reply_markup"]?["inline_keyboard"]?.array)
        #expect(rows[0].array?[0]["callback_data"]?.string == "buy:p3:1")
        #expect(rows[0].array?[1]["web_app"]?["url"]?.string == "https://shop.example/app")
        #expect(rows[1].array?[0]["login_url"]?["url"]?.string == "https://shop.example/login")
        #expect(try call.decode(SendMessage.self).replyMarkup == keyboard)
        #expect(telegram.answered("sendMessage")[1]["parse_mode"] == nil)
        await telegram.stop()
    }

    @Test func callbackDataOutsideOneTo64BytesIsRefusedBeforeSending() async throws {
        let telegram = try await StandInBotAPI.start()
        for data in ["", String(repeating: "é", count: 33)] {
            let message = SendMessage(chatId: 42, text: "x", replyMarkup: InlineKeyboardMarkup([[.callback("b", data: data)]]))
            await #expect(throws: BotAPIError.self) { try await telegram.client.sendMessage(message) }
        }
        let longest = SendMessage(chatId: 42, text: "x", replyMarkup: InlineKeyboardMarkup([[.callback("b", data: String(repeating: "a", count: 64))]]))
        _ = try await telegram.client.sendMessage(longest)
        #expect(telegram.calls(of: "sendMessage").count == 1)
        await telegram.stop()
    }

    @Test func editAnswerMenusAndWebhookCallsReachTheAPIWithTheirFields() async throws {
        let telegram = try await StandInBotAPI.start()
        let client = telegram.client
        let edited = try await client.editMessageText(EditMessageText(chatId: 42, messageId: 7, text: "Pago ✅"))
        #expect(edited.messageId == 7 && edited.text == "Pago ✅")
        try await client.answerCallbackQuery("cq1", text: "Anotado")
        try await client.setMyCommands([BotCommand("estoque", "Ver o estoque")])
        try await client.setMyCommands([BotCommand("vendas", "Vendas do dia")], scope: .chat(2_329_673_195))
        try await client.deleteMyCommands(scope: .chat(2_329_673_195))
        try await client.setChatMenuButton(.webApp(text: "Loja", url: "https://shop.example/app"), chatId: 42)
        let secret = WebhookSecret.generate()
        try await client.setWebhook(url: "https://shop.example/telegram/webhook", secret: secret)
        #expect(telegram.webhook == .init(url: "https://shop.example/telegram/webhook", secretToken: secret.token,
                                          allowedUpdates: ["message", "callback_query"]))
        try await client.deleteWebhook()
        #expect(telegram.webhook == nil)

        #expect(telegram.answered("answerCallbackQuery")[0]["callback_query_id"]?.string == "cq1")
        let menus = telegram.answered("setMyCommands")
        #expect(menus[0]["scope"]?["type"]?.string == "default")
        #expect(menus[1]["scope"]?["type"]?.string == "chat" && menus[1]["scope"]?["chat_id"]?.int == 2_329_673_195)
        #expect(try menus[1].decode(SetMyCommands.self).commands == [BotCommand("vendas", "Vendas do dia")])
        #expect(try telegram.answered("deleteMyCommands")[0].decode(DeleteMyCommands.self).scope == .chat(2_329_673_195))
        let button = try #require(telegram.answered("setChatMenuButton").first)
        #expect(button["menu_button"]?["type"]?.string == "web_app")
        #expect(button["menu_button"]?["web_app"]?["url"]?.string == "https://shop.example/app")
        #expect(telegram.answered("setWebhook")[0]["secret_token"]?.string == secret.token)
        await telegram.stop()
    }

    @Test func aWebhookMustBeHTTPS() async throws {
        let telegram = try await StandInBotAPI.start()
        await #expect(throws: BotAPIError.invalidRequest("a webhook URL must be https, not http://shop.example/hook")) {
            try await telegram.client.setWebhook(url: "http://shop.example/hook", secret: .generate())
        }
        #expect(telegram.calls().isEmpty)
        await telegram.stop()
    }

    @Test func getUpdatesReturnsQueuedUpdatesAndAnOffsetConfirmsThem() async throws {
        let telegram = try await StandInBotAPI.start()
        let first = telegram.pushMessage("/estoque", from: Self.ana)
        telegram.pushCallback("buy:p3:1", from: Self.ana)

        let updates = try await telegram.client.getUpdates(offset: nil)
        #expect(updates.count == 2)
        #expect(updates[0].message?.text == "/estoque" && updates[0].message?.from == Self.ana)
        #expect(updates[1].callbackQuery?.data == "buy:p3:1" && updates[1].updateId == first + 1)
        #expect(telegram.answered("getUpdates")[0]["allowed_updates"] == .array([.string("message"), .string("callback_query")]))

        let rest = try await telegram.client.getUpdates(offset: first + 1)
        #expect(rest.map(\.updateId) == [first + 1])
        #expect(telegram.unconfirmedUpdates.count == 1)
        await telegram.stop()
    }

    @Test func aLongPollWaitsForAnUpdate() async throws {
        let telegram = try await StandInBotAPI.start()
        let client = telegram.client
        let poll = Task { try await client.getUpdates(offset: nil, timeout: 10) }
        try await waitUntil("the long poll to reach the stand-in", seeing: { telegram.arrivals(of: "getUpdates") }) { $0 == 1 }
        let pushed = Date()
        telegram.pushMessage("oi", from: Self.ana)
        #expect(try await poll.value.map { $0.message?.text } == ["oi"])
        // The poll arrived before there was anything to answer, and answered once there was.
        #expect(try #require(telegram.answered("getUpdates").first).at < pushed)
        await telegram.stop()
    }

    @Test func getFileAndDownloadGiveTheFilesBytes() async throws {
        let telegram = try await StandInBotAPI.start()
        let bytes = Array("id,name\n1,coxinha\n".utf8)
        let fileId = telegram.addFile(path: "documents/file_3.csv", bytes: bytes)
        let file = try await telegram.client.getFile(fileId)
        #expect(file.filePath == "documents/file_3.csv" && file.fileSize == bytes.count)
        #expect(try await telegram.client.downloadFile(path: "documents/file_3.csv") == bytes)
        await #expect(throws: BotAPIError.malformedAnswer(status: 404, "file download answered 404")) {
            try await telegram.client.downloadFile(path: "documents/none.csv")
        }
        await #expect(throws: BotAPIError.refused(BotAPIRefusal(errorCode: 400, description: "Bad Request: invalid file_id"))) {
            try await telegram.client.getFile("nope")
        }
        await telegram.stop()
    }

    @Test func updatesAsTelegramSendsThemDecode() throws {
        let message = #"{"update_id": 31348350, "message": {"message_id": 44414, "from": {"id": 436432850, "is_bot": false, "first_name": "Ana", "username": "ana", "language_code": "pt"}, "chat": {"id": 436432850, "type": "private", "first_name": "Ana"}, "date": 1605891721, "text": "/estoque"}}"#
        let callback = #"{"update_id": 163399206, "callback_query": {"id": "1874464818486990916", "from": {"id": 436432850, "is_bot": false, "first_name": "Ana"}, "message": {"message_id": 1054, "chat": {"id": 436432850, "type": "private"}, "date": 1611138080, "text": "…"}, "chat_instance": "56656092177350901239", "data": "buy:p3:1"}}"#
        let photo = #"{"update_id": 5, "message": {"message_id": 9, "chat": {"id": -100200, "type": "supergroup", "title": "Cantina"}, "date": 1, "caption": "nova foto", "photo": [{"file_id": "a", "file_unique_id": "ua", "width": 90, "height": 90}, {"file_id": "b", "file_unique_id": "ub", "width": 800, "height": 800, "file_size": 64000}], "edit_date": 2}}"#
        let document = #"{"update_id": 6, "message": {"message_id": 10, "chat": {"id": 1, "type": "private"}, "date": 1, "document": {"file_id": "d", "file_unique_id": "ud", "file_name": "estoque.csv", "mime_type": "text/csv", "file_size": 120}}}"#
        let other = #"{"update_id": 7, "my_chat_member": {"chat": {"id": 1, "type": "private"}}}"#
        let decode = { (json: String) in try JSONDecoder().decode(Update.self, from: Data(json.utf8)) }

        let text = try decode(message)
        #expect(text.message?.text == "/estoque" && text.message?.from == Self.ana && text.message?.chat.isPrivate == true)
        let tap = try decode(callback)
        #expect(tap.callbackQuery?.data == "buy:p3:1" && tap.callbackQuery?.message?.messageId == 1054)
        let picture = try decode(photo)
        #expect(picture.message?.photo?.last?.fileId == "b" && picture.message?.caption == "nova foto")
        #expect(picture.message?.chat.isPrivate == false && picture.message?.chat.title == "Cantina")
        #expect(try decode(document).message?.document?.fileName == "estoque.csv")
        let unknown = try decode(other)
        #expect(unknown.message == nil && unknown.callbackQuery == nil && unknown.updateId == 7)
    }

    // MARK: Errors

    @Test func tooManyRequestsCarriesRetryAfterAndIsNotPermanent() async throws {
        let telegram = try await StandInBotAPI.start()
        telegram.failNext(1, with: .tooManyRequests(retryAfter: 3))
        let error = await #expect(throws: BotAPIError.self) {
            try await telegram.client.sendMessage(SendMessage(chatId: 42, text: "oi"))
        }
        #expect(error?.retryAfter == .seconds(3))
        #expect(error?.isPermanent == false)
        guard case .refused(let refusal) = error else { Issue.record("not a refusal: \(String(describing: error))"); return }
        #expect(refusal.errorCode == 429 && refusal.description == "Too Many Requests: retry after 3")
        await telegram.stop()
    }

    @Test func aBlockedBotIsAPermanentRefusal() async throws {
        let telegram = try await StandInBotAPI.start()
        telegram.failNext(1, with: .refused(code: 403, description: "Forbidden: bot was blocked by the user"))
        let error = await #expect(throws: BotAPIError.self) {
            try await telegram.client.sendMessage(SendMessage(chatId: 42, text: "oi"))
        }
        #expect(error == .refused(BotAPIRefusal(errorCode: 403, description: "Forbidden: bot was blocked by the user")))
        #expect(error?.isPermanent == true && error?.retryAfter == nil)
        await telegram.stop()
    }

    @Test func aWrongTokenIsRefusedButNotPermanentAndTheTokenIsNotInTheError() async throws {
        let telegram = try await StandInBotAPI.start()
        let client = BotAPIClient(token: "999:WRONG", baseURL: telegram.baseURL)
        let error = await #expect(throws: BotAPIError.self) { try await client.getMe() }
        #expect(error == .refused(BotAPIRefusal(errorCode: 401, description: "Unauthorized")))
        #expect(error?.isPermanent == false)
        #expect(!String(describing: error).contains("999:WRONG"))
        await telegram.stop()
    }

    @Test func aDroppedConnectionIsANetworkFailure() async throws {
        let telegram = try await StandInBotAPI.start()
        telegram.dropNext(1)
        let error = await #expect(throws: BotAPIError.self) { try await telegram.client.getMe() }
        guard case .network = error else { Issue.record("not a network failure: \(String(describing: error))"); return }
        #expect(error?.isPermanent == false)
        #expect(try await telegram.client.getMe() == StandInBotAPI.bot)
        await telegram.stop()
    }

    @Test func noServerIsANetworkFailureWithoutTheToken() async throws {
        // Nothing listens on port 1. AsyncHTTPClient retries a refused connection until the
        // request's deadline, so the failure comes after the timeout, here a short one.
        let client = BotAPIClient(token: "42:SECRET", baseURL: "http://127.0.0.1:1", requestTimeout: .seconds(1))
        let error = await #expect(throws: BotAPIError.self) { try await client.getMe() }
        guard case .network(let reason) = error else { Issue.record("not a network failure: \(String(describing: error))"); return }
        #expect(!reason.contains("42:SECRET"))
    }

    @Test func anAnswerThatIsNotTheBotAPIsIsMalformed() async throws {
        let telegram = try await StandInBotAPI.start()
        // Under /file there is no Bot API: whatever answers is not its envelope.
        telegram.addFile(path: "x.txt", bytes: Array("not json".utf8))
        let client = BotAPIClient(token: telegram.token, baseURL: telegram.baseURL + "/file")
        let error = await #expect(throws: BotAPIError.self) { try await client.call(method: "x.txt", json: []) }
        guard case .malformedAnswer = error else { Issue.record("not malformed: \(String(describing: error))"); return }
        #expect(error?.isPermanent == false)
        await telegram.stop()
    }
}
