import Foundation
import Store

/// Whom a notification goes to.
public enum Recipient: Sendable, Equatable {
    case user(UInt64)
    /// Everyone holding this role or a higher one.
    case role(Role)
}

/// An admin sends a message to one user or to everyone of a role.
public struct Notify: ShopCommand {
    public static let name = "notify"
    public static let access = Access.role(.admin)

    public var recipient: Recipient
    public var title: String
    public var body: String
    public var priority: Notice.Priority
    public var link: String?

    public init(recipient: Recipient, title: String, body: String, priority: Notice.Priority = .normal, link: String? = nil) {
        self.recipient = recipient; self.title = title; self.body = body; self.priority = priority; self.link = link
    }

    public func validate() throws(ShopError) {
        try Check.text(title, "title", max: Bounds.Length.title)
        try Check.text(body, "body", min: 0, max: Bounds.Length.notificationBody)
        if let link { try Check.text(link, "link", max: Bounds.Length.link) }
    }

    public var summary: String {
        switch recipient {
        case .user(let id): "to \(EntityKind.user.format(id)): \(title)"
        case .role(let role): "to \(role.rawValue)s: \(title)"
        }
    }

    /// How many users it reached.
    public func execute(_ context: CommandContext) throws -> Int {
        // What the admin wrote is the notice's words in every language.
        let words = ["title": title, "body": body]
        switch recipient {
        case .user(let id):
            _ = try context.user(id, field: "recipient")
            try context.notify(id, .broadcast, priority: priority, params: words, link: link)
            return 1
        case .role(let role):
            let users = try context.usersHolding(role)
            for user in users {
                try context.notify(user.id, .broadcast, priority: priority, params: words, link: link, audience: role)
            }
            return users.count
        }
    }
}

/// A user marks one of their notifications read.
public struct MarkRead: ShopCommand {
    public static let name = "markRead"
    public static let access = Access.role(.user)

    public var notificationId: UInt64
    public init(notificationId: UInt64) { self.notificationId = notificationId }
    public var summary: String { EntityKind.notification.format(notificationId) }

    public func execute(_ context: CommandContext) throws -> Notice {
        guard let current = try context.shop.notifications.record(context.txn, notificationId),
              current.value.userId == context.actorId else {
            throw ShopError(.notFound, "notification not found", field: "notificationId")
        }
        return try context.markRead(current)
    }
}

/// A user marks all their notifications read; answers how many were unread.
public struct MarkAllRead: ShopCommand {
    public static let name = "markAllRead"
    public static let access = Access.role(.user)

    public init() {}
    public var summary: String { "all" }

    public func execute(_ context: CommandContext) throws -> Int {
        guard let userId = context.actorId else { return 0 }
        let unread = try context.shop.notifications.lookup(context.txn, index: "unread", equals: OrderedKey(userId)).items
        for record in unread { _ = try context.markRead(record) }
        return unread.count
    }
}

extension CommandContext {
    func markRead(_ record: StoredRecord<UInt64, Notice>) throws -> Notice {
        var notification = record.value
        guard !notification.read else { return notification }
        notification.read = true
        try put(shop.notifications, notification, over: record)
        try txn.add(toCounter: Aggregates.unread(notification.userId), -1)
        return notification
    }
}
