/// How an ``Environment`` is opened: sizes, limits, durability and feed retention.
public struct StoreConfiguration: Sendable {
    /// When a commit is on disk.
    public enum Durability: Sendable {
        /// Every group commit is flushed to disk (`fdatasync`) before its callers resume.
        case full
        /// Commits are not flushed (`MDB_NOSYNC`): a crash of the machine (not of the
        /// process) may lose the last commits. For tests and benchmarks that say so.
        case noSync
    }

    /// Who opens the store: its one writer, or a reader beside it.
    public enum Access: Sendable {
        /// The folder's one writer. Opening takes the folder's writer lock (`tenda.lock`) and
        /// keeps it until ``Environment/close()``: the writer keeps the change feed's head in
        /// memory, so two processes writing one folder would give two changes the same sequence.
        /// A second writer, in this process or another, is refused with ``StoreError/Code/locked``.
        case readWrite
        /// Looks at a store another process may be writing (statistics, hot backups): takes no
        /// lock, refuses writes with ``StoreError/Code/invalidArgument``, and opens collections
        /// without creating them (a missing one is ``StoreError/Code/notFound``).
        case readOnly
    }

    /// The map size the environment starts with, in bytes. It grows by doubling when full.
    public var mapSize: Int = 64 << 20
    /// The ceiling the map may grow to, in bytes: the most the data file may hold. The
    /// default (1 TiB) leaves the disk as the limit. A write that would need more is refused
    /// with ``StoreError/Code/storageFull``, as on a full disk. Rounded down to whole pages
    /// by LMDB; a file already larger keeps its size but does not grow.
    public var maxMapSize: Int = 1 << 40
    /// How many named databases (collections, indexes and the store's own) may exist.
    public var maxNamedDatabases: UInt32 = 512
    /// How many read transactions may be open at once across all threads.
    public var maxReaders: UInt32 = 1024
    public var durability: Durability = .full
    public var access: Access = .readWrite
    /// The most write calls one group commit takes.
    public var maxBatchSize: Int = 1024
    /// Create the folder and the environment when they do not exist yet.
    public var createIfMissing = true
    /// How much of the change feed to keep; older records are trimmed after commits.
    public var feedRetention = FeedRetention()
    /// How many commits' worth of changes a live follower may have unread before it is
    /// moved back to reading history (it loses nothing; memory stays bounded).
    public var followerBufferLimit = 1024

    public init() {}

    /// A configuration for tests and benchmarks: no fsync, small map.
    public static var testing: StoreConfiguration {
        var c = StoreConfiguration()
        c.durability = .noSync
        c.mapSize = 8 << 20
        return c
    }
}

/// How much of the change feed to keep. Both limits apply when both are set.
public struct FeedRetention: Sendable, Equatable {
    /// Keep at most this many records (the newest).
    public var maxCount: UInt64?
    /// Drop records older than this many seconds.
    public var maxAge: Double?

    public init(maxCount: UInt64? = nil, maxAge: Double? = nil) {
        self.maxCount = maxCount
        self.maxAge = maxAge
    }
}
