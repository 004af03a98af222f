import Foundation

/// A ledger entry as the money ledger shows it (`/api/transactions`).
public struct LedgerEntryView: Encodable, Sendable, Equatable {
    public let id: String
    public let userId: String
    public let kind: String
    /// Positive raises the user's debt, negative lowers it; minor units.
    public let amount: Int64
    public let currency: String
    public let reference: String?
    public let note: String
    public let actorId: String?
    public let at: String

    public init(_ entry: LedgerEntry) {
        id = EntityKind.ledgerEntry.format(entry.id)
        userId = EntityKind.user.format(entry.userId)
        kind = entry.kind.rawValue
        amount = entry.amount
        currency = entry.currency
        reference = entry.reference
        note = entry.note
        actorId = entry.actorId.map(EntityKind.user.format)
        at = RFC3339.string(from: entry.at)
    }
}

/// An audit entry as the audit trail shows it (`/api/audit`).
public struct AuditEntryView: Encodable, Sendable, Equatable {
    public let id: String
    public let actorId: String?
    public let command: String
    public let summary: String
    public let outcome: String
    public let channel: String
    public let clientAddress: String?
    public let userAgent: String?
    public let at: String

    public init(_ entry: AuditEntry) {
        id = EntityKind.audit.format(entry.id)
        actorId = entry.actorId.map(EntityKind.user.format)
        command = entry.command
        summary = entry.summary
        outcome = entry.outcome
        channel = entry.channel.rawValue
        clientAddress = entry.clientAddress
        userAgent = entry.userAgent
        at = RFC3339.string(from: entry.at)
    }
}
