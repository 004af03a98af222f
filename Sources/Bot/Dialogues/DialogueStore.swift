import Foundation
import Shop
import Store

/// A conversation in several steps (an order being put together, a product being created),
/// kept in the store under the user it belongs to, so it survives a restart.
public struct Dialogue: Sendable, Equatable, BinaryCodable {
    public enum Kind: String, Sendable, BinaryCodable {
        /// Products are being added to a cart (`/pedido`).
        case order
        /// An order waits for its payment receipt (a photo).
        case receipt
        /// A product is being created step by step (`/product`).
        case newProduct
    }

    public var kind: Kind
    /// The step within the dialogue ("name", "price"…), where it has steps.
    public var step: String
    /// What was collected so far: a cart as "p3" → "2", a product's fields by name.
    public var fields: [String: String]
    public var updatedAt: Date

    public init(kind: Kind, step: String = "", fields: [String: String] = [:], updatedAt: Date) {
        self.kind = kind
        self.step = step
        self.fields = fields
        self.updatedAt = updatedAt
    }

    public func encode(to w: inout BinaryWriter) {
        w.write(kind); w.write(step); w.write(fields); w.write(updatedAt)
    }

    public init(from r: inout BinaryReader) throws {
        kind = try r.read(); step = try r.read(); fields = try r.read(); updatedAt = try r.read()
    }
}

/// Open dialogues by user id. A dialogue left alone longer than `timeout` has expired: the
/// next message is told so and starts afresh.
///
/// Dialogues are the bot's bookkeeping, not the shop's: their collection logs no changes, so
/// a cart being filled never reaches the change feed that clients replay.
public struct DialogueStore: Sendable {
    public static let timeout: TimeInterval = 30 * 60
    let environment: Store.Environment
    let dialogues: TypedCollection<UInt64Key, BinaryCodec<Dialogue>>

    public static func open(_ environment: Store.Environment) async throws -> DialogueStore {
        DialogueStore(environment: environment, dialogues: try await environment.collection(
            "botDialogues", key: UInt64Key.self, value: BinaryCodec<Dialogue>.self, logsChanges: false))
    }

    /// Makes every erasure of `shop` drop the erased person's open dialogue (a cart, a product
    /// being typed in) in the same write.
    public func forgetErasedPeople(of shop: Shop) {
        let dialogues = self.dialogues
        shop.onErasure { txn, erasure in _ = try dialogues.delete(txn, erasure.userId) }
    }

    public enum Lookup: Sendable, Equatable {
        case none
        case open(Dialogue)
        case expired(Dialogue)
    }

    /// The user's dialogue as of `now`. An expired one is removed.
    public func current(_ userId: UInt64, now: Date = Date()) async throws -> Lookup {
        guard let dialogue = try environment.read({ txn in try dialogues.get(txn, userId) }) else { return .none }
        guard now.timeIntervalSince(dialogue.updatedAt) <= Self.timeout else {
            try await end(userId)
            return .expired(dialogue)
        }
        return .open(dialogue)
    }

    public func save(_ dialogue: Dialogue, for userId: UInt64) async throws {
        try await environment.write { txn in _ = try dialogues.put(txn, userId, dialogue) }
    }

    public func end(_ userId: UInt64) async throws {
        try await environment.write { txn in _ = try dialogues.delete(txn, userId) }
    }
}
