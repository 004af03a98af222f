import CLMDB
import Foundation
import Synchronization

/// An LMDB environment: the store's file, its writer thread and its change feed.
///
/// ```swift
/// let env = try await Environment.open(at: "/var/lib/tenda")
/// let products = try await env.collection("products", key: UInt64Key.self, value: BinaryCodec<Product>.self)
/// try await env.write { txn in try products.put(txn, 1, coxinha) }
/// let p = try env.read { txn in try products.get(txn, 1) }
/// ```
///
/// Reads are snapshot transactions on the caller's thread and never wait for the writer.
/// Writes are queued to one writer thread and group-committed. Call ``close()`` when done.
public final class Environment: @unchecked Sendable {
    // Safe to share: `env` is an LMDB environment opened with MDB_NOTLS, which LMDB allows
    // from any thread; `mapLock` orders remapping and closing against open transactions;
    // `isClosed` is only changed under `mapLock`'s write side; everything else is immutable
    // or has its own lock.
    @usableFromInline let env: OpaquePointer
    /// The folder holding `data.mdb` and `lock.mdb`.
    public let path: String
    public let configuration: StoreConfiguration
    let mapLock = ReadWriteLock()
    let writer: Writer
    let feedHub: ChangeFeedHub
    let internals: InternalDatabases
    /// Held from open to close when the environment writes (``StoreConfiguration/Access/readWrite``).
    private let writerLock: WriterLock?
    private var isClosed = false
    /// Whether the environment is closed; read only while holding `mapLock`.
    var isClosedForMaintenance: Bool { isClosed }
    /// Named databases opened so far, by name.
    private let handles = Mutex<[String: MDB_dbi]>([:])
    /// The store's epoch (see ``epoch``); changed only by ``beginNewEpoch()``.
    let epochState: Mutex<String>
    /// The logged collections opened so far, by name: what applies a replicated change to each
    /// (see ``apply(_:)``).
    let replicaAppliers = Mutex<[String: any ReplicaApplier]>([:])
    /// What a follower runs after applying a replicated change of a collection (see ``onReplicatedChange(of:_:)``).
    let replicaHooks = Mutex<[String: ReplicaHook]>([:])

    private init(env: OpaquePointer, path: String, configuration: StoreConfiguration, head: UInt64, epoch: String,
                 internals: InternalDatabases, writerLock: WriterLock?) {
        self.env = env
        epochState = Mutex(epoch)
        self.writerLock = writerLock
        self.path = path
        self.configuration = configuration
        self.internals = internals
        feedHub = ChangeFeedHub(head: head, bufferLimit: configuration.followerBufferLimit)
        writer = Writer(env: env, path: path, mapLock: mapLock, hub: feedHub, head: head, configuration: configuration)
        writer.internals = internals
        handles.withLock {
            $0[InternalDatabases.feedName] = internals.feed
            $0[InternalDatabases.metaName] = internals.meta
            $0[InternalDatabases.countersName] = internals.counters
            $0[InternalDatabases.commitCountersName] = internals.commitCounters
        }
        writer.start()
    }

    deinit {
        shutDown()
    }

    /// Opens (or creates) the environment in the folder `path`.
    ///
    /// Stale reader slots left by dead processes are cleared. The store's own databases
    /// (feed, meta, counters) are created on first open. Opened to write (the default
    /// ``StoreConfiguration/Access/readWrite``), it takes the folder's writer lock until
    /// ``close()``, and throws ``StoreError/Code/locked`` while another writer holds it.
    public static func open(at path: String, configuration: StoreConfiguration = StoreConfiguration()) async throws -> Environment {
        try await runBlocking { try openSynchronously(at: path, configuration: configuration) }
    }

