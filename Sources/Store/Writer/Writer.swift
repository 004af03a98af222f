import CLMDB
import Foundation
import Synchronization

/// One call of `write`, waiting for the writer thread.
struct WriteRequest: Sendable {
    /// Runs the caller's closure; it may run more than once if the map must grow first.
    let body: @Sendable (WriteTransaction) throws -> Void
    /// Resumes the caller once the batch is durable (nil) or with the call's error.
    let finish: @Sendable ((any Error)?) -> Void
    let metadata: [String: String]
    /// `metadata` in the feed's format, encoded by the caller, off the writer thread.
    let encodedMetadata: [UInt8]
    /// Runs alone in a top-level transaction rather than nested in a batch
    /// (opening named databases needs that).
    let isolated: Bool
}

/// The store's single writer: a dedicated thread that runs every LMDB write transaction.
///
/// Pending calls are taken together and committed as one transaction (group commit: one
/// fsync for many callers). Each call runs in its own nested transaction, so a call that
/// throws rolls back alone. When LMDB reports the map full, the whole batch is rolled
/// back, the map grows, and the batch runs again: callers never see `MDB_MAP_FULL` until
/// the map is at its ceiling. When there is no room (a full disk, or the map at its ceiling),
/// the calls are refused with ``StoreError/Code/storageFull`` and nothing of them is stored;
/// the writer goes on, and takes writes again as soon as they fit (see ``StorageCondition``).
final class Writer: @unchecked Sendable {
    // Safe to share: `pending` and `stopping` are only touched under `condition`; everything
    // else is immutable or used by the writer thread alone.
    private let condition = NSCondition()
    private var pending: [WriteRequest] = []
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?

    private let env: OpaquePointer
    /// The store's folder, to tell a full disk from other I/O errors.
    private let path: String
    private let mapLock: ReadWriteLock
    private let hub: ChangeFeedHub
    private let configuration: StoreConfiguration
    /// Set once at open, before the thread starts; read by the writer thread only afterwards.
    var internals: InternalDatabases?
    /// The sequence of the last committed change. Writer thread only.
    private var head: UInt64
    /// The store follows a primary (``Environment/becomeFollower()``); set before any write of
    /// the follower is submitted, read by the writer thread.
    private let followerFlag = Atomic<Bool>(false)
    var isFollower: Bool {
        get { followerFlag.load(ordering: .acquiring) }
        set { followerFlag.store(newValue, ordering: .releasing) }
    }
    private var commitsSinceRetention = 0
    /// CPU time the writer thread has used, in nanoseconds, as of its last batch.
    private let cpuTime = Atomic<UInt64>(0)
    var cpuNanoseconds: UInt64 { cpuTime.load(ordering: .relaxed) }
    /// Whether the last write refused or reached the disk; the writer thread's copy of
    /// `storageState.condition.isFull`, so that a commit takes the lock only on a change.
    private var storageFull = false
    /// The storage condition and who wants to hear of its changes. Changed by the writer
    /// thread only; read from any thread.
    private let storageState = Mutex<StorageState>(StorageState())

    struct StorageState {
        var condition = StorageCondition.ok
        var observers: [@Sendable (StorageCondition) -> Void] = []
    }

    init(env: OpaquePointer, path: String, mapLock: ReadWriteLock, hub: ChangeFeedHub, head: UInt64, configuration: StoreConfiguration) {
        self.env = env
        self.path = path
        self.mapLock = mapLock
        self.hub = hub
        self.head = head
        self.configuration = configuration
    }

    func start() {
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        // At most 15 bytes: Linux refuses a longer name (then top and perf show none).
        thread.name = "tenda-writer"
        thread.stackSize = 4 << 20
        self.thread = thread
        thread.start()
    }

