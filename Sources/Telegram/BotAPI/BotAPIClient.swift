import AsyncHTTPClient
import Foundation
import NIOCore

/// Calls the Telegram Bot API over HTTPS: `<base>/bot<token>/<method>` with a JSON body.
///
/// ```swift
/// let client = BotAPIClient(token: settings.token, baseURL: settings.apiBaseURL)
/// let me = try await client.getMe()
/// let sent = try await client.sendMessage(SendMessage(chatId: 42, text: "Olá, <b>Ana</b>",
///     replyMarkup: InlineKeyboardMarkup([[.callback("Comprar", data: "buy:p3:1")]])))
/// ```
///
/// Every call throws a ``BotAPIError`` (or `CancellationError` when the task is cancelled).
/// The token is part of every URL, so neither URLs nor the token ever appear in errors or logs.
/// The client holds no state of its own: copies share the `HTTPClient`, and it is the owner
/// of that `HTTPClient` (by default the process-wide `HTTPClient.shared`) who shuts it down.
public struct BotAPIClient: Sendable {
    /// The API's address without a trailing slash, `https://api.telegram.org` by default.
    public let baseURL: String
    private let token: String
    private let httpClient: HTTPClient
    /// How long a call may take, long polls excepted (they get their `timeout` plus this).
    public var requestTimeout: Duration
    /// The largest answer read; Bot API JSON answers are far smaller.
    static let answerLimit = 16 << 20

    /// Creates a client; `baseURL` is Telegram's own, a local Bot API server or a test stand-in.
    public init(token: String, baseURL: String = BotAPIClient.telegramURL, httpClient: HTTPClient = .shared,
                requestTimeout: Duration = .seconds(30)) {
        self.token = token
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.httpClient = httpClient
        self.requestTimeout = requestTimeout
    }

    public static let telegramURL = "https://api.telegram.org"

    // MARK: Calls

    /// Calls `method` and decodes its result.
    public func call<M: BotAPIMethod>(_ method: M) async throws -> M.Result {
        try method.validate()
        let body = try Self.encode(method)
        let answer = try await post(M.name, body: body, timeout: requestTimeout + longPollTime(method))
        return try Self.result(of: (answer.status, answer.bytes), as: M.Result.self)
    }

    /// Calls `method` and answers, beside its outcome, the clock of the server that answered:
    /// its `Date` header, to the second (nil when it sent none or an unreadable one).
    ///
    /// For `tenda doctor`, which judges this machine's clock by Telegram's even when the call
    /// is refused (a wrong token still gets a dated 401). Throws only when no answer came
    /// (``BotAPIError/network(_:)``) or the request could not be made.
    public func callReadingServerClock<M: BotAPIMethod>(_ method: M) async throws -> (outcome: Result<M.Result, BotAPIError>, serverDate: Date?) {
        try method.validate()
        let answer = try await post(M.name, body: try Self.encode(method), timeout: requestTimeout + longPollTime(method))
        let serverDate = answer.date.flatMap(HTTPDate.parse)
        do {
            return (.success(try Self.result(of: (answer.status, answer.bytes), as: M.Result.self)), serverDate)
        } catch let error as BotAPIError {
            return (.failure(error), serverDate)
        }
    }

    /// Calls `method` with a JSON body made earlier (the outbox's stored calls); succeeds when
    /// Telegram answers `"ok": true`, whatever the result.
    public func call(method: String, json body: [UInt8]) async throws {
        let answer = try await post(method, body: body, timeout: requestTimeout)
        _ = try Self.result(of: (answer.status, answer.bytes), as: IgnoredResult.self)
    }

    /// Downloads a file by the `filePath` that ``getFile(_:)`` gave: `<base>/file/bot<token>/<path>`.
    ///
    /// Throws ``BotAPIError/malformedAnswer(status:_:)`` for a status other than 200 (an
    /// expired path gives 404) and when the file is larger than `maxBytes`.
    public func downloadFile(path: String, maxBytes: Int = 20 << 20) async throws -> [UInt8] {
        let request = HTTPClientRequest(url: "\(baseURL)/file/bot\(token)/\(path)")
        let (status, bytes, _) = try await send(request, timeout: requestTimeout, limit: maxBytes)
        guard status == 200 else { throw BotAPIError.malformedAnswer(status: status, "file download answered \(status)") }
        return bytes
    }

    // MARK: The methods Tenda uses

    /// The bot's own user.
    public func getMe() async throws -> TelegramUser { try await call(GetMe()) }

    /// Updates after `offset`, holding the request open up to `timeout` seconds when there are none.
    public func getUpdates(offset: Int64?, timeout: Int = 0, limit: Int? = nil,
                           allowedUpdates: [String] = Update.handledKinds) async throws -> [Update] {
        try await call(GetUpdates(offset: offset, limit: limit, timeout: timeout, allowedUpdates: allowedUpdates))
    }

    /// Sends a message; prefer the outbox for anything that must not be lost.
    public func sendMessage(_ message: SendMessage) async throws -> Message { try await call(message) }

