import Foundation
import Logging
import Shop
import Store
import Telegram

/// Turns Telegram updates into the conversation's commands and queues the replies in the
/// outbox: the chat's side of the bot. It knows Telegram (updates, keyboards, photos); the
/// conversation knows the shop.
public struct ChatHandler: Sendable {
    public let conversation: Conversation
    public let outbox: Outbox
    let client: BotAPIClient
    let logger: Logger

    public init(conversation: Conversation, outbox: Outbox, client: BotAPIClient, logger: Logger = Logger(label: "tenda.bot")) {
        self.conversation = conversation
        self.outbox = outbox
        self.client = client
        self.logger = logger
    }

    var shop: Shop { conversation.shop }

    /// Handles one update; failures are answered in the chat or logged, never thrown.
    public func handle(_ update: Update) async {
        if let callback = update.callbackQuery {
            await handle(callback)
        } else if let message = update.message, let from = message.from, from.isBot != true {
            await handle(message, from: from)
        }
    }

    // MARK: Messages

    private func handle(_ message: Message, from: TelegramUser) async {
        let language = Language(code: from.languageCode)
        let chat = message.chat
        let principal: Principal
        do {
            principal = try await identify(from)
        } catch {
            await send(conversation.reply(to: error, language), to: chat)
            return
        }
        if let text = message.text, let request = ChatRequest(line: text, principal: principal, language: language) {
            await send(await conversation.run(request), to: chat)
        } else if let fileId = message.photo?.max(by: { $0.width * $0.height < $1.width * $1.height })?.fileId
                    ?? message.document.flatMap({ $0.mimeType?.hasPrefix("image/") == true ? $0.fileId : nil }) {
            await send(await receipt(fileId, principal: principal, language: language), to: chat)
        } else if let text = message.text {
            await send(await conversation.continueDialogue(text, principal: principal, language: language), to: chat)
        }
    }

    /// Fetches a photo from Telegram and hands it to the order waiting for its receipt.
    private func receipt(_ fileId: String, principal: Principal, language: Language) async -> Reply {
        do {
            let file = try await client.getFile(fileId)
            guard let path = file.filePath else { throw BotAPIError.invalidRequest("the file has no path") }
            let bytes = try await client.downloadFile(path: path, maxBytes: UploadMedia.maxSize)
            return await conversation.attachReceipt(bytes, principal: principal, language: language)
        } catch {
            logger.warning("receipt download failed: \(error)")
            return conversation.refusal(ShopError(.storeFailure, "download failed"), language.pick(
                "Não consegui baixar a foto; envie de novo, por favor.", "I could not download the photo; please send it again."))
        }
    }

    // MARK: Buttons

    private func handle(_ callback: CallbackQuery) async {
        let language = Language(code: callback.from.languageCode)
        let data = callback.data ?? ""
        var notice: String?
        defer {
            // Every callback is answered, or the person's button keeps spinning.
            let answer = AnswerCallbackQuery(callbackQueryId: callback.id, text: notice)
            let chat = callback.message?.chat.id ?? callback.from.id
            Task {
                do {
                    try await outbox.environment.write { txn in try outbox.enqueue(answer, chat: chat, paced: false, in: txn) }
                } catch let error as StoreError where error.code == .storageFull {
                    await sendUnqueued(answer)
                } catch {}
            }
        }
        guard let message = callback.message else { return }
        if data == Conversation.cancelLine {
            await edit(message, Reply(text: language.pick("Cancelado.", "Cancelled.")))
            return
        }
        do {
            let principal = try await identify(callback.from)
            guard var request = ChatRequest(line: data, principal: principal, language: language) else { return }
            // A double tap sends the same callback twice: the key makes the second a replay.
            request.idempotencyKey = "tg:\(message.chat.id):\(message.messageId):\(data)"
            let reply = await conversation.run(request)
            notice = reply.failure.map { _ in String(reply.plainText.prefix(190)) }
            if Self.editsInPlace(data) {
                await edit(message, reply)
            } else {
                await send(reply, to: message.chat)
            }
        } catch {
            notice = (error as? ShopError).map { conversation.explain($0, language) } ?? "⚠️"
        }
    }

