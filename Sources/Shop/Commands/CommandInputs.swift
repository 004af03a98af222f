import Foundation

// Every command's JSON input, read once here for every door that takes JSON (REST bodies, the
// socket's `command` message, `/api/commands/execute`, `tenda run`): ids as the API writes
// them ("p3"), the defaults of fields left out, and the words of enumerations. What the
// fields must hold beyond their shape is each command's `validate()`, run by the executor.
//
// A field left out and a field sent as null mean the same.

extension KeyedDecodingContainer {
    /// An id of `kind` ("p3" for a product).
    func id(_ key: Key, _ kind: EntityKind) throws -> UInt64 {
        let text = try decode(String.self, forKey: key)
        guard let id = kind.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not an id like \(kind.format(1))")
        }
        return id
    }

    /// An id of `kind` when the field is there.
    func id(ifPresent key: Key, _ kind: EntityKind) throws -> UInt64? {
        try decodeNil(ifPresent: key) ? nil : id(key, kind)
    }

    /// The field's value, or `fallback` when it is left out.
    func value<T: Decodable>(_ key: Key, or fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }

    /// One of an enumeration's words, when the field is there; another word is a 400 naming them all.
    func word<T: RawRepresentable & CaseIterable>(ifPresent key: Key, _: T.Type) throws -> T? where T.RawValue == String {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let value = T(rawValue: text) else {
            throw ShopError.invalid(key.stringValue, "\(key.stringValue) must be " + T.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return value
    }

    private func decodeNil(ifPresent key: Key) throws -> Bool {
        try !contains(key) || decodeNil(forKey: key)
    }
}

// MARK: Steps

/// Whether a step takes a reason, and must have one.
public enum ReasonField: Sendable { case none, optional, required }

/// A command whose whole input is one record's id and, for some, a reason a person gives (an
/// order's or a contract's step, marking a notice read, ending sessions): read alike.
public protocol RecordStepInput: Decodable {
    /// The id's field and kind (`orderId`, an order).
    static var idField: (name: String, kind: EntityKind) { get }
    static var reasonField: ReasonField { get }
    init(id: UInt64, reason: String)
}

extension RecordStepInput {
    public static var reasonField: ReasonField { .none }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: FieldName.self)
        let id = try c.id(FieldName(Self.idField.name), Self.idField.kind)
        let reason = switch Self.reasonField {
        case .none: ""
        case .optional: try c.value(FieldName("reason"), or: "")
        case .required: try c.decode(String.self, forKey: FieldName("reason"))
        }
        self.init(id: id, reason: reason)
    }
}

/// A field named at run time.
struct FieldName: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

// MARK: Parts

extension LineItem: Decodable {
    private enum CodingKeys: String, CodingKey { case productId, quantity }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(productId: try c.id(.productId, .product), quantity: try c.decode(Int64.self, forKey: .quantity))
    }
}

extension ContractPartyInput: Decodable {
    private enum CodingKeys: String, CodingKey { case userId, part }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(userId: try c.id(.userId, .user), part: try c.value(.part, or: ""))
    }
}

// MARK: Products and stock

extension CreateProduct: Decodable {
    private enum CodingKeys: String, CodingKey { case name, emoji, description, category, price, currency, stock, lowStockThreshold, mediaIds }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), emoji: try c.value(.emoji, or: ""),
                  description: try c.value(.description, or: ""), category: try c.value(.category, or: ""),
                  price: try c.decode(Int64.self, forKey: .price), currency: try c.decodeIfPresent(String.self, forKey: .currency),
                  stock: try c.value(.stock, or: 0), lowStockThreshold: try c.value(.lowStockThreshold, or: 5),
                  mediaIds: try c.value(.mediaIds, or: []))
    }
}

extension UpdateProduct: Decodable {
    private enum CodingKeys: String, CodingKey {
        case productId, expectedVersion, name, emoji, description, category, price, lowStockThreshold, mediaIds, active
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(productId: try c.id(.productId, .product), expectedVersion: try c.decodeIfPresent(UInt64.self, forKey: .expectedVersion),
                  name: try c.decodeIfPresent(String.self, forKey: .name), emoji: try c.decodeIfPresent(String.self, forKey: .emoji),
                  description: try c.decodeIfPresent(String.self, forKey: .description),
                  category: try c.decodeIfPresent(String.self, forKey: .category), price: try c.decodeIfPresent(Int64.self, forKey: .price),
                  lowStockThreshold: try c.decodeIfPresent(Int64.self, forKey: .lowStockThreshold),
                  mediaIds: try c.decodeIfPresent([String].self, forKey: .mediaIds), active: try c.decodeIfPresent(Bool.self, forKey: .active))
    }
}

extension ArchiveProduct: Decodable {
    private enum CodingKeys: String, CodingKey { case productId, expectedVersion }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(productId: try c.id(.productId, .product), expectedVersion: try c.decodeIfPresent(UInt64.self, forKey: .expectedVersion))
    }
}

