import Crypto
import Foundation
import Store

/// A new session: the user and the refresh token to hand to the client (shown once).
public struct SessionGrant: Sendable, Equatable, BinaryCodable {
    public var user: User
    /// The user record's stored version as the sign-in left it.
    public var userVersion: UInt64
    public var sessionId: UInt64
    /// "<session id>.<secret>"; only the secret's hash is stored.
    public var refreshToken: String

    public func encode(to w: inout BinaryWriter) { w.write(user); w.write(sessionId); w.write(refreshToken); w.write(userVersion) }
    public init(from r: inout BinaryReader) throws {
        user = try r.read(); sessionId = try r.read(); refreshToken = try r.read()
        userVersion = r.isAtEnd ? 0 : try r.read()
    }
    init(user: User, userVersion: UInt64, sessionId: UInt64, refreshToken: String) {
        self.user = user; self.userVersion = userVersion; self.sessionId = sessionId; self.refreshToken = refreshToken
    }
}

/// Signs a Telegram-verified person in: sees the user, then opens a new session family.
public struct SignIn: ShopCommand {
    public static let name = "signIn"
    public static let access = Access.anyone

    public var identity: TelegramIdentity
    public var device: String

    public init(identity: TelegramIdentity, device: String) {
        self.identity = identity
        self.device = device
    }

    public func validate() throws(ShopError) {
        try SeeTelegramUser(identity: identity).validate()
        try Check.text(device, "device", min: 0, max: Bounds.Length.device)
    }

    public var summary: String { "telegram \(identity.telegramId)" }

    public func execute(_ context: CommandContext) throws -> SessionGrant {
        try context.openSession(for: try context.see(identity), familyId: nil, device: device)
    }
}

/// Trades a refresh token for a new one (rotation). A token that was already rotated means
/// it leaked: the whole family is revoked and the answer says so.
public struct RefreshSession: ShopCommand {
    public static let name = "refreshSession"
    public static let access = Access.anyone

    /// The answer: a new session, or the news that a used token came back.
    public enum Outcome: Sendable, Equatable, BinaryCodable {
        case granted(SessionGrant)
        case reuseDetected

        public func encode(to w: inout BinaryWriter) {
            switch self {
            case .granted(let grant): w.writeByte(1); w.write(grant)
            case .reuseDetected: w.writeByte(2)
            }
        }

        public init(from r: inout BinaryReader) throws {
            switch try r.readByte() {
            case 1: self = .granted(try r.read())
            case 2: self = .reuseDetected
            default: throw StoreError(.decodingFailed, "unknown refresh outcome")
            }
        }
    }

    public var refreshToken: String
    public var device: String

    public init(refreshToken: String, device: String = "") {
        self.refreshToken = refreshToken
        self.device = device
    }

    public var summary: String { "session \(refreshToken.split(separator: ".").first ?? "?")" }

    public func execute(_ context: CommandContext) throws -> Outcome {
        let current = try context.session(for: refreshToken)
        var session = current.value
        if session.rotatedAt != nil {
            for member in try context.shop.sessions.lookup(context.txn, index: "family", equals: OrderedKey(session.familyId)).items {
                try context.revoke(member)
            }
            return .reuseDetected
        }
        session.rotatedAt = context.now
        try context.put(context.shop.sessions, session, over: current)
        let user = try context.user(session.userId)
        if user.blocked { throw ShopError(.userBlocked, "this user is blocked") }
        return .granted(try context.openSession(for: user, familyId: session.familyId, device: device.isEmpty ? session.device : device))
    }
}

/// Ends the caller's session (or all their sessions): the whole device, that is every link of
/// the session's refresh-token family, since an access token issued before the last refresh
/// names an older link and would otherwise keep working (and keep its connections) until it
/// expired.
public struct Logout: ShopCommand {
    public static let name = "logout"
    public static let access = Access.role(.user)

    /// The session to end; nil ends every session of the caller.
    public var sessionId: UInt64?
    public init(sessionId: UInt64?) { self.sessionId = sessionId }
    public var summary: String { sessionId.map { EntityKind.session.format($0) } ?? "all sessions" }

