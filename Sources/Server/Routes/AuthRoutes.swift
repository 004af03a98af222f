import Foundation
import Hummingbird
import Shop
import Store
import Telegram

/// Sign-in with Telegram initData or a one-time code, token refresh, logout, the caller's
/// signed-in devices, and "who am I".
struct AuthRoutes {
    let shop: Shop
    let configuration: ServerConfiguration

    struct Tokens: Encodable, Sendable {
        let accessToken: String
        let refreshToken: String
        let expiresIn: Int
        let user: UserView

        init(_ tokens: AuthTokens, version: UInt64) {
            accessToken = tokens.accessToken
            refreshToken = tokens.refreshToken
            expiresIn = tokens.expiresIn
            user = UserView(tokens.user, version: version)
        }
    }

    struct InitDataBody: Decodable { let initData: String }
    struct CodeBody: Decodable { let code: String }
    struct RefreshBody: Decodable { let refreshToken: String }

    func add(to router: Router<AppRequestContext>) {
        for path: RouterPath in ["/api/auth/telegram", "/api/auth/verify"] {
            router.post(path) { request, context in try await signInWithTelegram(request, context) }
        }
        // The Login Widget's fields (numbers may come as numbers or strings), for the dashboard
        // opened in a normal browser.
        router.post("/api/auth/widget") { request, context -> JSON<Tokens> in
            guard let botToken = configuration.botToken else {
                throw APIError(.serviceUnavailable, "telegram_not_configured", "this server has no bot token (--bot-token)")
            }
            try request.requireJSONBody()
            var buffer = try await request.body.collect(upTo: 16 << 10)
            let data = Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw APIError.invalid("body", "send the widget's fields as a JSON object")
            }
            let fields = object.compactMapValues { value -> String? in
                if let text = value as? String { return text }
                if let number = value as? NSNumber { return number.stringValue }
                return nil
            }
            let user = try LoginWidgetVerifier(botToken: botToken, maxAge: configuration.initDataMaxAge).verify(fields)
            return try tokens(try await shop.signIn(Self.identity(user), device: device(request), via: context.principal))
        }
        router.post("/api/auth/code") { request, context -> JSON<Tokens> in
            let body = try await request.decodeStrict(as: CodeBody.self, context: context)
            return try tokens(try await shop.redeemLoginCode(body.code, device: device(request), via: context.principal))
        }
        router.post("/api/auth/refresh") { request, context -> JSON<Tokens> in
            let body = try await request.decodeStrict(as: RefreshBody.self, context: context)
            return try tokens(try await shop.refresh(body.refreshToken, device: device(request), via: context.principal))
        }
        router.post("/api/auth/logout") { _, context -> Response in
            try await shop.execute(Logout(sessionId: context.sessionId), as: context.principal)
            return Response(status: .noContent)
        }
        router.get("/api/auth/sessions") { _, context -> JSON<ListBody<DeviceSessionView>> in
            let sessions = try shop.deviceSessions(current: context.sessionId, as: context.principal)
            return JSON(ListBody(Page(items: sessions, next: nil), DeviceSessionView.init))
        }
        for path: RouterPath in ["/api/auth/me", "/api/user/permissions"] {
            router.get(path) { _, context in try me(context) }
        }
    }

    private func signInWithTelegram(_ request: Request, _ context: AppRequestContext) async throws -> JSON<Tokens> {
        guard configuration.botToken != nil || configuration.botId != nil else {
            throw APIError(.serviceUnavailable, "telegram_not_configured", "this server has no bot token (--bot-token) or bot id (--bot-id)")
        }
        let body = try await request.decodeStrict(as: InitDataBody.self, context: context)
        let verified = try verify(body.initData)
        guard let user = verified.user else {
            throw APIError(.unauthorized, "invalid_user", "initData names no user", field: "initData")
        }
        return try tokens(try await shop.signIn(Self.identity(user), device: device(request), via: context.principal))
    }

    /// Checks initData with what this server holds.
    ///
    /// With a bot token, the `hash` (HMAC over the token) decides, as Telegram's documentation
    /// prescribes. With `--bot-id`, Telegram's Ed25519 `signature` for that bot decides when there
    /// is no token, and also when the `hash` does not verify with our token but a signature is
    /// present: the server holds one bot's token and serves another bot's MiniApp too. A
    /// signature that fails is refused as `invalid_signature`; data without one keeps the hash's
    /// refusal (`invalid_hash`). An expired `auth_date` under a good hash is final.
    private func verify(_ initData: String) throws(TelegramAuthError) -> WebAppInitData {
        let thirdParty = configuration.botId.map {
            ThirdPartyInitDataVerifier(botId: $0, environment: configuration.telegramEnvironment, maxAge: configuration.initDataMaxAge)
        }
        guard let botToken = configuration.botToken else {
            // The route refuses before this when neither is configured.
            guard let thirdParty else { throw TelegramAuthError(.invalidHash, "this server holds no bot token") }
            return try thirdParty.verify(initData)
        }
        let hashFailure: TelegramAuthError
        do throws(TelegramAuthError) {
            return try InitDataVerifier(botToken: botToken, maxAge: configuration.initDataMaxAge).verify(initData)
        } catch where error.code == .invalidHash || error.code == .missingHash {
            hashFailure = error
        }
        guard let thirdParty else { throw hashFailure }
        do throws(TelegramAuthError) {
            return try thirdParty.verify(initData)
        } catch where error.code == .missingSignature {
            throw hashFailure
        }
    }

    /// The shop's view of a person Telegram vouched for.
    static func identity(_ user: TelegramUser) -> TelegramIdentity {
        TelegramIdentity(telegramId: user.id, firstName: user.firstName, lastName: user.lastName,
                         username: user.username, languageCode: user.languageCode)
    }

    struct MeBody: Encodable, Sendable {
        let user: UserView?
        let role: String
        let commands: [String]
    }

    private func me(_ context: AppRequestContext) throws -> JSON<MeBody> {
        let me = try shop.me(as: context.principal)
        let user = me.user.map { UserView($0, version: me.userVersion ?? 0) }
        return JSON(MeBody(user: user, role: me.role.rawValue, commands: me.commands.map(\.name)))
    }

    /// The tokens with the user's record as the sign-in stored it.
    private func tokens(_ tokens: AuthTokens) throws -> JSON<Tokens> {
        JSON(Tokens(tokens, version: tokens.userVersion))
    }

    private func device(_ request: Request) -> String {
        String((request.headers[.userAgent] ?? "").prefix(200))
    }
}
