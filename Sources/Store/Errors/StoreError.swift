import CLMDB
#if canImport(Glibc)
import Glibc
#endif

/// The one error type of the store: a code callers can match on, and a message for people.
///
/// Every LMDB return code maps to a code here (see ``StoreError/lmdb(_:context:)``);
/// callers above the store match on ``code`` and never on LMDB's numbers.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in a form a caller can switch over.
    public enum Code: String, Sendable, Equatable {
        /// A put would give a unique index a second record for the same key. Nothing was written.
        case uniqueViolation
        /// A put expected a version that is no longer the record's. Nothing was written.
        case versionConflict
        /// A put expected the record to be absent, but it exists. Nothing was written.
        case alreadyExists
        /// A read of the change feed asked for a sequence older than the trim point.
        case sinceTooOld
        /// No room for the write: the disk is full (`ENOSPC`, `EDQUOT`, `EFBIG`, or a write cut
        /// short on a full disk) or the map is at its configured ceiling (`MDB_MAP_FULL` once it
        /// may not grow). Nothing of the refused write was stored; what was committed is intact,
        /// reads go on, and writes succeed again as soon as there is room (no reopen needed).
        /// ``StoreError/lmdbCode`` says which limit was met.
        case storageFull
        /// All reader slots are taken.
        case readersFull
        /// A named database, collection or index that the caller named does not exist.
        case notFound
        /// Stored bytes could not be decoded into the expected type.
        case decodingFailed
        /// A value could not be encoded (for example a key longer than LMDB allows).
        case encodingFailed
        /// The data file is damaged or was written by an incompatible version.
        case corrupted
        /// The environment is closed or closing.
        case closed
        /// Another process holds the folder's writer lock: it writes this store, and a second
        /// writer is refused (see ``StoreConfiguration/Access``). Nothing was opened.
        case locked
        /// A counter would pass the range of a 64-bit integer. Nothing was written.
        case outOfRange
        /// A caller broke a rule of the API (for example a key too long for LMDB).
        case invalidArgument
        /// The operating system refused an operation (permissions, missing folder, I/O error).
        case io
        /// Any other LMDB failure; ``StoreError/lmdbCode`` holds the number.
        case lmdb
        /// The store follows a primary (see ``Environment/becomeFollower()``): its changes come
        /// from the primary's feed only, so a write that would log a change is refused. Nothing was written.
        case follower
        /// Replicated changes that do not continue this store's feed where it ends, or that were
        /// made in another epoch, or that find the store's records other than the primary had them.
        /// Nothing was written: the follower must start again from a fresh snapshot.
        case replicationMismatch
    }

    public let code: Code
    public let message: String
    /// The raw LMDB or errno value when the error came from the C library.
    public let lmdbCode: Int32?

    public init(_ code: Code, _ message: String, lmdbCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.lmdbCode = lmdbCode
    }

    public var description: String {
        "StoreError.\(code.rawValue): \(message)"
    }

    /// Maps an LMDB or errno return code to a store error. `context` says what was being done.
    static func lmdb(_ rc: Int32, context: String) -> StoreError {
        let text = String(cString: mdb_strerror(rc))
        let code: Code
        switch rc {
        case MDB_MAP_FULL: code = .storageFull
        case MDB_READERS_FULL: code = .readersFull
        case MDB_NOTFOUND: code = .notFound
        case MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_VERSION_MISMATCH, MDB_INVALID: code = .corrupted
        case MDB_BAD_VALSIZE, MDB_BAD_DBI, MDB_INCOMPATIBLE, MDB_BAD_TXN, MDB_BAD_RSLOT: code = .invalidArgument
        case ENOSPC, EFBIG, EDQUOT: code = .storageFull
        case EACCES, EPERM, ENOENT, EIO, EROFS, ENOTDIR: code = .io
        case ENOMEM: code = .io
        case EINVAL: code = .invalidArgument
        default: code = .lmdb
        }
        return StoreError(code, "\(context): \(text)", lmdbCode: rc)
    }

    /// Throws the mapped error when `rc` is not success.
    @inline(__always)
    static func check(_ rc: Int32, _ context: @autoclosure () -> String) throws(StoreError) {
        if rc != MDB_SUCCESS { throw StoreError.lmdb(rc, context: context()) }
    }

    /// Two errors are equal when their codes are: the message and LMDB number are detail.
    public static func == (lhs: StoreError, rhs: StoreError) -> Bool {
        lhs.code == rhs.code
    }
}
