import Crypto
import Foundation

/// What a store's named databases hold, as one digest each: for telling whether a replica's
/// copy is the primary's, database by database, without shipping either.
public struct DatabaseDigest: Sendable, Equatable, CustomStringConvertible {
    public let entries: Int
    /// SHA-256 over every entry in key order (each key and value prefixed with its length), hex.
    public let sha256: String

    public var description: String { "\(entries) entries, sha256 \(sha256.prefix(16))…" }
}

extension Environment {
    /// A digest of every named database (collections `c:…`, indexes `i:…`, `_feed`,
    /// `_counters`, `_commitCounters`, `_meta`), by name.
    ///
    /// `_meta` holds this copy's own facts (its trim point), and a follower's `_feed` differs
    /// from its primary's once either trims: compare those knowingly.
    public func databaseDigests() async throws -> [String: DatabaseDigest] {
        var digests: [String: DatabaseDigest] = [:]
        for name in try databaseNames() {
            let dbi = try await database(name, create: false)
            digests[name] = try read { txn in
                var hash = SHA256()
                var entries = 0
                try txn.scanRaw(dbi) { key, value in
                    for part in [key, value] {
                        var length = UInt64(part.count).bigEndian
                        withUnsafeBytes(of: &length) { hash.update(bufferPointer: $0) }
                        hash.update(bufferPointer: part)
                    }
                    entries += 1
                    return true
                }
                return DatabaseDigest(entries: entries, sha256: hash.finalize().map { String(format: "%02x", $0) }.joined())
            }
        }
        return digests
    }
}
