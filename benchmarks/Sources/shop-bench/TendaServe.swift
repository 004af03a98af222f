import BenchSupport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `tenda serve` over a data folder, as a child process on a free port: started, awaited until
/// its `/health` answers 200, and stopped with SIGTERM.
final class TendaServe {
    let port: Int
    let process: Process
    /// The command as a reader could type it (the binary's path and its arguments).
    let command: String
    /// When the process was spawned: ``waitForHealth()`` times from here.
    let spawned: ContinuousClock.Instant

    /// Spawns `tenda serve --data-dir dataDir --port <free port>` plus `extra`; its output goes
    /// to `log`, or nowhere.
    init(tenda: String, dataDir: String, extra: [String] = [], log: String? = nil) throws {
        port = try freePort()
        let arguments = ["serve", "--data-dir", dataDir, "--port", String(port)] + extra
        command = "\(tenda) \(arguments.joined(separator: " "))"
        process = Process()
        process.executableURL = URL(fileURLWithPath: tenda)
        process.arguments = arguments
        let output = log.flatMap { path -> FileHandle? in
            FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = output ?? FileHandle.nullDevice
        spawned = ContinuousClock.now
        try process.run()
    }

    /// Polls `GET /health` every millisecond, each time on a fresh connection, until it answers
    /// 200; returns the seconds since the process was spawned.
    func waitForHealth(timeout: Duration = .seconds(60)) throws -> Double {
        while true {
            if let connection = try? HTTPConnection(port: port), let answer = try? connection.request("GET", "/health"), answer.status == 200 {
                break
            }
            guard process.isRunning else { throw BenchError("tenda serve exited with \(process.terminationStatus) before answering /health") }
            guard ContinuousClock.now - spawned < timeout else { throw BenchError("tenda serve did not answer /health within \(timeout)") }
            usleep(1_000)
        }
        let elapsed = ContinuousClock.now - spawned
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    /// SIGTERM, and waits for the process to end.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
    }
}