    /// Paging, confirming and building a cart change the message the button is on; other
    /// buttons answer with a new message.
    static func editsInPlace(_ line: String) -> Bool {
        line.hasPrefix("/lista_produtos") || line.hasPrefix("/pedido") || line.hasSuffix(" ok")
    }

    // MARK: Who is writing

    /// The shop's user for a Telegram account: created on first sight, and their name,
    /// username and language kept current (written only when one changed).
    func identify(_ from: TelegramUser) async throws -> Principal {
        let identity = TelegramIdentity(telegramId: from.id, firstName: from.firstName, lastName: from.lastName,
                                        username: from.username, languageCode: from.languageCode)
        if let known = try shop.user(telegramId: from.id, as: .system(.bot)), !known.value.blocked,
           known.value.name == identity.displayName, known.value.username == from.username,
           (from.languageCode ?? known.value.language) == known.value.language {
            return .user(known.key, via: .bot)
        }
        let user = try await shop.execute(SeeTelegramUser(identity: identity), as: .anonymous(via: .bot))
        return .user(user.id, via: .bot)
    }

    // MARK: Sending

    func send(_ reply: Reply, to chat: Chat) async {
        await queue(SendMessage(chatId: chat.id, text: Self.fit(reply.text), replyMarkup: Self.keyboard(reply.keyboard, privateChat: chat.isPrivate)))
    }

    private func edit(_ message: Message, _ reply: Reply) async {
        await queue(EditMessageText(chatId: message.chat.id, messageId: message.messageId, text: Self.fit(reply.text),
                                    replyMarkup: Self.keyboard(reply.keyboard, privateChat: message.chat.isPrivate)))
    }

    private func queue<M: ChatMessageMethod>(_ call: M) async {
        do {
            try await outbox.enqueue(call)
        } catch let error as StoreError where error.code == .storageFull {
            await sendUnqueued(call)
        } catch {
            logger.error("could not queue \(M.name) for chat \(call.chatId): \(error)")
        }
    }

    /// Sends a call at once, without the outbox: for when the store has no room for the
    /// outbox's entry, so that the person still hears why their command was refused. Best
    /// effort: not retried, not paced, and it may overtake the chat's queued messages.
    private func sendUnqueued<M: BotAPIMethod>(_ call: M) async {
        do {
            _ = try await client.call(call)
        } catch {
            logger.notice("the store is full and \(M.name) could not be sent directly either: \(error)")
        }
    }

    /// Telegram takes at most 4,096 characters; longer lists are cut at a line.
    static func fit(_ text: String) -> String {
        guard text.count > 4_000 else { return text }
        let cut = text.prefix(4_000)
        return String(cut[..<(cut.lastIndex(of: "\n") ?? cut.endIndex)]) + "\n…"
    }

    /// The reply's buttons as Telegram's inline keyboard. Telegram refuses links it cannot
    /// open (plain http, localhost) and `web_app` buttons outside private chats, so those
    /// are left out rather than lose the whole message; so are lines over 64 bytes.
    static func keyboard(_ rows: [[ReplyButton]], privateChat: Bool) -> InlineKeyboardMarkup? {
        let converted: [[InlineKeyboardButton]] = rows.map { row in
            row.compactMap { button in
                switch button.action {
                case .command(let line):
                    line.utf8.count <= 64 ? InlineKeyboardButton(text: button.text, callbackData: line) : nil
                case .webApp(let url):
                    !url.hasPrefix("https://") ? nil
                        : privateChat ? InlineKeyboardButton(text: button.text, webApp: WebAppInfo(url: url))
                        : InlineKeyboardButton(text: button.text, url: url)
                case .url(let url):
                    url.hasPrefix("https://") ? InlineKeyboardButton(text: button.text, url: url) : nil
                }
            }
        }.filter { !$0.isEmpty }
        return converted.isEmpty ? nil : InlineKeyboardMarkup(converted)
    }
}
