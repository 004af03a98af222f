import Foundation
import Hummingbird
import Shop
import Store

/// Users (owner), the caller's notifications, the money ledger and the audit trail (owner), to
/// read (role changes, blocks, broadcasts and read marks are commands of ``CommandTable``).
struct AccountRoutes {
    let shop: Shop

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
