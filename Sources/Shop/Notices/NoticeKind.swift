/// What a notice tells: each kind the shop writes, with its words in ``NoticeCatalogue``.
///
/// The raw value is what ``Notice/kind`` stores and clients see. Records written before
/// notices kept parameters may hold kinds retired since ("order_update", "contract_update");
/// those carry their own finished words.
public enum NoticeKind: String, Sendable, CaseIterable {
    /// To admins: a product went to or below its threshold. Parameters: product, emoji, stock, threshold.
    case lowStock = "low_stock"
    /// To admins: a customer placed an order. Parameters: order, total.
    case newOrder = "new_order"
    /// To admins: the customer sent the payment receipt. Parameters: order, total.
    case receiptSubmitted = "receipt_submitted"
    /// To the customer. Parameters: order.
    case orderVerified = "order_verified"
    /// To the customer. Parameters: order, reason (as the admin wrote it).
    case orderRejected = "order_rejected"
    /// To the customer. Parameters: order.
    case orderFulfilled = "order_fulfilled"
    /// To the customer, when an admin calls the order off. Parameters: order, reason.
    case orderCancelled = "order_cancelled"
    /// To admins, when the customer calls the order off. Parameters: order, reason.
    case orderCancelledByCustomer = "order_cancelled_by_customer"
    /// To the parties: the contract waits for their confirmation. Parameters: contract (its title), amount.
    case contractPending = "contract_pending"
    /// To the other parties: one confirmed. Parameters: contract, name, confirmations, required.
    case contractConfirmed = "contract_confirmed"
    /// To the parties: every confirmation needed was given. Parameters: contract.
    case contractActive = "contract_active"
    /// To the other parties. Parameters: contract, name, reason (may be empty).
    case contractDeclined = "contract_declined"
    /// To the parties. Parameters: contract, reason.
    case contractCancelled = "contract_cancelled"
    /// To the parties. Parameters: contract.
    case contractCompleted = "contract_completed"
    /// To the payer. Parameters: amount (with its currency), method.
    case paymentRecorded = "payment_recorded"
    /// To the buyer: units of a sale were refunded. Parameters: sale, items ("2× Coxinha, 1× Suco"),
    /// amount (with its currency), note (as the admin wrote it; may be empty).
    case saleRefunded = "sale_refunded"
    /// To the user whose role changed. Parameters: role.
    case roleChanged = "role_changed"
    /// To a customer who owes: a reminder (an admin's, or the bot's schedule for an overdue debt).
    /// Parameters: amount (with its currency), days (the debt's age in whole days).
    case debtReminder = "debt_reminder"
    /// What an admin wrote, to a user or a role. Parameters: title, body (as written).
    case broadcast
}
