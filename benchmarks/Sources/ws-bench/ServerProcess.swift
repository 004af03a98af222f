import BenchSupport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The real `tenda serve` as its own process on a free port, with a fresh data folder: the demo
/// shop (a single box, or with `--nats … --replication-key …` among `extraArguments` a replication
/// primary), or a replica of such a primary.
final class ServerProcess: @unchecked Sendable {
    /// What the process serves.
    enum Role {
        /// `--demo --demo-file <file>`: it prints a one-time login code, traded for the owner's token.
        case demo(file: String)
        /// `--replica-of http://127.0.0.1:<primaryPort>`: it takes a snapshot of the primary (with its
        /// token secret), so the primary's `token` is good here and there is no login code to read.
        case replica(primaryPort: Int, token: String)
    }

    let port: Int
    let pid: Int32
    let dataDir: String
    let logPath: String
    let command: String
    /// The owner's access token: from the one-time login code the server printed, or the primary's.
    private(set) var token = ""
    private let process: Process

    convenience init(binary: String, demoFile: String, userRateLimit: Double, label: String) throws {
        try self.init(binary: binary, role: .demo(file: demoFile), userRateLimit: userRateLimit, label: label)
    }

    init(binary: String, role: Role, userRateLimit: Double, extraArguments: [String] = [], label: String) throws {
        port = try freePort()
        dataDir = NSTemporaryDirectory() + "ws-bench-\(getpid())-\(label)"
        try? FileManager.default.removeItem(atPath: dataDir)
        try? FileManager.default.removeItem(atPath: dataDir + ".snapshot")
        // A replica takes its snapshot into an empty folder; the demo creates its own.
        if case .demo = role { try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true) }
        logPath = dataDir + ".log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        var arguments = ["serve", "--data-dir", dataDir, "--port", String(port), "--user-rate-limit", String(userRateLimit)]
        switch role {
        case .demo(let file): arguments += ["--demo", "--demo-file", file]
        case .replica(let primaryPort, _): arguments += ["--replica-of", "http://127.0.0.1:\(primaryPort)"]
        }
        arguments += extraArguments
        command = "\(binary) \(arguments.joined(separator: " "))"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        // The server needs more than 1,024 descriptors too; exec keeps the pid the server's own.
        process.arguments = ["-c", "ulimit -n 65536 2>/dev/null || ulimit -n $(ulimit -Hn); exec \"$0\" \"$@\"", binary] + arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
        pid = process.processIdentifier

        // Read stdout until the login line; keep draining it to the log afterwards.
        let found = DispatchSemaphore(value: 0)
        let code = Locked<String?>(nil)
        let log = FileHandle(forWritingAtPath: logPath)
        let reader = stdout.fileHandleForReading
        Thread.detachNewThread {
            var text = ""
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                log?.seekToEndOfFile(); log?.write(data)
                if code.withLock({ $0 }) == nil {
                    text += String(decoding: data, as: UTF8.self)
                    if let range = text.range(of: "?code=") {
                        let value = text[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
                        if !value.isEmpty, text[range.upperBound...].count > value.count {
                            code.withLock { $0 = String(value) }
                            found.signal()
                        }
                    }
                }
            }
            found.signal()
        }
        if case .replica(_, let primaryToken) = role {
            token = primaryToken
            try waitUntilHealthy(seconds: 180)
            return
        }
        guard found.wait(timeout: .now() + 180) == .success, let loginCode = code.withLock({ $0 }) else {
            stop(keepLog: true)
            throw BenchError("the server printed no login code within 180 s; see \(logPath)")
        }
        // Wait for the port, then trade the code for a token.
        let deadline = monotonicNanos() + 60_000_000_000
        var connection: HTTPConnection?
        while connection == nil {
            connection = try? HTTPConnection(port: port)
            if connection == nil {
                guard monotonicNanos() < deadline, process.isRunning else {
                    stop(keepLog: true)
                    throw BenchError("the server did not listen on \(port); see \(logPath)")
                }
                usleep(50_000)
            }
        }
        let answer = try connection!.request("POST", "/api/auth/code", body: "{\"code\":\"\(loginCode)\"}")
        guard answer.status == 200, let accessToken = answer.json()?["accessToken"] as? String else {
            stop(keepLog: true)
            throw BenchError("POST /api/auth/code answered \(answer.status): \(answer.text.prefix(200))")
        }
        token = accessToken
    }

    /// Polls `GET /health` until it answers 200: a replica answers 503 until its snapshot is in
    /// place and it has caught up with the primary's feed.
    private func waitUntilHealthy(seconds: Double) throws {
        let deadline = monotonicNanos() + UInt64(seconds * 1e9)
        var last = "no answer"
        while monotonicNanos() < deadline {
            guard process.isRunning else { break }
            if let connection = try? HTTPConnection(port: port), let answer = try? connection.request("GET", "/health") {
                if answer.status == 200 { return }
                last = "\(answer.status) \(answer.text.prefix(300))"
            }
            usleep(100_000)
        }
        stop(keepLog: true)
        throw BenchError("\(command) was not healthy within \(Int(seconds)) s (last /health: \(last)); see \(logPath)")
    }

    /// `GET /health` as JSON, nil if it did not answer.
    func health() -> [String: Any]? {
        guard let connection = try? HTTPConnection(port: port), let answer = try? connection.request("GET", "/health") else { return nil }
        return answer.json()
    }

    var residentKB: Int? { residentKilobytes(of: pid) }
    /// The soft open-file limit the server runs with, from /proc/<pid>/limits.
    var openFileLimit: String {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("Max open files") }
        return line.map { String($0.dropFirst("Max open files".count).split(separator: " ").first ?? "?") } ?? "?"
    }
    var cpu: Double? { cpuSeconds(of: pid) }
    var isRunning: Bool { process.isRunning }

    /// Subscribers the hub counts, from `GET /health`.
    func hubSubscribers() -> Int? {
        health()?["subscribers"] as? Int
    }

    /// `name value` lines of `GET /metrics` whose name starts with `prefix`.
    func metrics(prefix: String) -> [String: Double] {
        guard let connection = try? HTTPConnection(port: port), let answer = try? connection.request("GET", "/metrics") else { return [:] }
        var out: [String: Double] = [:]
        for line in answer.text.split(separator: "\n") where line.hasPrefix(prefix) {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { out[String(parts[0])] = value }
        }
        return out
    }

    /// SIGTERM, then SIGKILL after 5 s; removes the data folder, and the log unless `keepLog`.
    func stop(keepLog: Bool = false) {
        terminate(process)
        try? FileManager.default.removeItem(atPath: dataDir)
        try? FileManager.default.removeItem(atPath: dataDir + ".snapshot")
        if !keepLog { try? FileManager.default.removeItem(atPath: logPath) }
    }
}


/// SIGTERM, then SIGKILL when the process still runs after 5 s; waits for its exit. For the
/// servers the benchmarks start (tenda serve, nats-server).
func terminate(_ process: Process) {
    guard process.isRunning else { return }
    kill(process.processIdentifier, SIGTERM)
    let deadline = monotonicNanos() + 5_000_000_000
    while process.isRunning, monotonicNanos() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
}
