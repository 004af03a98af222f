import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The exclusive lock an environment opened to write holds on its folder (`tenda.lock`):
/// one writer per folder is the store's rule (see ``StoreConfiguration/Access/readWrite``).
///
/// An `flock`, so the kernel lets go of it when the process ends, however it ends. The
/// file keeps the name the executable gave it before the store took the lock over, so an
/// older `tenda` and a newer one on the same folder still keep each other out.
final class WriterLock: @unchecked Sendable {
    // Safe to share: `descriptor` is changed only by `release()`, which the environment calls
    // once, under its map lock's write side, as it closes.
    private var descriptor: Int32

    static let fileName = "tenda.lock"

    /// Takes the lock on `<folder>/tenda.lock` (creating the file), or throws
    /// ``StoreError/Code/locked`` when another writer holds it.
    init(folder: String) throws(StoreError) {
        let path = folder + "/" + Self.fileName
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StoreError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            close(descriptor)
            if reason == EWOULDBLOCK {
                throw StoreError(.locked, "another process is writing \(folder) (\(path) is locked); stop it first")
            }
            throw StoreError(.io, "cannot lock \(path): \(String(cString: strerror(reason)))")
        }
    }

    /// Lets go of the lock; later calls do nothing.
    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
