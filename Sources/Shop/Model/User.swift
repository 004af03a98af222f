import Foundation
import Store

/// A person the shop knows through Telegram.
public struct User: Sendable, Equatable, BinaryCodable {
    public var id: UInt64
    /// Telegram's user id: unique, and how a person is found again at sign-in.
    public var telegramId: Int64
    public var name: String
    public var username: String?
    /// An IETF language tag from Telegram ("pt-br", "en"); the bot and MiniApp answer in it.
    public var language: String?
    public var role: Role
    /// A blocked user may sign in to nothing and run no command.
    public var blocked: Bool
    public var createdAt: Date
    public var seenAt: Date

    public var publicId: String { EntityKind.user.format(id) }

    /// An erased person (``EraseUser``): their Telegram id was replaced by the negative of their
    /// shop id, which no Telegram account has, so the stored layout needs no flag of its own.
    public var isErased: Bool { telegramId < 0 }

    public init(id: UInt64, telegramId: Int64, name: String, username: String?, language: String?, role: Role, blocked: Bool, createdAt: Date, seenAt: Date) {
        self.id = id; self.telegramId = telegramId; self.name = name; self.username = username
        self.language = language; self.role = role; self.blocked = blocked; self.createdAt = createdAt; self.seenAt = seenAt
    }

    public func encode(to w: inout BinaryWriter) {
        w.write(id); w.write(telegramId); w.write(name); w.write(username); w.write(language)
        w.write(role); w.write(blocked); w.write(createdAt); w.write(seenAt)
    }

    public init(from r: inout BinaryReader) throws {
        id = try r.read(); telegramId = try r.read(); name = try r.read(); username = try r.read(); language = try r.read()
        role = try r.read(); blocked = try r.read(); createdAt = try r.read(); seenAt = try r.read()
    }
}
