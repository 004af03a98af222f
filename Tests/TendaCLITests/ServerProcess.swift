import Foundation
import Testing

/// `tenda serve` as a child process, waited for without holding a thread.
///
/// Swift's cooperative pool has one thread per core (two on CI), and every test of the run
/// shares it: a test that blocks one — reading a pipe until the server prints, `waitUntilExit`
/// — halves what all the others get, and two such tests at once stop them all, which shows up as
/// time-outs in unrelated suites. So the server writes to a file, and the waits here poll it
/// (and `isRunning`) with `Task.sleep` between looks.
struct ServerProcess {
    let process: SpawnedProcess
    let log: URL

    /// Starts `tenda` with `arguments` (and `environment`, when given) and waits until its output
    /// says it is listening; fails the test with the output when it does not within `seconds`.
    static func start(_ arguments: [String], environment: [String: String]? = nil, seconds: Double = 90) async throws -> ServerProcess {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-serve-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = try SpawnedProcess(DatabaseCommandTests.tendaBinary.path, arguments, environment: environment, output: log.path, errors: log.path)
        let server = ServerProcess(process: process, log: log)
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !server.output.contains("listening") {
            guard ContinuousClock.now < deadline, process.isRunning else {
                Issue.record("tenda serve did not start listening within \(seconds) s: \(server.output)")
                server.process.terminate()
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return server
    }

    /// What the server has printed so far.
    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM (unless it has exited) and waits for the exit, without blocking a thread.
    func stop(seconds: Double = 30) async {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { Issue.record("tenda serve did not exit within \(seconds) s of SIGTERM") }
        try? FileManager.default.removeItem(at: log)
    }
}