extension SetThreshold: Decodable {
    private enum CodingKeys: String, CodingKey { case productId, lowStockThreshold, expectedVersion }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(productId: try c.id(.productId, .product), threshold: try c.decode(Int64.self, forKey: .lowStockThreshold),
                  expectedVersion: try c.decodeIfPresent(UInt64.self, forKey: .expectedVersion))
    }
}

extension Restock: Decodable {
    private enum CodingKeys: String, CodingKey { case productId, quantity, note }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(productId: try c.id(.productId, .product), quantity: try c.decode(Int64.self, forKey: .quantity), note: try c.value(.note, or: ""))
    }
}

extension AdjustStock: Decodable {
    private enum CodingKeys: String, CodingKey { case productId, delta, reason, note }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(productId: try c.id(.productId, .product), delta: try c.decode(Int64.self, forKey: .delta),
                  reason: try c.word(ifPresent: .reason, StockMovement.Reason.self) ?? .adjustment, note: try c.value(.note, or: ""))
    }
}

// MARK: Sales and money

extension Buy: Decodable {
    private enum CodingKeys: String, CodingKey { case buyerId, items }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(buyerId: try c.id(.buyerId, .user), items: try c.decode([LineItem].self, forKey: .items))
    }
}

extension RecordPayment: Decodable {
    private enum CodingKeys: String, CodingKey { case userId, amount, currency, method, note }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(userId: try c.id(.userId, .user), amount: try c.decode(Int64.self, forKey: .amount),
                  currency: try c.decodeIfPresent(String.self, forKey: .currency), method: try c.value(.method, or: "pix"),
                  note: try c.value(.note, or: ""))
    }
}

extension Refund: Decodable {
    private enum CodingKeys: String, CodingKey { case saleId, items, restock, note }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(saleId: try c.id(.saleId, .sale), items: try c.decodeIfPresent([LineItem].self, forKey: .items),
                  restock: try c.value(.restock, or: true), note: try c.value(.note, or: ""))
    }
}

// MARK: Orders

extension PlaceOrder: Decodable {
    private enum CodingKeys: String, CodingKey { case items, customerId }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(items: try c.decode([LineItem].self, forKey: .items), customerId: try c.id(ifPresent: .customerId, .user))
    }
}

extension SubmitReceipt: Decodable {
    private enum CodingKeys: String, CodingKey { case orderId, mediaId }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(orderId: try c.id(.orderId, .order), mediaId: try c.decode(String.self, forKey: .mediaId))
    }
}

extension VerifyOrder: RecordStepInput {
    public static let idField = (name: "orderId", kind: EntityKind.order)
    public init(id: UInt64, reason: String) { self.init(orderId: id) }
}

extension FulfilOrder: RecordStepInput {
    public static let idField = (name: "orderId", kind: EntityKind.order)
    public init(id: UInt64, reason: String) { self.init(orderId: id) }
}

extension RejectOrder: RecordStepInput {
    public static let idField = (name: "orderId", kind: EntityKind.order)
    public static let reasonField = ReasonField.required
    public init(id: UInt64, reason: String) { self.init(orderId: id, reason: reason) }
}

extension CancelOrder: RecordStepInput {
    public static let idField = (name: "orderId", kind: EntityKind.order)
    public static let reasonField = ReasonField.optional
    public init(id: UInt64, reason: String) { self.init(orderId: id, reason: reason) }
}

// MARK: Contracts

extension CreateContract: Decodable {
    private enum CodingKeys: String, CodingKey { case title, terms, amount, parties, requiredConfirmations, draft }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let parties = try c.decode([ContractPartyInput].self, forKey: .parties)
        self.init(title: try c.decode(String.self, forKey: .title), terms: try c.decode(String.self, forKey: .terms),
                  amount: try c.decode(Int64.self, forKey: .amount), parties: parties,
                  requiredConfirmations: try c.value(.requiredConfirmations, or: parties.count), draft: try c.value(.draft, or: false))
    }
}

extension SubmitContract: RecordStepInput {
    public static let idField = (name: "contractId", kind: EntityKind.contract)
    public init(id: UInt64, reason: String) { self.init(contractId: id) }
}

extension ConfirmContract: RecordStepInput {
    public static let idField = (name: "contractId", kind: EntityKind.contract)
    public init(id: UInt64, reason: String) { self.init(contractId: id) }
}

extension CompleteContract: RecordStepInput {
    public static let idField = (name: "contractId", kind: EntityKind.contract)
    public init(id: UInt64, reason: String) { self.init(contractId: id) }
}

extension DeclineContract: RecordStepInput {
    public static let idField = (name: "contractId", kind: EntityKind.contract)
    public static let reasonField = ReasonField.optional
    public init(id: UInt64, reason: String) { self.init(contractId: id, reason: reason) }
}

