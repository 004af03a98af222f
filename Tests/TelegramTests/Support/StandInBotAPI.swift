import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Telegram

/// A stand-in for the Telegram Bot API on a free loopback port: enough of it to run the bot
/// against (long polling, messages, menus, webhooks, files), recording every call it gets.
///
/// ```swift
/// let telegram = try await StandInBotAPI.start()
/// defer { Task { await telegram.stop() } }
/// let client = telegram.client              // a BotAPIClient pointed at it
/// telegram.pushMessage("/estoque", from: ana)
/// let sent = try await telegram.waitFor("sendMessage", count: 1)
/// #expect(sent[0]["text"]?.string == "…")
/// telegram.failNext(2, with: .tooManyRequests(retryAfter: 1))
/// telegram.dropNext(1)
/// ```
///
/// The Bot API client's tests (TelegramTests) own it; BotTests and benchmarks' `bot-bench`
/// share it through symbolic links, so it imports nothing test-only. Its state is behind one
/// lock (`state`), taken briefly by the server's handlers and the test alike.
final class StandInBotAPI: Sendable {
    static let defaultToken = "123456:STAND-IN"
    /// The bot the stand-in answers `getMe` with and signs sent messages as.
    static let bot = TelegramUser(id: 123_456, firstName: "Tenda", username: "tenda_test_bot", isBot: true)

    /// Where to point a ``BotAPIClient``: `http://127.0.0.1:<port>`.
    let baseURL: String
    let token: String
    private let state: Mutex<State>
    private let server: Task<Void, any Error>

    /// One call as received, with how it was answered.
    struct Call: Sendable {
        enum Outcome: Sendable, Equatable {
            case answered
            /// Answered `"ok": false` with this code (a failure the test asked for, or a bad call).
            case refused(Int)
            /// The connection was closed without an answer.
            case dropped
        }

        let method: String
        let body: [UInt8]
        /// When it arrived.
        let at: Date
        let outcome: Outcome

        /// The body's top-level JSON fields.
        var json: [String: JSON] {
            (try? JSONDecoder().decode([String: JSON].self, from: Data(body))) ?? [:]
        }

        /// One top-level field of the body.
        subscript(field: String) -> JSON? { json[field] }

        /// The body decoded as a method's parameters.
        func decode<M: Decodable>(_: M.Type) throws -> M {
            try JSONDecoder().decode(M.self, from: Data(body))
        }
    }

    /// A failure to answer the next calls with, as Telegram would.
    enum Failure: Sendable {
        case tooManyRequests(retryAfter: Int)
        /// Any refusal, for example `(403, "Forbidden: bot was blocked by the user")`.
        case refused(code: Int, description: String)
    }

    /// What `setWebhook` last set.
    struct Webhook: Sendable, Equatable {
        let url: String
        let secretToken: String?
        let allowedUpdates: [String]?
    }

    private struct State {
        var calls: [Call] = []
        /// The method of every call that arrived, in arrival order, answered or not yet.
        var arrivals: [String] = []
        /// Updates not yet confirmed by a `getUpdates` offset, in id order.
        var updates: [Update] = []
        var nextUpdateId: Int64 = 1
        var nextMessageId: Int64 = 1
        /// The highest offset a `getUpdates` confirmed with.
        var confirmedOffset: Int64 = 0
        var webhook: Webhook?
        var files: [String: (path: String, bytes: [UInt8])] = [:]
        var failures: [(method: String?, failure: Failure)] = []
        var drops: [String?] = []
    }

    private init(baseURL: String, token: String, server: Task<Void, any Error>) {
        self.baseURL = baseURL
        self.token = token
        self.state = Mutex(State())
        self.server = server
    }

