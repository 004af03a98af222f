import CLMDB

extension Environment {
    /// The names of the databases whose keys or values hold `needle` anywhere, byte for byte:
    /// every named database in the file (collections `c:…`, indexes `i:…`, the change feed
    /// `_feed`, the counters, `_meta`), whoever opened it. An erasure's check that no trace of a
    /// person is left.
    public func databases(containing needle: [UInt8]) async throws -> [String] {
        guard !needle.isEmpty else { return [] }
        var found: [String] = []
        for name in try databaseNames().sorted() {
            let dbi = try await database(name, create: false)
            let hit = try read { txn in
                var hit = false
                try txn.scanRaw(dbi) { k, v in
                    hit = Self.contains(k, needle) || Self.contains(v, needle)
                    return !hit
                }
                return hit
            }
            if hit { found.append(name) }
        }
        return found
    }

    private static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count, let first = needle.first else { return false }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count, haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}
