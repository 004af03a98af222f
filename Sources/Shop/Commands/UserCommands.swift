import Foundation
import Store

/// A person as Telegram vouched for them (initData, the Login Widget, or a bot update);
/// the caller has verified it before handing it to the shop.
public struct TelegramIdentity: Sendable, Equatable {
    public var telegramId: Int64
    public var firstName: String
    public var lastName: String?
    public var username: String?
    public var languageCode: String?

    public init(telegramId: Int64, firstName: String, lastName: String? = nil, username: String? = nil, languageCode: String? = nil) {
        self.telegramId = telegramId; self.firstName = firstName; self.lastName = lastName
        self.username = username; self.languageCode = languageCode
    }

    public var displayName: String { [firstName, lastName ?? ""].joined(separator: " ").trimmingCharacters(in: .whitespaces) }
}

/// Creates the user on first sight (as `user`, or `owner` when configured so) and keeps
/// their name, username, language and last-seen time current. Refuses blocked users.
public struct SeeTelegramUser: ShopCommand {
    public static let name = "seeTelegramUser"
    public static let access = Access.anyone

    public var identity: TelegramIdentity
    public init(identity: TelegramIdentity) { self.identity = identity }

    public func validate() throws(ShopError) {
        if identity.telegramId <= 0 { throw ShopError.invalid("telegramId", "not a Telegram user id") }
        try Check.text(identity.displayName, "firstName", max: Bounds.Length.personName)
    }

    public var summary: String { "telegram \(identity.telegramId)" }

    public func execute(_ context: CommandContext) throws -> User {
        try context.see(identity)
    }
}

/// Gives a user a role (owner). The last owner cannot step down.
public struct GrantRole: ShopCommand {
    public static let name = "grantRole"
    public static let access = Access.role(.owner)

    public var userId: UInt64
    public var role: Role
    /// The user record's version the caller saw (`If-Match`); a newer one refuses the change.
    public var expectedVersion: UInt64?

    public init(userId: UInt64, role: Role, expectedVersion: UInt64? = nil) {
        self.userId = userId
        self.role = role
        self.expectedVersion = expectedVersion
    }

    public var summary: String { "\(EntityKind.user.format(userId)) → \(role.rawValue)" }

    public func execute(_ context: CommandContext) throws -> User {
        guard let current = try context.shop.users.record(context.txn, userId) else { throw ShopError(.notFound, "user not found", field: "userId") }
        try UserVersion.check(current, expectedVersion)
        var user = current.value
        guard user.role != role else { return user }
        if user.role == .owner, !user.blocked, try context.activeOwners() <= 1 {
            throw ShopError(.ruleBroken, "the shop needs at least one owner", field: "role")
        }
        user.role = role
        try context.put(context.shop.users, user, over: current)
        try context.notify(userId, .roleChanged, params: ["role": role.rawValue], link: nil)
        return user
    }
}

/// Blocks a user (owner): they can sign in to nothing, run no command, and their sessions end.
public struct BlockUser: ShopCommand {
    public static let name = "blockUser"
    public static let access = Access.role(.owner)

    public var userId: UInt64
    /// The user record's version the caller saw (`If-Match`); a newer one refuses the change.
    public var expectedVersion: UInt64?
    public init(userId: UInt64, expectedVersion: UInt64? = nil) {
        self.userId = userId
        self.expectedVersion = expectedVersion
    }
    public var summary: String { EntityKind.user.format(userId) }

    public func execute(_ context: CommandContext) throws -> User {
        if userId == context.actorId { throw ShopError(.ruleBroken, "you cannot block yourself", field: "userId") }
        let target = try context.user(userId)
        if target.role == .owner, !target.blocked, try context.activeOwners() <= 1 {
            throw ShopError(.ruleBroken, "the shop needs at least one owner who is not blocked", field: "userId")
        }
        let user = try context.setBlocked(userId, true, expectedVersion: expectedVersion)
        for session in try context.shop.sessions.lookup(context.txn, index: "user", equals: OrderedKey(userId)).items {
            try context.revoke(session)
        }
        return user
    }
}

/// Lifts a block (owner).
public struct UnblockUser: ShopCommand {
    public static let name = "unblockUser"
    public static let access = Access.role(.owner)

    public var userId: UInt64
    /// The user record's version the caller saw (`If-Match`); a newer one refuses the change.
    public var expectedVersion: UInt64?
    public init(userId: UInt64, expectedVersion: UInt64? = nil) {
        self.userId = userId
        self.expectedVersion = expectedVersion
    }
    public var summary: String { EntityKind.user.format(userId) }

    public func execute(_ context: CommandContext) throws -> User {
        try context.setBlocked(userId, false, expectedVersion: expectedVersion)
    }
}

