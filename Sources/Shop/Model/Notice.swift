import Foundation
import Store

/// A notification: a message to one user, in the MiniApp's list and (later) in their Telegram chat.
/// (Named `Notice` so it does not clash with Foundation's `Notification`.)
///
/// A notification to a role is written once for each user holding that role or above, so
/// each reader has their own read flag.
public struct Notice: Sendable, Equatable, BinaryCodable {
    public enum Priority: String, Sendable, CaseIterable, BinaryCodable {
        case low, normal, high
    }

    public var id: UInt64
    public var userId: UInt64
    /// The role it was addressed to, when it went to a role rather than a person.
    public var audience: Role?
    /// "low_stock", "new_order", "order_update", "contract_update", "payment_recorded", "role_changed", "broadcast" …
    public var kind: String
    public var priority: Priority
    public var title: String
    public var body: String
    /// Where the MiniApp opens it ("products/p3", "orders/o5").
    public var link: String?
    public var read: Bool
    public var createdAt: Date

    public var publicId: String { EntityKind.notification.format(id) }

    public init(id: UInt64, userId: UInt64, audience: Role?, kind: String, priority: Priority, title: String, body: String,
                link: String?, read: Bool, createdAt: Date) {
        self.id = id; self.userId = userId; self.audience = audience; self.kind = kind; self.priority = priority
        self.title = title; self.body = body; self.link = link; self.read = read; self.createdAt = createdAt
    }

    public func encode(to w: inout BinaryWriter) {
        w.write(id); w.write(userId); w.write(audience); w.write(kind); w.write(priority); w.write(title); w.write(body)
        w.write(link); w.write(read); w.write(createdAt)
    }

    public init(from r: inout BinaryReader) throws {
        id = try r.read(); userId = try r.read(); audience = try r.read(); kind = try r.read(); priority = try r.read()
        title = try r.read(); body = try r.read(); link = try r.read(); read = try r.read(); createdAt = try r.read()
    }
}

/// Who ran which command, from where, and how it ended.
public struct AuditEntry: Sendable, Equatable, BinaryCodable {
    public var id: UInt64
    public var actorId: UInt64?
    public var command: String
    /// A short account of the input (ids and amounts; never tokens or secrets).
    public var summary: String
    /// "ok", or the error code that refused the command.
    public var outcome: String
    public var channel: Channel
    public var clientAddress: String?
    public var userAgent: String?
    public var at: Date

    public init(id: UInt64, actorId: UInt64?, command: String, summary: String, outcome: String, channel: Channel,
                clientAddress: String?, userAgent: String?, at: Date) {
        self.id = id; self.actorId = actorId; self.command = command; self.summary = summary; self.outcome = outcome
        self.channel = channel; self.clientAddress = clientAddress; self.userAgent = userAgent; self.at = at
    }

    public func encode(to w: inout BinaryWriter) {
        w.write(id); w.write(actorId); w.write(command); w.write(summary); w.write(outcome); w.write(channel)
        w.write(clientAddress); w.write(userAgent); w.write(at)
    }

    public init(from r: inout BinaryReader) throws {
        id = try r.read(); actorId = try r.read(); command = try r.read(); summary = try r.read(); outcome = try r.read()
        channel = try r.read(); clientAddress = try r.read(); userAgent = try r.read(); at = try r.read()
    }
}
