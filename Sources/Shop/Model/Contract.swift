import Foundation
import Store

/// A multi-party agreement (the seed bot's "smart contract"): it becomes active when enough
/// parties confirm.
///
/// `draft → pending → active → completed`, or `declined` (a party declines while it is
/// pending) or `cancelled` (by the owner before it completes).
public struct Contract: Sendable, Equatable, BinaryCodable {
    public enum State: String, Sendable, CaseIterable, BinaryCodable {
        case draft, pending, active, completed, declined, cancelled

        public var next: Set<State> {
            switch self {
            case .draft: [.pending, .cancelled]
            case .pending: [.active, .declined, .cancelled]
            case .active: [.completed, .cancelled]
            case .completed, .declined, .cancelled: []
            }
        }
    }

    /// One party: who, what they take on, and their answer.
    public struct Party: Sendable, Equatable, BinaryCodable {
        public var userId: UInt64
        public var part: String
        public var confirmedAt: Date?
        public var declinedAt: Date?

        public init(userId: UInt64, part: String) { self.userId = userId; self.part = part }

        public func encode(to w: inout BinaryWriter) { w.write(userId); w.write(part); w.write(confirmedAt); w.write(declinedAt) }
        public init(from r: inout BinaryReader) throws {
            userId = try r.read(); part = try r.read(); confirmedAt = try r.read(); declinedAt = try r.read()
        }
    }

    /// One step of a contract's life.
    public typealias Transition = StateTransition<State>

    public var id: UInt64
    public var title: String
    public var terms: String
    public var amount: Int64
    public var currency: String
    public var parties: [Party]
    public var requiredConfirmations: Int
    public var state: State
    public var createdBy: UInt64?
    public var history: [Transition]
    public var createdAt: Date
    public var updatedAt: Date

    public var publicId: String { EntityKind.contract.format(id) }
    public var confirmations: Int { parties.filter { $0.confirmedAt != nil }.count }

    public init(id: UInt64, title: String, terms: String, amount: Int64, currency: String, parties: [Party],
                requiredConfirmations: Int, state: State, createdBy: UInt64?, history: [Transition], createdAt: Date) {
        self.id = id; self.title = title; self.terms = terms; self.amount = amount; self.currency = currency
        self.parties = parties; self.requiredConfirmations = requiredConfirmations; self.state = state
        self.createdBy = createdBy; self.history = history; self.createdAt = createdAt; self.updatedAt = createdAt
    }

    public func encode(to w: inout BinaryWriter) {
        w.write(id); w.write(title); w.write(terms); w.write(amount); w.write(currency); w.write(parties)
        w.write(requiredConfirmations); w.write(state); w.write(createdBy); w.write(history); w.write(createdAt); w.write(updatedAt)
    }

    public init(from r: inout BinaryReader) throws {
        id = try r.read(); title = try r.read(); terms = try r.read(); amount = try r.read(); currency = try r.read()
        parties = try r.read(); requiredConfirmations = try r.read(); state = try r.read(); createdBy = try r.read()
        history = try r.read(); createdAt = try r.read(); updatedAt = try r.read()
    }
}
