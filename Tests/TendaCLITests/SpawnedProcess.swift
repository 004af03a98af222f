import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A child process started with `posix_spawn`, with its output in files: what these tests use
/// instead of Foundation's `Process`.
///
/// In Swift 6.3.1 on Linux, `Process.run()` lists `/proc/self/fd` to close the child's
/// descriptors and copies each directory entry's whole 256-byte name, reading past glibc's
/// buffer when an entry sits at its end: now and then the test process dies in a `memcpy`
/// (swift-corelibs-foundation PR #5472), the likelier the more descriptors are open, and a run
/// of the whole suite has hundreds. It did, in CI, in `DatabaseCommandTests.tenda`.
final class SpawnedProcess: Sendable {
    let processIdentifier: pid_t
    /// The exit status once reaped; nil while it runs.
    private let status = Mutex<Int32?>(nil)

    /// Starts `executable` with `arguments`, standard input from /dev/null, standard output and
    /// error appended to the files at `output` and `errors` (made when missing). (To run it in
    /// another folder, start `/usr/bin/env -C <folder> <program> …`.)
    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, output: String, errors: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        // Nothing else of this process goes to the child: a socket the test server closes must
        // really close, not live on in a child that inherited it (a heartbeat test waited in vain).
        guard let closeFrom = Self.addCloseFrom else { throw POSIXError(.ENOSYS) }
        _ = closeFrom(&actions, 3)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + variables).forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, variables)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EINVAL) }
        processIdentifier = pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time
    /// because Swift's Glibc module does not import it.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Whether the child still runs (reaping it, without waiting, once it has exited).
    var isRunning: Bool { reap(blocking: false) == nil }

    /// The exit status (or 128 + the signal that ended it); waits for the exit when needed.
    var terminationStatus: Int32 { reap(blocking: true) ?? -1 }

    /// Blocks until the child exits. For short command-line runs only: in an async test, poll
    /// ``isRunning`` instead, so as not to hold one of Swift's cooperative threads.
    func waitUntilExit() { _ = reap(blocking: true) }

    /// SIGTERM, unless it has exited.
    func terminate() {
        if isRunning { kill(processIdentifier, SIGTERM) }
    }

    private func reap(blocking: Bool) -> Int32? {
        status.withLock { known in
            if let known { return known }
            var raw: Int32 = 0
            let reaped = waitpid(processIdentifier, &raw, blocking ? 0 : WNOHANG)
            guard reaped == processIdentifier else { return reaped < 0 ? -1 : nil }
            // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as functions.
            let signal = raw & 0x7F
            known = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
            return known
        }
    }
}
