import Foundation
import Hummingbird
import Shop
import Store

/// Users and roles (owner), notifications (self; admins broadcast), the money ledger and the
/// audit trail (owner).
struct AccountRoutes {
    let shop: Shop

    struct UserChanges: Decodable, Sendable {
        let role: String?
        let blocked: Bool?
    }

    struct NewNotification: Decodable, Sendable {
        let userId: BodyID<UserID>?
        let role: String?
        let title: String
        let body: String?
        let priority: String?
        let link: String?
    }

    struct NotificationList: Encodable, Sendable {
        let items: [NotificationView]
        let next: String?
        let unread: Int

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(items, forKey: .items)
            try container.encode(next, forKey: .next)  // null on the last page, as the contract's lists say; never absent
            try container.encode(unread, forKey: .unread)
        }

        enum CodingKeys: String, CodingKey { case items, next, unread }
    }

    func add(to router: Router<AppRequestContext>) {
        router.get("/api/users") { request, context -> JSON<ListBody<UserView>> in
            let page = try shop.users(page: try request.pageRequest(), as: context.principal)
            return JSON(ListBody(page) { UserView($0.value, version: $0.version) })
        }
        router.get("/api/users/:id") { _, context -> JSON<UserView> in
            let record = try shop.user(try context.id("id", .user), as: context.principal)
            return JSON(UserView(record.value, version: record.version))
        }
        router.patch("/api/users/:id") { request, context -> JSON<UserView> in
            // Owner only, even when the body changes nothing (the commands check it only when they run).
            guard try shop.me(as: context.principal).role == .owner else {
                throw APIError(.forbidden, "forbidden", "only an owner changes users")
            }
            let id = try context.id("id", .user)
            let body = try await request.decodeStrict(as: UserChanges.self, context: context)
            // If-Match is checked inside the first command's write; a second change in the same
            // request follows it and so expects no particular version.
            var expected = try request.expectedVersion()
            if let text = body.role {
                guard let role = Role(rawValue: text) else { throw APIError.invalid("role", "role must be user, admin or owner") }
                try await shop.execute(GrantRole(userId: id, role: role, expectedVersion: expected), as: context.principal)
                expected = nil
            }
            if let blocked = body.blocked {
                if blocked {
                    try await shop.execute(BlockUser(userId: id, expectedVersion: expected), as: context.principal)
                } else {
                    try await shop.execute(UnblockUser(userId: id, expectedVersion: expected), as: context.principal)
                }
            }
            let record = try shop.user(id, as: context.principal)
            if let expected, record.version != expected {
                // Nothing to change, but the caller's copy is stale all the same.
                throw APIError(ShopError(.versionConflict, "the user was changed by someone else (now at version \(record.version))"))
            }
            return JSON(UserView(record.value, version: record.version))
        }
        // 204 without a body whether or not the user had sessions; the audit entry names the user.
        router.delete("/api/users/:id/sessions") { _, context -> Response in
            try await shop.execute(EndUserSessions(userId: try context.id("id", .user)), as: context.principal)
            return Response(status: .noContent)
        }

        router.get("/api/notifications") { request, context -> JSON<NotificationList> in
            let (page, unread) = try shop.notifications(unreadOnly: try request.flag("unread"),
                                                        page: try request.pageRequest(), as: context.principal)
            let language = Language(code: try shop.me(as: context.principal).user?.language)
            return JSON(NotificationList(items: page.items.map { NotificationView($0.value, version: $0.version, language: language) },
                                         next: page.next?.token, unread: unread))
        }
        // The words of every notification kind, for clients that word them in their reader's language.
        router.get("/api/notifications/wording") { _, _ -> JSON<NoticeWordingDocument> in
            JSON(NoticeCatalogue.document)
        }
        router.post("/api/notifications/:id/read") { _, context -> JSON<NotificationView> in
            let id = try context.id("id", .notification)
            let notice = try await shop.execute(MarkRead(notificationId: id), as: context.principal)
            // The version read after the write: the record as the caller would now GET it (If-Match).
            return JSON(NotificationView(notice, version: try shop.notification(id, as: context.principal).version))
        }
        router.post("/api/notifications/read-all") { _, context -> JSON<[String: Int]> in
            JSON(["marked": try await shop.execute(MarkAllRead(), as: context.principal)])
        }
        router.post("/api/notifications") { request, context -> JSON<[String: Int]> in
            let body = try await request.decodeStrict(as: NewNotification.self, context: context)
            let role = try body.role.map { text in
                guard let role = Role(rawValue: text) else { throw APIError.invalid("role", "role must be user, admin or owner") }
                return role
            }
            let recipient: Recipient
            if let userId = body.userId {
                recipient = .user(userId.value)
            } else if let role {
                recipient = .role(role)
            } else {
                throw APIError.invalid("userId", "name a userId or a role (user, admin, owner)")
            }
            guard let priority = Notice.Priority(rawValue: body.priority ?? "normal") else {
                throw APIError.invalid("priority", "priority must be low, normal or high")
            }
            let reached = try await shop.execute(Notify(recipient: recipient, title: body.title, body: body.body ?? "",
                                                        priority: priority, link: body.link), as: context.principal)
            return JSON(["reached": reached], status: .created)
        }

        router.get("/api/transactions") { request, context -> JSON<ListBody<LedgerEntryView>> in
            let page = try shop.ledger(userId: try request.id("userId", .user), page: try request.pageRequest(), as: context.principal)
            return JSON(ListBody(page) { LedgerEntryView($0.value) })
        }
        router.get("/api/audit") { request, context -> JSON<ListBody<AuditEntryView>> in
            let page = try shop.auditTrail(actorId: try request.id("actorId", .user), page: try request.pageRequest(), as: context.principal)
            return JSON(ListBody(page) { AuditEntryView($0.value) })
        }
    }
}