    /// Starts a stand-in on 127.0.0.1 and a free port; returns once it accepts connections.
    ///
    /// `channelHandlers` go into each connection's pipeline after HTTP decoding, for what the
    /// router cannot change: TendaCLITests' `ServerClock` sets the `Date` header, which
    /// Hummingbird writes after every handler, to play a Telegram whose clock differs from ours.
    static func start(token: String = defaultToken,
                      channelHandlers: @escaping @Sendable () -> [any RemovableChannelHandler] = { [] }) async throws -> StandInBotAPI {
        let box = Box()
        let (bound, boundPort) = AsyncStream.makeStream(of: Int.self)
        let router = Router()
        router.post(":bot/:method") { request, context in
            let method = try context.parameters.require("method")
            guard context.parameters.get("bot") == "bot" + token else { return Self.unauthorized() }
            let body = Array(buffer: try await request.body.collect(upTo: 1 << 20))
            return try await box.standIn.answer(method, body: body)
        }
        router.get("file/:bot/**") { _, context in
            guard context.parameters.get("bot") == "bot" + token else { return Response(status: .notFound) }
            let path = context.parameters.getCatchAll().joined(separator: "/")
            guard let bytes = try box.standIn.fileBytes(path: path) else { return Response(status: .notFound) }
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        let app = Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: channelHandlers())),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "stand-in-bot-api"),
            onServerRunning: { channel in
                boundPort.yield(channel.localAddress?.port ?? 0)
                boundPort.finish()
            },
            logger: Logger(label: "stand-in-bot-api", factory: { _ in SwiftLogNoOpLogHandler() }))
        let server = Task { try await app.run() }
        var ports = bound.makeAsyncIterator()
        guard let port = await ports.next(), port > 0 else {
            server.cancel()
            throw BotAPIError.network("the stand-in Bot API did not start")
        }
        let standIn = StandInBotAPI(baseURL: "http://127.0.0.1:\(port)", token: token, server: server)
        box.set(standIn)
        return standIn
    }

    /// Stops the server.
    func stop() async {
        server.cancel()
        _ = await server.result
    }

    /// A client pointed at the stand-in, with a short request timeout so tests fail rather than hang.
    var client: BotAPIClient {
        BotAPIClient(token: token, baseURL: baseURL, requestTimeout: .seconds(10))
    }

    // MARK: What the test gives

    /// Queues an update for `getUpdates`; an id of 0 is replaced by the next free one. Returns the id.
    @discardableResult
    func push(_ update: Update) -> Int64 {
        state.withLock { state in
            var update = update
            if update.updateId == 0 { update.updateId = state.nextUpdateId }
            state.nextUpdateId = max(state.nextUpdateId, update.updateId + 1)
            state.updates.append(update)
            return update.updateId
        }
    }

    /// Queues a text message from `user` in their private chat (or in `chat`).
    @discardableResult
    func pushMessage(_ text: String, from user: TelegramUser, chat: Chat? = nil) -> Int64 {
        let chat = chat ?? Chat(id: user.id, firstName: user.firstName)
        let message = Message(messageId: nextMessageId(), from: user, chat: chat, date: Self.now(), text: text)
        return push(Update(updateId: 0, message: message))
    }

    /// Queues a tap by `user` on a button with `data`, under `message` (by default one the bot sent them).
    @discardableResult
    func pushCallback(_ data: String, from user: TelegramUser, message: Message? = nil) -> Int64 {
        let message = message ?? Message(messageId: nextMessageId(), from: Self.bot, chat: Chat(id: user.id, firstName: user.firstName),
                                          date: Self.now(), text: "…")
        let query = CallbackQuery(id: "cq\(nextMessageId())", from: user, message: message,
                                  chatInstance: "ci\(user.id)", data: data)
        return push(Update(updateId: 0, callbackQuery: query))
    }

    /// Makes a file available to `getFile` and download; returns its `file_id`.
    @discardableResult
    func addFile(path: String, bytes: [UInt8]) -> String {
        let fileId = "file-\(path)"
        state.withLock { $0.files[fileId] = (path, bytes) }
        return fileId
    }

    /// Answers the next `count` calls (of `method`, or of any method) with `failure`.
    func failNext(_ count: Int, with failure: Failure, method: String? = nil) {
        state.withLock { $0.failures += Array(repeating: (method, failure), count: count) }
    }

    /// Closes the connection without an answer on the next `count` calls (of `method`, or of any method).
    func dropNext(_ count: Int, method: String? = nil) {
        state.withLock { $0.drops += Array(repeating: method, count: count) }
    }

    // MARK: What the test reads

    /// Every call received (of `method`, or all), whatever it was answered, in arrival order.
    func calls(of method: String? = nil) -> [Call] {
        state.withLock { state in state.calls.filter { method == nil || $0.method == method } }
    }

    /// How many calls of `method` have arrived, including any not answered yet (a long poll
    /// still waiting for an update).
    func arrivals(of method: String) -> Int {
        state.withLock { state in state.arrivals.count { $0 == method } }
    }

    /// The calls of `method` answered `"ok": true`: what Telegram would have acted on.
    func answered(_ method: String) -> [Call] {
        calls(of: method).filter { $0.outcome == .answered }
    }

    /// Waits (at most `timeout`) until `count` calls of `method` were answered `"ok": true`; returns them all.
    /// The deadline is patience, not a speed check: the outbox paces a chat at about one message
    /// a second, so ten messages to two chats take five seconds alone, and a loaded CI machine
    /// (every suite starts at once) took more than ten once.
    @discardableResult
    func waitFor(_ method: String, count: Int, timeout: Duration = .seconds(30)) async throws -> [Call] {
        try await waitUntil(count, timeout, "\(method) calls answered") { self.answered(method) }
    }

    /// Waits (at most `timeout`) until `count` calls of `method` arrived, however they were answered.
    @discardableResult
    func waitForCalls(of method: String, count: Int, timeout: Duration = .seconds(30)) async throws -> [Call] {
        try await waitUntil(count, timeout, "\(method) calls") { self.calls(of: method) }
    }

    /// Polls for the calls; at the deadline throws an error that says what it waited for and
    /// what came. The stand-in is shared with the benchmarks, so it cannot record a test issue
    /// itself; the error, thrown out of the test, fails it just as loudly.
    private func waitUntil(_ count: Int, _ timeout: Duration, _ what: String, _ current: () -> [Call]) async throws -> [Call] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let found = current()
            if found.count >= count { return found }
            guard ContinuousClock.now < deadline else {
                throw BotAPIError.network("waited \(timeout) for \(count) \(what); got \(found.count): \(found.map(\.outcome)); every call: \(calls().map(\.method))")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The highest offset a `getUpdates` confirmed updates with (0 before any).
    var confirmedOffset: Int64 { state.withLock { $0.confirmedOffset } }

    /// Updates pushed and not yet confirmed.
    var unconfirmedUpdates: [Update] { state.withLock { $0.updates } }

    /// The webhook `setWebhook` set, until `deleteWebhook`.
    var webhook: Webhook? { state.withLock { $0.webhook } }

    // MARK: Answering

    private func answer(_ method: String, body: [UInt8]) async throws -> Response {
        let arrived = Date()
        state.withLock { $0.arrivals.append(method) }
        if takeDrop(method) {
            record(method, body, arrived, .dropped)
            return Self.dropped()
        }
        if let failure = takeFailure(method) {
            let refusal = Self.refusal(for: failure)
            record(method, body, arrived, .refused(refusal.errorCode))
            return Self.json(BotAPIAnswer<Bool>.refusal(refusal), status: refusal.errorCode)
        }
        let response: Response
        do {
            response = try await result(of: method, body: body)
        } catch let error as BotAPIError {
            guard case .refused(let refusal) = error else { throw error }
            record(method, body, arrived, .refused(refusal.errorCode))
            return Self.json(BotAPIAnswer<Bool>.refusal(refusal), status: refusal.errorCode)
        } catch {
            let refusal = BotAPIRefusal(errorCode: 400, description: "Bad Request: \(error)")
            record(method, body, arrived, .refused(400))
            return Self.json(BotAPIAnswer<Bool>.refusal(refusal), status: 400)
        }
        record(method, body, arrived, .answered)
        return response
    }

    /// The result of a call the stand-in knows, as Telegram would give it.
    private func result(of method: String, body: [UInt8]) async throws -> Response {
        let decoder = JSONDecoder()
        let data = Data(body.isEmpty ? Array("{}".utf8) : body)
        switch method {
        case GetMe.name:
            return Self.success(Self.bot)
        case GetUpdates.name:
            return Self.success(try await updates(for: decoder.decode(GetUpdates.self, from: data)))
        case SendMessage.name:
            let send = try decoder.decode(SendMessage.self, from: data)
            return Self.success(Message(messageId: nextMessageId(), from: Self.bot, chat: Chat(id: send.chatId), date: Self.now(),
                                        text: send.text, replyMarkup: send.replyMarkup))
        case EditMessageText.name:
            let edit = try decoder.decode(EditMessageText.self, from: data)
            return Self.success(Message(messageId: edit.messageId, from: Self.bot, chat: Chat(id: edit.chatId), date: Self.now(),
                                        text: edit.text, replyMarkup: edit.replyMarkup))
        case AnswerCallbackQuery.name:
            _ = try decoder.decode(AnswerCallbackQuery.self, from: data)
            return Self.success(true)
        case SetMyCommands.name:
            _ = try decoder.decode(SetMyCommands.self, from: data)
            return Self.success(true)
        case DeleteMyCommands.name:
            _ = try decoder.decode(DeleteMyCommands.self, from: data)
            return Self.success(true)
        case SetChatMenuButton.name:
            _ = try decoder.decode(SetChatMenuButton.self, from: data)
            return Self.success(true)
        case SetWebhook.name:
            let set = try decoder.decode(SetWebhook.self, from: data)
            state.withLock { $0.webhook = Webhook(url: set.url, secretToken: set.secretToken, allowedUpdates: set.allowedUpdates) }
            return Self.success(true)
        case DeleteWebhook.name:
            state.withLock { $0.webhook = nil }
            return Self.success(true)
        case GetFile.name:
            let get = try decoder.decode(GetFile.self, from: data)
            guard let file = state.withLock({ $0.files[get.fileId] }) else {
                throw BotAPIError.refused(BotAPIRefusal(errorCode: 400, description: "Bad Request: invalid file_id"))
            }
            return Self.success(TelegramFile(fileId: get.fileId, fileUniqueId: "u-\(get.fileId)", fileSize: file.bytes.count,
                                             filePath: file.path))
        default:
            throw BotAPIError.refused(BotAPIRefusal(errorCode: 404, description: "Not Found"))
        }
    }

    /// `getUpdates`: confirms what is below `offset`, then waits up to `timeout` seconds for an update at or above it.
    private func updates(for poll: GetUpdates) async throws -> [Update] {
        let offset = poll.offset ?? 0
        let conflict = state.withLock { state -> Bool in
            guard state.webhook == nil else { return true }
            state.updates.removeAll { $0.updateId < offset }
            state.confirmedOffset = max(state.confirmedOffset, offset)
            return false
        }
        if conflict {
            throw BotAPIError.refused(BotAPIRefusal(errorCode: 409, description: "Conflict: can't use getUpdates method while webhook is active"))
        }
        let deadline = ContinuousClock.now + .seconds(poll.timeout ?? 0)
        let limit = min(max(poll.limit ?? 100, 1), 100)
        while true {
            let ready = state.withLock { $0.updates.filter { $0.updateId >= offset }.prefix(limit) }
            if !ready.isEmpty || ContinuousClock.now >= deadline { return Array(ready) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    fileprivate func fileBytes(path: String) -> [UInt8]? {
        state.withLock { state in state.files.values.first { $0.path == path }?.bytes }
    }

    private func record(_ method: String, _ body: [UInt8], _ at: Date, _ outcome: Call.Outcome) {
        state.withLock { $0.calls.append(Call(method: method, body: body, at: at, outcome: outcome)) }
    }

    private func takeFailure(_ method: String) -> Failure? {
        state.withLock { state in
            guard let index = state.failures.firstIndex(where: { $0.method == nil || $0.method == method }) else { return nil }
            return state.failures.remove(at: index).failure
        }
    }

    private func takeDrop(_ method: String) -> Bool {
        state.withLock { state in
            guard let index = state.drops.firstIndex(where: { $0 == nil || $0 == method }) else { return false }
            state.drops.remove(at: index)
            return true
        }
    }

    private func nextMessageId() -> Int64 {
        state.withLock { state in
            defer { state.nextMessageId += 1 }
            return state.nextMessageId
        }
    }

    private static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    // MARK: Responses

    private static func refusal(for failure: Failure) -> BotAPIRefusal {
        switch failure {
        case .tooManyRequests(let retryAfter):
            BotAPIRefusal(errorCode: 429, description: "Too Many Requests: retry after \(retryAfter)", retryAfter: retryAfter)
        case .refused(let code, let description):
            BotAPIRefusal(errorCode: code, description: description)
        }
    }

    private static func success<R: Codable & Sendable>(_ result: R) -> Response {
        json(BotAPIAnswer.success(result), status: 200)
    }

    private static func unauthorized() -> Response {
        json(BotAPIAnswer<Bool>.refusal(BotAPIRefusal(errorCode: 401, description: "Unauthorized")), status: 401)
    }

    private static func json<R: Codable & Sendable>(_ answer: BotAPIAnswer<R>, status: Int) -> Response {
        let bytes = (try? JSONEncoder().encode(answer)).map { Array($0) } ?? Array(#"{"ok":false}"#.utf8)
        return Response(status: .init(code: status), headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A response whose body fails before its first byte: the server closes the connection,
    /// and the client sees it drop without an answer.
    private static func dropped() -> Response {
        Response(status: .ok, body: ResponseBody { _ in throw DroppedConnection() })
    }

    private struct DroppedConnection: Error {}

    /// Hands the stand-in to the router's handlers, which are built before it exists.
    private final class Box: Sendable {
        private let value = Mutex<StandInBotAPI?>(nil)
        func set(_ standIn: StandInBotAPI) { value.withLock { $0 = standIn } }
        var standIn: StandInBotAPI {
            get throws {
                guard let standIn = value.withLock({ $0 }) else { throw BotAPIError.network("the stand-in is starting") }
                return standIn
            }
        }
    }
}

extension StandInBotAPI {
    /// A JSON value from a recorded call, for assertions on fields no method type names.
    enum JSON: Sendable, Equatable, Decodable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([JSON])
        case object([String: JSON])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .null }
            else if let value = try? container.decode(Bool.self) { self = .bool(value) }
            else if let value = try? container.decode(Double.self) { self = .number(value) }
            else if let value = try? container.decode(String.self) { self = .string(value) }
            else if let value = try? container.decode([JSON].self) { self = .array(value) }
            else { self = .object(try container.decode([String: JSON].self)) }
        }

        var string: String? { if case .string(let value) = self { value } else { nil } }
        var int: Int64? { if case .number(let value) = self { Int64(exactly: value) } else { nil } }
        var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
        var array: [JSON]? { if case .array(let value) = self { value } else { nil } }
        subscript(field: String) -> JSON? { if case .object(let value) = self { value[field] } else { nil } }
    }
}
