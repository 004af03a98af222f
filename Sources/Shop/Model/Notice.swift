import Foundation
import Store

/// A notification: a message to one user, in the MiniApp's list and in their Telegram chat.
/// (Named `Notice` so it does not clash with Foundation's `Notification`.)
///
/// It keeps what happened, not sentences: its kind and the values it speaks of as they were
/// then (a product's name and stock, an order's total, a reason someone wrote). Its words come
/// from ``NoticeCatalogue`` in each reader's language (``words(in:)``).
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
    /// A ``NoticeKind``'s raw value ("low_stock", "order_verified", "broadcast" …); older records
    /// may hold a kind retired since ("order_update", "contract_update").
    public var kind: String
    public var priority: Priority
    /// The finished words of a record written before notices kept parameters (then `params`
    /// is nil); empty in newer records.
    public var title: String
    public var body: String
    /// What the kind's words are filled with, as it was when it happened; nil in records that
    /// carry finished words instead.
    public var params: [String: String]?
    /// Where the MiniApp opens it ("products/p3", "orders/o5").
    public var link: String?
    public var read: Bool
    public var createdAt: Date

    public var publicId: String { EntityKind.notification.format(id) }

    /// A notice of `kind` with its parameters (no finished words).
    public init(id: UInt64, userId: UInt64, audience: Role?, kind: NoticeKind, priority: Priority, params: [String: String],
                link: String?, read: Bool, createdAt: Date) {
        self.id = id; self.userId = userId; self.audience = audience; self.kind = kind.rawValue; self.priority = priority
        self.title = ""; self.body = ""; self.params = params; self.link = link; self.read = read; self.createdAt = createdAt
    }

    /// Writes the fields of the first format, then `params` when there are any: a record with
    /// finished words and no parameters keeps the first format byte for byte.
    public func encode(to w: inout BinaryWriter) {
        w.write(id); w.write(userId); w.write(audience); w.write(kind); w.write(priority); w.write(title); w.write(body)
        w.write(link); w.write(read); w.write(createdAt)
        if let params { w.write(params) }
    }

    /// Reads both formats: records written before `params` end after `createdAt`.
    public init(from r: inout BinaryReader) throws {
        id = try r.read(); userId = try r.read(); audience = try r.read(); kind = try r.read(); priority = try r.read()
        title = try r.read(); body = try r.read(); link = try r.read(); read = try r.read(); createdAt = try r.read()
        params = try r.isAtEnd ? nil : r.read([String: String].self)
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