    /// Answers how many session records were revoked now.
    public func execute(_ context: CommandContext) throws -> Int {
        guard let userId = context.actorId else { return 0 }
        let mine = try context.shop.sessions.lookup(context.txn, index: "user", equals: OrderedKey(userId)).items
        guard let sessionId else { return try context.revokeAll(mine) }
        guard let named = mine.first(where: { $0.key == sessionId }) else { return 0 }
        return try context.revokeAll(mine.filter { $0.value.familyId == named.value.familyId })
    }
}

/// Makes a one-time code that signs the caller in elsewhere (the bot's `/login` link).
public struct IssueLoginCode: ShopCommand {
    public static let name = "issueLoginCode"
    public static let access = Access.role(.user)

    public init() {}
    public var summary: String { "login code" }

    public func execute(_ context: CommandContext) throws -> String {
        guard let userId = context.actorId else { throw ShopError(.notAuthenticated, "a login code is for a user") }
        let code = Secrets.random(bytes: 24)
        try context.shop.loginCodes.put(context.txn, Secrets.hash(code),
                                        LoginCode(userId: userId, expiresAt: context.now.addingTimeInterval(context.settings.loginCodeLifetime)),
                                        expecting: .absent)
        return code
    }
}

/// Signs in with a one-time code; the code then stops working.
public struct RedeemLoginCode: ShopCommand {
    public static let name = "redeemLoginCode"
    public static let access = Access.anyone

    public var code: String
    public var device: String

    public init(code: String, device: String = "") {
        self.code = code
        self.device = device
    }

    public func validate() throws(ShopError) { try Check.text(code, "code", max: Bounds.Length.code) }
    public var summary: String { "login code" }

    public func execute(_ context: CommandContext) throws -> SessionGrant {
        let key = Secrets.hash(code)
        guard let current = try context.shop.loginCodes.record(context.txn, key),
              current.value.usedAt == nil, current.value.expiresAt > context.now else {
            throw ShopError(.notAuthenticated, "this login code is not valid or has expired", field: "code")
        }
        var loginCode = current.value
        loginCode.usedAt = context.now
        try context.shop.loginCodes.put(context.txn, key, loginCode, expecting: .version(current.version))
        let user = try context.user(loginCode.userId)
        if user.blocked { throw ShopError(.userBlocked, "this user is blocked") }
        return try context.openSession(for: user, familyId: nil, device: device)
    }
}

extension CommandContext {
    func openSession(for user: User, familyId: UInt64?, device: String) throws -> SessionGrant {
        let id = try nextId(.session)
        let secret = Secrets.random(bytes: 32)
        let session = Session(id: id, userId: user.id, familyId: familyId ?? id, secretHash: Secrets.hash(secret), device: device,
                              createdAt: now, expiresAt: now.addingTimeInterval(settings.refreshTokenLifetime),
                              address: principal.clientAddress, lastUsedAt: now)
        try put(shop.sessions, id, session, expecting: .absent)
        return SessionGrant(user: user, userVersion: try version(of: user) ?? 0, sessionId: id, refreshToken: "\(id).\(secret)")
    }

    /// The live session a refresh token names; refuses unknown, wrong, expired and revoked ones.
    func session(for refreshToken: String) throws -> StoredRecord<UInt64, Session> {
        let parts = refreshToken.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let id = UInt64(parts[0]), let current = try shop.sessions.record(txn, id),
              Secrets.equal(current.value.secretHash, Secrets.hash(String(parts[1]))) else {
            throw ShopError(.notAuthenticated, "the refresh token is not valid", field: "refreshToken")
        }
        guard current.value.revokedAt == nil, current.value.expiresAt > now else {
            throw ShopError(.notAuthenticated, "the session has ended", field: "refreshToken")
        }
        return current
    }

    func revoke(_ record: StoredRecord<UInt64, Session>) throws {
        guard record.value.revokedAt == nil else { return }
        var session = record.value
        session.revokedAt = now
        try put(shop.sessions, session, over: record)
    }
}

/// Random tokens and their stored hashes.
enum Secrets {
    /// `count` random bytes from the system's generator.
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// `bytes` random bytes from the system's generator, base64url without padding.
    static func random(bytes: Int) -> String {
        Data(randomBytes(bytes)).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// SHA-256 in hex: what is stored instead of a secret.
    static func hash(_ secret: String) -> String {
        hex(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Lower-case hex of some bytes.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares two strings in time that does not depend on where they differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
