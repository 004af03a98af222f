import Foundation
import Store

/// A signed-in device: one link of a refresh-token family.
///
/// Each refresh makes a new session in the same family and marks the old one rotated.
/// Presenting a rotated refresh token again means it leaked: the whole family is revoked.
public struct Session: Sendable, Equatable, BinaryCodable {
    public var id: UInt64
    public var userId: UInt64
    /// The id of the family's first session.
    public var familyId: UInt64
    /// SHA-256 of the refresh token's secret (hex); the secret itself is never stored.
    public var secretHash: String
    public var device: String
    public var createdAt: Date
    public var expiresAt: Date
    public var rotatedAt: Date?
    public var revokedAt: Date?
    /// The client's address when this link was made (sign-in or refresh); nil in records
    /// written before it was kept, and for callers with no address (the CLI).
    public var address: String?
    /// When the session was last known in use, as stored: set when the link is made. Uses in
    /// between (every request with its access token) are kept in memory only, by
    /// ``SessionActivity``, so reading stays a read; nil in records written before it was kept.
    public var lastUsedAt: Date?

    public init(id: UInt64, userId: UInt64, familyId: UInt64, secretHash: String, device: String, createdAt: Date, expiresAt: Date,
                address: String? = nil, lastUsedAt: Date? = nil) {
        self.id = id; self.userId = userId; self.familyId = familyId; self.secretHash = secretHash; self.device = device
        self.createdAt = createdAt; self.expiresAt = expiresAt; self.address = address; self.lastUsedAt = lastUsedAt
    }

    public func encode(to w: inout BinaryWriter) {
        w.write(id); w.write(userId); w.write(familyId); w.write(secretHash); w.write(device); w.write(createdAt)
        w.write(expiresAt); w.write(rotatedAt); w.write(revokedAt); w.write(address); w.write(lastUsedAt)
    }

    /// Reads both formats: records written before `address` and `lastUsedAt` end after `revokedAt`.
    public init(from r: inout BinaryReader) throws {
        id = try r.read(); userId = try r.read(); familyId = try r.read(); secretHash = try r.read(); device = try r.read()
        createdAt = try r.read(); expiresAt = try r.read(); rotatedAt = try r.read(); revokedAt = try r.read()
        if !r.isAtEnd {
            address = try r.read(); lastUsedAt = try r.read()
        }
    }
}

/// A one-time code that signs its user in (the bot's `/login` link), stored under its hash.
public struct LoginCode: Sendable, Equatable, BinaryCodable {
    public var userId: UInt64
    public var expiresAt: Date
    public var usedAt: Date?

    public init(userId: UInt64, expiresAt: Date) { self.userId = userId; self.expiresAt = expiresAt }

    public func encode(to w: inout BinaryWriter) { w.write(userId); w.write(expiresAt); w.write(usedAt) }
    public init(from r: inout BinaryReader) throws { userId = try r.read(); expiresAt = try r.read(); usedAt = try r.read() }
}

/// The first answer to a command sent with an idempotency key, replayed for the same key.
struct IdempotencyRecord: Sendable, Equatable, BinaryCodable {
    var command: String
    /// A digest of the command's input: the same key with other input is refused.
    var inputDigest: String
    var result: [UInt8]
    var at: Date
    /// The first run's answered version and feed sequence (absent in records from before they were kept).
    var version: UInt64?
    var sequence: UInt64?

    init(command: String, inputDigest: String, result: [UInt8], at: Date, version: UInt64?, sequence: UInt64?) {
        self.command = command; self.inputDigest = inputDigest; self.result = result; self.at = at
        self.version = version; self.sequence = sequence
    }

    func encode(to w: inout BinaryWriter) {
        w.write(command); w.write(inputDigest); w.writeBytes(result); w.write(at); w.write(version); w.write(sequence)
    }
    init(from r: inout BinaryReader) throws {
        command = try r.read(); inputDigest = try r.read(); result = try r.readBytes(); at = try r.read()
        if !r.isAtEnd { version = try r.read(); sequence = try r.read() }
    }
}