    /// Edits a message's text and keyboard.
    public func editMessageText(_ edit: EditMessageText) async throws -> Message { try await call(edit) }

    /// Answers a button tap, optionally with a toast or an alert.
    public func answerCallbackQuery(_ id: String, text: String? = nil, showAlert: Bool? = nil) async throws {
        _ = try await call(AnswerCallbackQuery(callbackQueryId: id, text: text, showAlert: showAlert))
    }

    /// Sets the command menu for a scope.
    public func setMyCommands(_ commands: [BotCommand], scope: BotCommandScope = .default, languageCode: String? = nil) async throws {
        _ = try await call(SetMyCommands(commands: commands, scope: scope, languageCode: languageCode))
    }

    /// Removes a scope's command menu.
    public func deleteMyCommands(scope: BotCommandScope = .default, languageCode: String? = nil) async throws {
        _ = try await call(DeleteMyCommands(scope: scope, languageCode: languageCode))
    }

    /// Sets the menu button of one private chat, or everyone's default when `chatId` is nil.
    public func setChatMenuButton(_ button: MenuButton, chatId: Int64? = nil) async throws {
        _ = try await call(SetChatMenuButton(chatId: chatId, menuButton: button))
    }

    /// Has Telegram POST updates to `url` with `secret` in every request's header.
    public func setWebhook(url: String, secret: WebhookSecret, allowedUpdates: [String] = Update.handledKinds,
                           dropPendingUpdates: Bool? = nil) async throws {
        _ = try await call(SetWebhook(url: url, secretToken: secret.token, allowedUpdates: allowedUpdates,
                                      dropPendingUpdates: dropPendingUpdates))
    }

    /// Stops webhook delivery, so that `getUpdates` works.
    public func deleteWebhook(dropPendingUpdates: Bool? = nil) async throws {
        _ = try await call(DeleteWebhook(dropPendingUpdates: dropPendingUpdates))
    }

    /// Where to download a file that arrived in a message.
    public func getFile(_ fileId: String) async throws -> TelegramFile { try await call(GetFile(fileId: fileId)) }

    // MARK: Transport

    /// A long poll is held open by Telegram for its `timeout`, on top of the usual time.
    private func longPollTime<M: BotAPIMethod>(_ method: M) -> Duration {
        guard let poll = method as? GetUpdates, let seconds = poll.timeout else { return .zero }
        return .seconds(seconds)
    }

    /// POSTs a JSON body to a method and returns the answer's status, bytes and `Date` header.
    private func post(_ method: String, body: [UInt8], timeout: Duration) async throws -> (status: Int, bytes: [UInt8], date: String?) {
        var request = HTTPClientRequest(url: "\(baseURL)/bot\(token)/\(method)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Content-Length", value: String(body.count))
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await send(request, timeout: timeout, limit: Self.answerLimit)
    }

    /// Sends a request and reads its whole answer, turning transport failures into ``BotAPIError/network(_:)``.
    private func send(_ request: HTTPClientRequest, timeout: Duration, limit: Int) async throws -> (status: Int, bytes: [UInt8], date: String?) {
        do {
            let response = try await httpClient.execute(request, timeout: .nanoseconds(Self.nanoseconds(timeout)))
            let body = try await response.body.collect(upTo: limit)
            return (Int(response.status.code), Array(buffer: body), response.headers.first(name: "Date"))
        } catch let error as NIOTooManyBytesError {
            throw BotAPIError.malformedAnswer(status: 200, "answer larger than \(limit) bytes: \(error)")
        } catch {
            try Task.checkCancellation()
            throw BotAPIError.network(redacted(String(describing: error)))
        }
    }

    /// Decodes an answer's envelope: its result, or the refusal it carries.
    static func result<R: Codable & Sendable>(of answer: (status: Int, bytes: [UInt8]), as: R.Type) throws -> R {
        let envelope: BotAPIAnswer<R>
        do {
            envelope = try JSONDecoder().decode(BotAPIAnswer<R>.self, from: Data(answer.bytes))
        } catch {
            throw BotAPIError.malformedAnswer(status: answer.status, String(describing: error))
        }
        guard envelope.ok else {
            throw BotAPIError.refused(BotAPIRefusal(
                errorCode: envelope.errorCode ?? answer.status, description: envelope.description ?? "",
                retryAfter: envelope.parameters?.retryAfter, migrateToChatId: envelope.parameters?.migrateToChatId))
        }
        if let result = envelope.result { return result }
        if let nothing = IgnoredResult() as? R { return nothing }
        throw BotAPIError.malformedAnswer(status: answer.status, "\"ok\": true without a result")
    }

    /// The JSON body of a method call.
    public static func encode<M: BotAPIMethod>(_ method: M) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(method))
        } catch {
            throw BotAPIError.invalidRequest("\(M.name) could not be encoded: \(error)")
        }
    }

    /// Removes the token from a message that might quote a URL.
    private func redacted(_ message: String) -> String {
        token.isEmpty ? message : message.replacingOccurrences(of: token, with: "<token>")
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