/// Changes a user's name, Telegram id, role, block or several in one write (owner): a user's
/// `PATCH`. `If-Match` is checked against the user as it was before any of it, and either all
/// of it is applied or none. A Telegram id another user has is refused (409 `already_exists`);
/// an erased person cannot be changed. A name set here holds until the person next signs in,
/// when Telegram's name for them replaces it (as it does for everyone).
public struct UpdateUser: ShopCommand {
    public static let name = "updateUser"
    public static let access = Access.role(.owner)

    public var userId: UInt64
    public var role: Role?
    public var blocked: Bool?
    public var name: String?
    public var telegramId: Int64?
    /// The user record's version the caller saw (`If-Match`); a newer one refuses the change.
    public var expectedVersion: UInt64?

    public init(userId: UInt64, role: Role? = nil, blocked: Bool? = nil, name: String? = nil, telegramId: Int64? = nil,
                expectedVersion: UInt64? = nil) {
        self.userId = userId; self.role = role; self.blocked = blocked; self.name = name; self.telegramId = telegramId
        self.expectedVersion = expectedVersion
    }

    public func validate() throws(ShopError) {
        if let name { try Check.text(name, "name", max: Bounds.Length.personName) }
        if let telegramId { try Check.number(telegramId, "telegramId", in: Bounds.telegramId) }
    }

    // No name here: the audit trail must not keep a person's name beyond an erasure.
    public var summary: String {
        EntityKind.user.format(userId) + (role.map { " → \($0.rawValue)" } ?? "") + (blocked.map { $0 ? " blocked" : " unblocked" } ?? "")
            + (name == nil ? "" : " name") + (telegramId == nil ? "" : " telegramId")
    }

    public func execute(_ context: CommandContext) throws -> User {
        guard let current = try context.shop.users.record(context.txn, userId) else { throw ShopError(.notFound, "user not found", field: "userId") }
        try UserVersion.check(current, expectedVersion)
        if current.value.isErased { throw ShopError(.ruleBroken, "this person was erased", field: "userId") }
        var user = current.value
        if name != nil || telegramId != nil {
            if let telegramId, telegramId != user.telegramId,
               try context.shop.users.first(context.txn, index: "telegramId", equals: OrderedKey(telegramId)) != nil {
                throw ShopError(.alreadyExists, "another user has Telegram id \(telegramId)", field: "telegramId")
            }
            if let name { user.name = name.trimmingCharacters(in: .whitespaces) }
            if let telegramId { user.telegramId = telegramId }
            if user != current.value { try context.put(context.shop.users, user, over: current) }
        }
        if let role { user = try GrantRole(userId: userId, role: role).execute(context) }
        if let blocked {
            user = blocked ? try BlockUser(userId: userId).execute(context) : try UnblockUser(userId: userId).execute(context)
        }
        return user
    }
}

extension CommandContext {
    func see(_ identity: TelegramIdentity) throws -> User {
        if let current = try shop.users.first(txn, index: "telegramId", equals: OrderedKey(identity.telegramId)) {
            var user = current.value
            if user.blocked { throw ShopError(.userBlocked, "this user is blocked") }
            user.name = identity.displayName
            user.username = identity.username
            user.language = identity.languageCode ?? user.language
            user.seenAt = now
            if settings.ownerTelegramIds.contains(identity.telegramId) { user.role = .owner }
            if user != current.value { try put(shop.users, user, over: current) }
            return user
        }
        let user = User(id: try nextId(.user), telegramId: identity.telegramId, name: identity.displayName,
                        username: identity.username, language: identity.languageCode,
                        role: settings.ownerTelegramIds.contains(identity.telegramId) ? .owner : .user,
                        blocked: false, createdAt: now, seenAt: now)
        try put(shop.users, user.id, user, expecting: .absent)
        return user
    }

    /// Owners who are not blocked.
    func activeOwners() throws -> Int {
        try usersHolding(.owner).filter { $0.role == .owner }.count
    }

    func setBlocked(_ userId: UInt64, _ blocked: Bool, expectedVersion: UInt64?) throws -> User {
        guard let current = try shop.users.record(txn, userId) else { throw ShopError(.notFound, "user not found", field: "userId") }
        try UserVersion.check(current, expectedVersion)
        var user = current.value
        guard user.blocked != blocked else { return user }
        user.blocked = blocked
        try put(shop.users, user, over: current)
        return user
    }
}

/// The `If-Match` check of the user commands, made inside their write so nothing slips between.
enum UserVersion {
    static func check(_ current: StoredRecord<UInt64, User>, _ expected: UInt64?) throws {
        if let expected, current.version != expected {
            throw ShopError(.versionConflict, "the user was changed by someone else (now at version \(current.version))")
        }
    }
}