    /// Queues a call; false when the writer is stopping.
    func submit(_ request: WriteRequest) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if stopping { return false }
        pending.append(request)
        condition.signal()
        return true
    }

    /// How many calls wait for the writer thread (not counting the batch it is running).
    var queuedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return pending.count
    }

    /// Finishes the calls already queued, then ends the thread and waits for it.
    func stop() {
        condition.lock()
        let wasRunning = !stopping && thread != nil
        stopping = true
        condition.signal()
        condition.unlock()
        // On the writer thread itself (a write closure let go of the last reference to the
        // environment) the loop ends by itself once this closure returns.
        if wasRunning, Thread.current !== thread { finished.wait() }
    }

    /// How many calls the last durable batch took: the writer waits a moment for as many
    /// before the next fsync (see `gather()`).
    private var lastBatchSize = 0

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopping { condition.wait() }
            gather()
            if pending.isEmpty && stopping {
                condition.unlock()
                return
            }
            let batch: [WriteRequest]
            if let first = pending.first, first.isolated {
                batch = [first]
                pending.removeFirst()
            } else {
                let n = min(pending.count, configuration.maxBatchSize, pending.firstIndex { $0.isolated } ?? .max)
                batch = Array(pending.prefix(n))
                pending.removeFirst(n)
            }
            condition.unlock()
            if configuration.durability == .full { lastBatchSize = batch.count }
            process(batch)
            noteCPUTime()
        }
    }

    /// Reads the thread's CPU clock (a vDSO call, no system call) for ``Environment/writerCPUTime``.
    private func noteCPUTime() {
        var now = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) == 0 else { return }
        cpuTime.store(UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec), ordering: .relaxed)
    }

    /// With full durability, each commit costs an fsync whatever its size. Callers that
    /// were just resumed resubmit within microseconds, so when the last batch was large
    /// and fewer calls wait now, the writer waits (at most `gatherWindow`, woken by each
    /// submission) until as many are queued. A lone writer never waits: its last batch was 1.
    /// Called with `condition` locked.
    private func gather() {
        guard configuration.durability == .full, lastBatchSize > 1, !stopping else { return }
        let deadline = Date().addingTimeInterval(Self.gatherWindow)
        while pending.count < lastBatchSize, !stopping, condition.wait(until: deadline) {}
    }

    /// A fraction of one fsync on this kind of disk (about 270 µs).
    static let gatherWindow: TimeInterval = 0.000_2

    /// Runs one batch to a durable commit (growing the map as often as needed), publishes
    /// its changes, then resumes its callers. When there is no room for the whole batch, its
    /// calls are run again one at a time, so that those that fit are still taken.
    private func process(_ batch: [WriteRequest]) {
        var outcome: BatchOutcome
        var savepoints = false
        while true {
            outcome = attempt(batch, savepoints: savepoints)
            if case .callFailed = outcome {
                savepoints = true
                continue
            }
            guard case .mapFull = outcome else { break }
            if let error = grow() {
                outcome = .failed(error)
                break
            }
        }
        switch outcome {
        case .committed(let results, let changes, let actions, let newHead, let reachedDisk):
            head = newHead
            hub.publish(changes, head: newHead)
            if reachedDisk { noteRoom() }
            for action in actions { action() }
            for (request, error) in zip(batch, results) { request.finish(error) }
            afterCommit()
        case .failed(let error) where error.code == .storageFull && batch.count > 1:
            for request in batch { process([request]) }
        case .failed(let error):
            if error.code == .storageFull { noteRefusal(error, calls: batch.count) }
            for request in batch { request.finish(error) }
        case .mapFull, .callFailed:
            for request in batch { request.finish(StoreError(.storageFull, "map full")) }
        }
    }

    private enum BatchOutcome {
        /// `actions`: the committed calls' ``WriteTransaction/afterCommit(_:)`` actions.
        /// `reachedDisk`: the commit wrote a new state to the file (a batch whose every call
        /// failed, or that changed nothing, commits without writing).
        case committed(results: [(any Error)?], changes: [ChangeRecord], actions: [@Sendable () -> Void], head: UInt64, reachedDisk: Bool)
        case mapFull
        /// A call threw while the batch ran without savepoints: run it again with them.
        case callFailed
        case failed(StoreError)
    }

    /// Runs the batch in one transaction. Without `savepoints`, calls write straight into it
    /// (most batches: no call fails, and a nested transaction per call costs page copies and
    /// dirty-list merges); the first call that throws aborts the attempt, and the batch runs
    /// again with a nested transaction per call, so that only the failing call rolls back.
    private func attempt(_ batch: [WriteRequest], savepoints: Bool) -> BatchOutcome {
        guard let internals else { return .failed(StoreError(.closed, "writer not ready")) }
        var parent: OpaquePointer?
        let rc = mdb_txn_begin(env, nil, 0, &parent)
        guard rc == MDB_SUCCESS, let parent else {
            return rc == MDB_MAP_FULL ? .mapFull : .failed(StoreError.lmdb(rc, context: "begin write"))
        }
        // Whole microseconds, the unit the feed stores, so live and replayed records are equal.
        let state = BatchState(nextSequence: head + 1, now: Date(microsecondsSince1970: Date().microsecondsSince1970),
                               follower: isFollower)
        var results: [(any Error)?] = []
        var changes: [ChangeRecord] = []
        var actions: [@Sendable () -> Void] = []

        for request in batch {
            let sequenceBefore = state.nextSequence
            let result: (any Error)?
            if request.isolated || !savepoints {
                let txn = WriteTransaction(txn: parent, internals: internals, batch: state, metadata: request.metadata,
                                           encodedMetadata: request.encodedMetadata)
                do { try request.body(txn); try txn.finishCall(); result = nil } catch { result = error }
                txn.isOpen = false
                if result != nil { txn.rollBackCounters() }
                changes += txn.changes
                if result == nil { actions += txn.commitActions }
            } else {
                result = runNested(request, parent: parent, internals: internals, state: state, changes: &changes, actions: &actions)
            }
            if state.sawMapFull {
                mdb_txn_abort(parent)
                return .mapFull
            }
            if let result, !savepoints {
                mdb_txn_abort(parent)
                // A lone call has nothing to keep: its error is the answer.
                return batch.count == 1 ? .committed(results: [result], changes: [], actions: [], head: head, reachedDisk: false) : .callFailed
            }
            if result != nil { state.nextSequence = sequenceBefore }
            results.append(result)
        }

        let newHead = state.nextSequence - 1
        do {
            let txn = WriteTransaction(txn: parent, internals: internals, batch: state, metadata: [:])
            try txn.flushCounterDeltas()
            if newHead != head {
                try txn.rawPut(internals.meta, InternalDatabases.MetaKey.head.bytes, newHead.binaryEncoded())
            }
        } catch {
            mdb_txn_abort(parent)
            return state.sawMapFull ? .mapFull : .failed(error as? StoreError ?? StoreError(.lmdb, "\(error)"))
        }
        let transactionId = mdb_txn_id(parent)
        // A failed commit aborts the transaction (LMDB frees it) and leaves the last committed
        // state as it was: the pages it wrote were free ones, and the meta page was not touched.
        let commit = mdb_txn_commit(parent)
        if commit == MDB_MAP_FULL { return .mapFull }
        if commit != MDB_SUCCESS { return .failed(classifyCommitFailure(commit)) }
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        return .committed(results: results, changes: changes, actions: actions, head: newHead, reachedDisk: info.me_last_txnid == transactionId)
    }

    /// Runs one call in its own nested transaction; returns its error, or nil when it committed.
    private func runNested(
        _ request: WriteRequest, parent: OpaquePointer, internals: InternalDatabases,
        state: BatchState, changes: inout [ChangeRecord], actions: inout [@Sendable () -> Void]
    ) -> (any Error)? {
        var child: OpaquePointer?
        let rc = mdb_txn_begin(env, parent, 0, &child)
        guard rc == MDB_SUCCESS, let child else {
            if rc == MDB_MAP_FULL { state.sawMapFull = true }
            return StoreError.lmdb(rc, context: "begin nested write")
        }
        let txn = WriteTransaction(txn: child, internals: internals, batch: state, metadata: request.metadata,
                                   encodedMetadata: request.encodedMetadata)
        do {
            try request.body(txn)
            try txn.finishCall()
        } catch {
            txn.isOpen = false
            txn.rollBackCounters()
            mdb_txn_abort(child)
            return error
        }
        txn.isOpen = false
        if state.sawMapFull {
            // The caller caught the map-full error and returned normally: the transaction is
            // unusable, and the whole batch will run again after the map grows.
            mdb_txn_abort(child)
            return StoreError(.storageFull, "map full")
        }
        let commit = mdb_txn_commit(child)
        if commit != MDB_SUCCESS {
            if commit == MDB_MAP_FULL { state.sawMapFull = true }
            txn.rollBackCounters()
            return StoreError.lmdb(commit, context: "commit nested write")
        }
        changes += txn.changes
        actions += txn.commitActions
        return nil
    }

    /// LMDB reports a write cut short by a full disk as `EIO` (a short `pwrite`), not
    /// `ENOSPC`; when the store's file system has (almost) no room left, say so.
    private func classifyCommitFailure(_ rc: Int32) -> StoreError {
        var fs = statvfs()
        if rc == EIO, statvfs(path, &fs) == 0, UInt64(fs.f_bavail) * UInt64(fs.f_frsize) < 1 << 20 {
            return StoreError(.storageFull, "commit: no space left on the disk holding \(path)", lmdbCode: rc)
        }
        return StoreError.lmdb(rc, context: "commit")
    }

    // MARK: Room for writes

    /// The storage condition as the last write found it.
    var storage: StorageCondition { storageState.withLock { $0.condition } }

    /// Adds an observer of the storage condition's changes (see ``Environment/observeStorage(_:)``).
    func observeStorage(_ observer: @escaping @Sendable (StorageCondition) -> Void) {
        storageState.withLock { $0.observers.append(observer) }
    }

    /// Writer thread: `calls` write calls were refused for want of room.
    private func noteRefusal(_ error: StoreError, calls: Int) {
        let (changed, observers) = storageState.withLock { state -> (StorageCondition?, [@Sendable (StorageCondition) -> Void]) in
            if state.condition.isFull {
                state.condition.refusals += calls
                return (nil, [])
            }
            state.condition = StorageCondition(isFull: true, since: Date(), reason: error.message, refusals: calls)
            return (state.condition, state.observers)
        }
        storageFull = true
        if let changed { for observer in observers { observer(changed) } }
    }

    /// Writer thread: a commit reached the disk, so there is room again.
    private func noteRoom() {
        guard storageFull else { return }
        storageFull = false
        let (changed, observers) = storageState.withLock { state -> (StorageCondition, [@Sendable (StorageCondition) -> Void]) in
            state.condition = StorageCondition(isFull: false, since: nil, reason: nil, refusals: state.condition.refusals)
            return (state.condition, state.observers)
        }
        for observer in observers { observer(changed) }
    }

    // MARK: The map and the feed after a commit

    /// Doubles the map, up to the configured ceiling; returns an error when it may not grow.
    private func grow() -> StoreError? {
        let current = currentMapSize()
        guard current < configuration.maxMapSize else {
            return StoreError(.storageFull, "the map is at its ceiling of \(configuration.maxMapSize) bytes (maxMapSize)",
                              lmdbCode: MDB_MAP_FULL)
        }
        let target = min(configuration.maxMapSize, max(current * 2, current + (1 << 20)))
        return setMapSize(target)
    }

    private func setMapSize(_ size: Int) -> StoreError? {
        // No transaction of this process may be open while LMDB remaps: readers hold the lock shared.
        let rc = mapLock.withWriteLock { mdb_env_set_mapsize(env, size) }
        return rc == MDB_SUCCESS ? nil : StoreError.lmdb(rc, context: "grow map")
    }

    private func currentMapSize() -> Int {
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        return info.me_mapsize
    }

    /// Grows the map ahead of need (so most batches never hit `MDB_MAP_FULL`) and applies
    /// feed retention now and then.
    private func afterCommit() {
        var info = MDB_envinfo()
        var stat = MDB_stat()
        mdb_env_info(env, &info)
        mdb_env_stat(env, &stat)
        let used = (info.me_last_pgno + 1) * Int(stat.ms_psize)
        if used > info.me_mapsize / 5 * 4, info.me_mapsize < configuration.maxMapSize {
            _ = grow()
        }
        commitsSinceRetention += 1
        let retention = configuration.feedRetention
        if commitsSinceRetention >= 64, retention.maxCount != nil || retention.maxAge != nil {
            commitsSinceRetention = 0
            applyRetention(retention)
        }
    }

    private func applyRetention(_ retention: FeedRetention) {
        let request = WriteRequest(
            body: { txn in _ = try txn.trimFeed(retention) },
            finish: { _ in }, metadata: [:], encodedMetadata: [String: String]().binaryEncoded(), isolated: false)
        process([request])
    }
}
