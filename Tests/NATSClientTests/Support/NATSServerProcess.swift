// Real nats-server processes for NATSClientTests (Debian's nats-server, JetStream on with -js -sd):
// one on a free loopback port with its own store folder, stopped with SIGTERM (SIGKILL after 10 s)
// or killed, and started again on the same port and folder; and a cluster of three with routes.
// NATSClient loads libnats at run time with dlopen (the release binary is one self-contained file),
// so these tests need libnats3.4 and nats-server installed (.ci/install-deps).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A fresh folder under the temporary directory.
func makeNATSTemporaryFolder(_ prefix: String = "nats") -> String {
    let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A loopback TCP port nobody listens on now (bound to port 0, then released).
func freeLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    precondition(fd >= 0, "socket() failed")
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Bool in
            bind(fd, p, length) == 0 && getsockname(fd, p, &length) == 0
        }
    }
    precondition(bound, "bind() to 127.0.0.1:0 failed")
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether something accepts TCP connections on 127.0.0.1:port.
func loopbackPortAccepts(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

struct NATSTestFailure: Error, CustomStringConvertible {
    var description: String
}

/// One nats-server with JetStream, its store in `storeFolder`, listening on 127.0.0.1:`port`.
final class NATSServerProcess: @unchecked Sendable {
    let port: Int
    let storeFolder: String
    let extraArguments: [String]
    let logFile: String
    private let lock = NSLock()
    /// Started with posix_spawn (SpawnedProcess.swift), not Foundation's `Process`, whose
    /// `run()` now and then crashes the test process on Linux (see SpawnedProcess).
    private var process: SpawnedProcess?

    var url: String { "nats://127.0.0.1:\(port)" }

    /// Starts a server and waits (30 s at most) until its port accepts connections.
    init(port: Int = freeLoopbackPort(), storeFolder: String = makeNATSTemporaryFolder("nats-store"), extraArguments: [String] = []) throws {
        self.port = port
        self.storeFolder = storeFolder
        self.extraArguments = extraArguments
        self.logFile = storeFolder + ".log"
        try start()
    }

    deinit {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: storeFolder)
        try? FileManager.default.removeItem(atPath: logFile)
    }

    static var executable: String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for folder in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/bin", "/usr/bin"] {
            let candidate = folder + "/nats-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "/usr/sbin/nats-server"
    }

    /// Starts the server (again) on the same port and store folder.
    func start() throws {
        let process: SpawnedProcess
        do {
            process = try SpawnedProcess(
                Self.executable, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeFolder] + extraArguments,
                output: logFile, errors: logFile)
        } catch {
            throw NATSTestFailure(description: "could not start \(Self.executable) (apt-get install nats-server): \(error)")
        }
        lock.withLock { self.process = process }
        let deadline = Date().addingTimeInterval(30)
        while !loopbackPortAccepts(port) {
            if !process.isRunning || Date() > deadline {
                throw NATSTestFailure(description: "nats-server on \(port) did not start; its log: \(log())")
            }
            usleep(50_000)
        }
    }

    /// SIGTERM, then SIGKILL when it is still running after 10 s; waits for the exit.
    func stop() {
        guard let process = lock.withLock({ self.process }), process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGKILL: the server dies at once, as in a crash.
    func kill9() {
        guard let process = lock.withLock({ self.process }), process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func log() -> String {
        (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "(no log)"
    }
}

/// Three nats-servers in one JetStream cluster (routes between all), each with its own store.
final class NATSCluster: @unchecked Sendable {
    let servers: [NATSServerProcess]

    var urls: [String] { servers.map(\.url) }

    init(name: String = "tenda-test") throws {
        let clientPorts = (0..<3).map { _ in freeLoopbackPort() }
        let clusterPorts = (0..<3).map { _ in freeLoopbackPort() }
        let routes = clusterPorts.map { "nats://127.0.0.1:\($0)" }.joined(separator: ",")
        var servers: [NATSServerProcess] = []
        for i in 0..<3 {
            servers.append(
                try NATSServerProcess(
                    port: clientPorts[i],
                    extraArguments: [
                        "-n", "\(name)-\(i + 1)", "--cluster_name", name,
                        "-cluster", "nats://127.0.0.1:\(clusterPorts[i])", "-routes", routes,
                    ]))
        }
        self.servers = servers
    }

    func stopAll() {
        for server in servers { server.stop() }
    }
}
