import CLMDB
import Foundation

/// What `tenda db stats` shows: collections, indexes, the feed, the map and reader slots.
public struct StoreStatistics: Sendable, Codable {
    public struct Index: Sendable, Codable {
        public let name: String
        public let entries: Int
    }

    public struct Collection: Sendable, Codable {
        public let name: String
        public let records: Int
        public let indexes: [Index]
    }

    public let path: String
    public let collections: [Collection]
    /// The sequence of the last committed change.
    public let feedHead: UInt64
    /// The highest trimmed sequence; history starts after it.
    public let feedTrimPoint: UInt64
    /// How many change records are kept.
    public let feedRecords: Int
    /// How many aggregate counters exist.
    public let counters: Int
    public let mapSize: Int
    /// Bytes of the map in use (pages up to the last one written).
    public let mapUsed: Int
    public let pageSize: Int
    /// Reader slots held by a live transaction right now.
    public let readersInUse: Int
    public let maxReaders: Int
}

extension Environment {
    /// Counts records, index entries and feed records, and reads the map and reader table.
    public func statistics() async throws -> StoreStatistics {
        var collections: [String: [String]] = [:]
        for name in try databaseNames() {
            let parts = name.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            if parts.count == 2, parts[0] == "c" {
                collections[parts[1], default: []] += []
            } else if parts.count == 3, parts[0] == "i" {
                collections[parts[1], default: []].append(parts[2])
            }
        }
        var handles: [String: MDB_dbi] = [:]
        for (collection, indexes) in collections {
            for name in [InternalDatabases.collectionName(collection)] + indexes.map({ InternalDatabases.indexName(collection, $0) }) {
                handles[name] = try await database(name, create: false)
            }
        }
        let (list, feedRecords, counters, trim) = try read { txn in
            let list = try collections.keys.sorted().map { name in
                StoreStatistics.Collection(
                    name: name,
                    records: try txn.entryCount(handles[InternalDatabases.collectionName(name)] ?? 0),
                    indexes: try (collections[name] ?? []).sorted().map { index in
                        StoreStatistics.Index(name: index, entries: try txn.entryCount(handles[InternalDatabases.indexName(name, index)] ?? 0))
                    })
            }
            return (list, try txn.entryCount(internals.feed), try txn.entryCount(internals.counters), try Self.trimPoint(txn))
        }
        var info = MDB_envinfo()
        var stat = MDB_stat()
        try mapLock.withReadLock { () throws(StoreError) in
            if isClosedForMaintenance { throw StoreError(.closed, "the store is closed") }
            mdb_env_info(env, &info)
            mdb_env_stat(env, &stat)
        }
        return StoreStatistics(
            path: path, collections: list, feedHead: head, feedTrimPoint: trim, feedRecords: feedRecords,
            counters: counters, mapSize: info.me_mapsize, mapUsed: (info.me_last_pgno + 1) * Int(stat.ms_psize),
            pageSize: Int(stat.ms_psize), readersInUse: try readersInUse(), maxReaders: Int(info.me_maxreaders))
    }

    /// Reader slots held by a live read transaction (in this process or another).
    public func readersInUse() throws -> Int {
        final class Lines: @unchecked Sendable {
            // Only touched by mdb_reader_list's callback, synchronously, on this thread.
            var text = ""
        }
        let lines = Lines()
        try mapLock.withReadLock { () throws(StoreError) in
            if isClosedForMaintenance { throw StoreError(.closed, "the store is closed") }
            _ = mdb_reader_list(env, { message, context in
                guard let message, let context else { return 0 }
                Unmanaged<Lines>.fromOpaque(context).takeUnretainedValue().text += String(cString: message)
                return 0
            }, Unmanaged.passUnretained(lines).toOpaque())
        }
        // Lines are "pid thread txnid" after a header, or "(no active readers)";
        // a slot kept idle for reuse shows "-" as its transaction id.
        return lines.text.split(separator: "\n").filter { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count == 3 && Int(fields[0]) != nil && fields[2] != "-"
        }.count
    }
}