extension CancelContract: RecordStepInput {
    public static let idField = (name: "contractId", kind: EntityKind.contract)
    public static let reasonField = ReasonField.optional
    public init(id: UInt64, reason: String) { self.init(contractId: id, reason: reason) }
}

// MARK: Notifications

extension Notify: Decodable {
    private enum CodingKeys: String, CodingKey { case userId, role, title, body, priority, link }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // Both read, so either is refused when malformed, whichever is used.
        let userId = try c.id(ifPresent: .userId, .user)
        let role = try c.word(ifPresent: .role, Role.self)
        let recipient: Recipient
        if let userId {
            recipient = .user(userId)
        } else if let role {
            recipient = .role(role)
        } else {
            throw ShopError.invalid("userId", "name a userId or a role (user, admin, owner)")
        }
        self.init(recipient: recipient, title: try c.decode(String.self, forKey: .title), body: try c.value(.body, or: ""),
                  priority: try c.word(ifPresent: .priority, Notice.Priority.self) ?? .normal,
                  link: try c.decodeIfPresent(String.self, forKey: .link))
    }
}

extension MarkRead: RecordStepInput {
    public static let idField = (name: "notificationId", kind: EntityKind.notification)
    public init(id: UInt64, reason: String) { self.init(notificationId: id) }
}

extension MarkAllRead: Decodable {
    public init(from decoder: any Decoder) throws { self.init() }
}

// MARK: Users and sessions

extension UpdateUser: Decodable {
    private enum CodingKeys: String, CodingKey { case userId, role, blocked, name, telegramId, expectedVersion }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(userId: try c.id(.userId, .user), role: try c.word(ifPresent: .role, Role.self),
                  blocked: try c.decodeIfPresent(Bool.self, forKey: .blocked),
                  name: try c.decodeIfPresent(String.self, forKey: .name),
                  telegramId: try c.decodeIfPresent(Int64.self, forKey: .telegramId),
                  expectedVersion: try c.decodeIfPresent(UInt64.self, forKey: .expectedVersion))
    }
}

extension CreateUser: Decodable {
    private enum CodingKeys: String, CodingKey { case telegramId, name, username, role }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(telegramId: try c.decode(Int64.self, forKey: .telegramId), name: try c.decode(String.self, forKey: .name),
                  username: try c.decodeIfPresent(String.self, forKey: .username),
                  role: try c.word(ifPresent: .role, Role.self) ?? .user)
    }
}

extension EraseUser: RecordStepInput {
    public static let idField = (name: "userId", kind: EntityKind.user)
    public init(id: UInt64, reason: String) { self.init(userId: id) }
}

extension EndUserSessions: RecordStepInput {
    public static let idField = (name: "userId", kind: EntityKind.user)
    public init(id: UInt64, reason: String) { self.init(userId: id) }
}

extension EndSession: RecordStepInput {
    public static let idField = (name: "sessionId", kind: EntityKind.session)
    public init(id: UInt64, reason: String) { self.init(sessionId: id) }
}

/// The `dailySummary` part of ``UpdateShopSettings``'s input.
struct DailySummaryChange: Decodable {
    var enabled: Bool?
    var time: String?
}

/// The `debtReminders` part of ``UpdateShopSettings``'s input.
extension DebtReminderChanges: Decodable {
    private enum CodingKeys: String, CodingKey { case enabled, overdueDays, intervalDays, maxReminders, quietStart, quietEnd }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(enabled: try c.decodeIfPresent(Bool.self, forKey: .enabled),
                  overdueDays: try c.decodeIfPresent(Int.self, forKey: .overdueDays),
                  intervalDays: try c.decodeIfPresent(Int.self, forKey: .intervalDays),
                  maxReminders: try c.decodeIfPresent(Int.self, forKey: .maxReminders),
                  quietStart: try c.decodeIfPresent(String.self, forKey: .quietStart),
                  quietEnd: try c.decodeIfPresent(String.self, forKey: .quietEnd))
    }
}

extension UpdateShopSettings: Decodable {
    private enum CodingKeys: String, CodingKey { case timeZone, dailySummary, debtReminders }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let summary = try c.decodeIfPresent(DailySummaryChange.self, forKey: .dailySummary)
        self.init(timeZone: try c.decodeIfPresent(String.self, forKey: .timeZone), summaryEnabled: summary?.enabled, summaryTime: summary?.time,
                  debts: try c.decodeIfPresent(DebtReminderChanges.self, forKey: .debtReminders) ?? DebtReminderChanges())
    }
}

// MARK: Debt reminders

extension SendDebtReminder: Decodable {
    private enum CodingKeys: String, CodingKey { case userId, onlyIfDue }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(userId: try c.id(.userId, .user), onlyIfDue: try c.value(.onlyIfDue, or: false))
    }
}

extension PauseDebtReminders: Decodable {
    private enum CodingKeys: String, CodingKey { case userId, paused }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(userId: try c.id(.userId, .user), paused: try c.decode(Bool.self, forKey: .paused))
    }
}