    private static func openSynchronously(at path: String, configuration: StoreConfiguration) throws -> Environment {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard configuration.createIfMissing else { throw StoreError(.notFound, "no store at \(path)") }
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw StoreError(.io, "cannot create \(path): \(error.localizedDescription)")
            }
        } else if !isDirectory.boolValue {
            throw StoreError(.io, "\(path) is not a folder")
        } else if !configuration.createIfMissing,
                  !FileManager.default.fileExists(atPath: path + "/data.mdb") {
            throw StoreError(.notFound, "no store at \(path)")
        }

        let writerLock = configuration.access == .readWrite ? try WriterLock(folder: path) : nil
        var envPointer: OpaquePointer?
        let created = mdb_env_create(&envPointer)
        guard created == MDB_SUCCESS, let env = envPointer else {
            writerLock?.release()
            throw created == MDB_SUCCESS ? StoreError(.lmdb, "create environment returned nothing") : StoreError.lmdb(created, context: "create environment")
        }
        do {
            try StoreError.check(mdb_env_set_maxdbs(env, configuration.maxNamedDatabases), "set max databases")
            try StoreError.check(mdb_env_set_maxreaders(env, configuration.maxReaders), "set max readers")
            try StoreError.check(mdb_env_set_mapsize(env, min(configuration.mapSize, configuration.maxMapSize)), "set map size")
            var flags = UInt32(MDB_NOTLS)
            if configuration.durability == .noSync { flags |= UInt32(MDB_NOSYNC) }
            try StoreError.check(mdb_env_open(env, path, flags, 0o640), "open \(path)")
            var dead: Int32 = 0
            try StoreError.check(mdb_reader_check(env, &dead), "clear stale readers")
            // A map smaller than the file (opened with a smaller setting) is raised to the file's size.
            try StoreError.check(mdb_env_set_mapsize(env, 0), "adopt map size")

            let (internals, head, epoch) = try createInternalDatabases(env, writing: configuration.access == .readWrite)
            return Environment(env: env, path: path, configuration: configuration, head: head, epoch: epoch, internals: internals,
                               writerLock: writerLock)
        } catch {
            mdb_env_close(env)
            writerLock?.release()
            throw error
        }
    }

    /// Creates or opens the feed, meta and counter databases before the writer starts
    /// (the only write transaction not run on the writer thread, since it does not exist yet).
    /// A store's writer gives it an epoch on its first open (a store made before epochs gets
    /// one then, once); a reader takes the stored one, or "" when there is none yet.
    private static func createInternalDatabases(_ env: OpaquePointer, writing: Bool) throws -> (InternalDatabases, UInt64, String) {
        var txnPointer: OpaquePointer?
        try StoreError.check(mdb_txn_begin(env, nil, 0, &txnPointer), "begin setup")
        guard let txn = txnPointer else { throw StoreError(.lmdb, "begin setup returned nothing") }
        do {
            func open(_ name: String) throws -> MDB_dbi {
                var dbi: MDB_dbi = 0
                try StoreError.check(mdb_dbi_open(txn, name, UInt32(MDB_CREATE), &dbi), "open \(name)")
                return dbi
            }
            let internals = InternalDatabases(
                feed: try open(InternalDatabases.feedName),
                meta: try open(InternalDatabases.metaName),
                counters: try open(InternalDatabases.countersName),
                commitCounters: try open(InternalDatabases.commitCountersName))
            let reader = ReadTransaction(txn: txn, internals: internals)
            let head = try reader.rawGet(internals.meta, InternalDatabases.MetaKey.head.bytes).map { try UInt64(binary: $0) } ?? 0
            var epoch = try reader.rawGet(internals.meta, InternalDatabases.MetaKey.epoch.bytes).map { String(decoding: $0, as: UTF8.self) } ?? ""
            if epoch.isEmpty, writing {
                epoch = Self.makeEpoch()
                try putMeta(txn, internals.meta, .epoch, Array(epoch.utf8))
            }
            try StoreError.check(mdb_txn_commit(txn), "commit setup")
            return (internals, head, epoch)
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
    }

    /// Stops the writer after the queued writes, ends followers' streams, closes the file and
    /// lets go of the folder's writer lock. Reads and writes after this throw ``StoreError/Code/closed``.
    public func close() async {
        await Self.runBlockingNonThrowing { self.shutDown() }
    }

    private func shutDown() {
        writer.stop()
        feedHub.close()
        mapLock.withWriteLock {
            if !isClosed {
                isClosed = true
                mdb_env_close(env)
                writerLock?.release()
            }
        }
    }

    // MARK: Transactions

    /// Runs `body` in a snapshot read transaction on the calling thread.
    ///
    /// Callable from any task or thread; it does not wait for writes. It is a programmer
    /// error to keep the transaction (or bytes borrowed from it) past the closure.
    @inlinable
    public func read<T>(_ body: (ReadTransaction) throws -> T) throws -> T {
        try withReadTransaction(body)
    }

    @usableFromInline
    func withReadTransaction<T>(_ body: (ReadTransaction) throws -> T) throws -> T {
        while true {
            let outcome: T? = try mapLock.withReadLock { () throws -> T? in
                if isClosed { throw StoreError(.closed, "the store is closed") }
                var txnPointer: OpaquePointer?
                let rc = mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txnPointer)
                if rc == MDB_MAP_RESIZED { return nil }
                try StoreError.check(rc, "begin read")
                guard let txn = txnPointer else { throw StoreError(.lmdb, "begin read returned nothing") }
                let reader = ReadTransaction(txn: txn, internals: internals)
                defer {
                    reader.isOpen = false
                    mdb_txn_abort(txn)
                }
                return try body(reader)
            }
            if let outcome { return outcome }
            // Another process grew the map: adopt its size, with no transaction open here.
            try mapLock.withWriteLock { () throws(StoreError) in
                if !isClosed { try StoreError.check(mdb_env_set_mapsize(env, 0), "adopt map size") }
            }
        }
    }

    /// Runs `body` in a write transaction and returns once the change is durable.
    ///
    /// Concurrent calls are group-committed: one LMDB transaction and one fsync for many
    /// callers. Each call runs in its own nested transaction: when `body` throws, this
    /// call's changes roll back and the error is rethrown here, while the other calls of
    /// the batch commit. `body` runs on the writer thread; it must be quick and must not
    /// wait for anything. It may run more than once (when the map must grow first), so it
    /// should have no effects besides the transaction; only the last run's result is returned.
    /// Cancelling the calling task does not cancel a write already queued.
    ///
    /// - Parameter metadata: stamped on every change record this call appends (for example
    ///   `["actor": "u9"]`).
    @discardableResult
    public func write<T: Sendable>(
        metadata: [String: String] = [:],
        _ body: @escaping @Sendable (WriteTransaction) throws -> T
    ) async throws -> T {
        try refuseWhenReadOnly("write to")
        return try await submit(metadata: metadata, isolated: false, body)
    }

    /// Throws for a write asked of an environment opened ``StoreConfiguration/Access/readOnly``.
    private func refuseWhenReadOnly(_ what: String) throws(StoreError) {
        if configuration.access == .readOnly {
            throw StoreError(.invalidArgument, "cannot \(what) \(path): the store was opened read-only")
        }
    }

    func submit<T: Sendable>(
        metadata: [String: String], isolated: Bool,
        _ body: @escaping @Sendable (WriteTransaction) throws -> T
    ) async throws -> T {
        let box = ResultBox<T>()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let request = WriteRequest(
                body: { txn in box.value = try body(txn) },
                finish: { error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else if let value = box.value {
                        continuation.resume(returning: value)
                    } else {
                        continuation.resume(throwing: StoreError(.lmdb, "write finished without a result"))
                    }
                },
                metadata: metadata, encodedMetadata: metadata.binaryEncoded(), isolated: isolated)
            if !writer.submit(request) {
                continuation.resume(throwing: StoreError(.closed, "the store is closed"))
            }
        }
    }

    /// CPU time the writer thread has spent so far, as of its last batch: running the write
    /// closures, LMDB's commits and the kernel's share of them, not the time it waits. What a
    /// write costs the one thread every write goes through (the benchmarks divide it by writes).
    public var writerCPUTime: Duration { .nanoseconds(Int64(clamping: writer.cpuNanoseconds)) }

    // MARK: Room for writes

    /// Whether the store has room for writes, as the last write found it: full from the first
    /// write refused with ``StoreError/Code/storageFull`` until a write reaches the disk again.
    /// A report, never a gate: writes are always tried.
    public var storage: StorageCondition { writer.storage }

    /// Calls `observer` each time ``storage`` turns full or back to ok (not on every refusal),
    /// on the writer thread: it must be quick and must not write to the store.
    public func observeStorage(_ observer: @escaping @Sendable (StorageCondition) -> Void) {
        writer.observeStorage(observer)
    }

    // MARK: Named databases

    /// The handle of a named database, opening (and, when `create`, creating) it on the writer thread.
    func database(_ name: String, create: Bool) async throws -> MDB_dbi {
        if let dbi = handles.withLock({ $0[name] }) { return dbi }
        // Read-only, a database is opened but never created: a missing one is `notFound`.
        let create = create && configuration.access == .readWrite
        let dbi = try await submit(metadata: [:], isolated: true) { txn -> MDB_dbi in
            var dbi: MDB_dbi = 0
            try StoreError.check(mdb_dbi_open(txn.txn, name, create ? UInt32(MDB_CREATE) : 0, &dbi), "open database \(name)")
            return dbi
        }
        handles.withLock { $0[name] = dbi }
        return dbi
    }

    /// The names of every named database in the file.
    func databaseNames() throws -> [String] {
        try read { txn in
            var names: [String] = []
            // The unnamed main database lists the named ones as its keys.
            try txn.scanRaw(MDB_dbi(1)) { k, _ in
                names.append(String(decoding: k, as: UTF8.self))
                return true
            }
            return names
        }
    }

    // MARK: Running blocking work off the cooperative pool

    /// Runs blocking work (opening files, copying the map) on its own thread.
    static func runBlocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    static func runBlockingNonThrowing(_ work: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { continuation in
            Thread { work(); continuation.resume() }.start()
        }
    }
}

/// Carries a write closure's result from the writer thread to the caller.
private final class ResultBox<T>: @unchecked Sendable {
    // Safe to share: written by the writer thread before `finish` resumes the caller, and
    // read only in `finish`, on that same thread.
    var value: T?
}
