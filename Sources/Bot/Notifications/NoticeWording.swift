import Foundation
import Shop

/// A notice's title and body for its addressee. The shop writes notices in Portuguese; an
/// English speaker gets them reworded from the notice's kind and the record it links to.
/// Text a person wrote (a rejection's reason) stays as they wrote it, and a kind or record
/// this does not know keeps the shop's words.
struct NoticeWording {
    let shop: Shop

    func words(for notice: Notice, in language: Language) -> (title: String, body: String) {
        guard language == .en, let english = english(notice) else { return (notice.title, notice.body) }
        return english
    }

    private func english(_ notice: Notice) -> (title: String, body: String)? {
        let target = notice.link?.split(separator: "/").last.map(String.init) ?? ""
        switch notice.kind {
        case "low_stock":
            guard let product = record(target, .product, shop.product) else { return nil }
            return ("Low stock: \(product.emoji) \(product.name)".replacingOccurrences(of: ":  ", with: ": "),
                    "\(product.stock) left (threshold \(product.lowStockThreshold)).")
        case "new_order", "receipt_submitted", "order_update":
            guard let order = record(target, .order, shop.order) else { return nil }
            let total = Money.format(order.total, order.currency)
            if notice.kind == "new_order" { return ("New order \(order.publicId)", "Total \(total), awaiting payment.") }
            if notice.kind == "receipt_submitted" { return ("Receipt for order \(order.publicId)", "Check the payment of \(total).") }
            return switch order.state {
            case .verified: ("Order \(order.publicId) confirmed", "Your payment was confirmed.")
            case .rejected: ("Order \(order.publicId) rejected", notice.body)
            case .fulfilled: ("Order \(order.publicId) delivered", "Enjoy!")
            case .cancelled: ("Order \(order.publicId) cancelled", notice.body)
            default: nil
            }
        case "contract_update":
            guard let contract = record(target, .contract, shop.contract) else { return nil }
            return ("Contract \(contract.publicId): \(contract.title)",
                    "\(contract.state.rawValue), \(contract.confirmations) of \(contract.requiredConfirmations) confirmations.")
        case "role_changed":
            guard let user = try? shop.user(notice.userId, as: .system(.bot)).value else { return nil }
            return ("Your access changed", "You are now \(user.role.rawValue).")
        case "payment_recorded":
            return ("Payment recorded", "Your debt is now \(Money.format((try? shop.debt(of: notice.userId, as: .system(.bot)).amount) ?? 0, shop.settings.currency)).")
        default:
            return nil
        }
    }

    /// The record a notice's link names ("orders/o12"), read as the system.
    private func record<R>(_ id: String, _ kind: EntityKind, _ read: (UInt64, Principal) throws -> Stored<R>) -> R? {
        kind.parse(id).flatMap { try? read($0, .system(.bot)).value }
    }
}
