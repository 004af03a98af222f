#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A reader-preferring read-write lock over `pthread_rwlock_t`.
///
/// It guards the memory map: read transactions hold it shared while they touch mapped
/// pages, and growing the map (`mdb_env_set_mapsize`, which remaps) or closing the
/// environment holds it exclusively. Reader preference lets a thread take a read lock
/// inside another read lock without deadlocking behind a waiting writer.
final class ReadWriteLock: @unchecked Sendable {
    // Safe to share: the pthread lock is its own synchronisation; the pointer never changes.
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    @inline(__always)
    func withReadLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    @inline(__always)
    func withWriteLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}
