import CLMDB

extension Environment {
    /// The names of the databases whose keys or values hold `needle` anywhere, byte for byte:
    /// every collection and index this environment has opened, and the store's own databases
    /// (the change feed among them). An erasure's check that no trace of a person is left.
    public func databases(containing needle: [UInt8]) throws -> [String] {
        guard !needle.isEmpty else { return [] }
        var named = handles.withLock { $0 }
        named[InternalDatabases.feedName] = internals.feed
        named[InternalDatabases.metaName] = internals.meta
        named[InternalDatabases.countersName] = internals.counters
        named[InternalDatabases.commitCountersName] = internals.commitCounters
        return try read { txn in
            var found: [String] = []
            for (name, dbi) in named.sorted(by: { $0.key < $1.key }) {
                var hit = false
                try txn.scanRaw(dbi) { k, v in
                    hit = Self.contains(k, needle) || Self.contains(v, needle)
                    return !hit
                }
                if hit { found.append(name) }
            }
            return found
        }
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
