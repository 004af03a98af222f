import Foundation

/// One `wrk` run: requests/s, latency percentiles, non-2xx answers.
public struct WrkResult {
    public var requestsPerSecond: Double = .nan
    public var p50: Double = .nan, p90: Double = .nan, p99: Double = .nan, max: Double = .nan   // ms
    public var non2xx = 0
    public var socketErrors = ""
    public var command = ""
    public var output = ""
}

/// Runs wrk (Debian's: closed loop, no fixed rate) for `seconds` with `connections` connections.
public func runWrk(url: String, token: String, script: String?, seconds: Int, connections: Int, threads: Int = 2) throws -> WrkResult {
    var arguments = ["-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency", "-H", "Authorization: Bearer \(token)"]
    if let script { arguments += ["-s", script] }
    arguments.append(url)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["wrk"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else { throw BenchError("wrk failed (\(process.terminationStatus)): \(text.prefix(300))") }
    var result = WrkResult()
    result.output = text
    result.command = "wrk " + arguments.map { $0.contains(" ") ? "'\($0.replacingOccurrences(of: token, with: "$TOKEN"))'" : $0 }.joined(separator: " ")
    func milliseconds(_ value: Substring) -> Double? {
        let units: [(String, Double)] = [("us", 1e-3), ("ms", 1), ("s", 1e3), ("m", 60e3)]
        for (unit, scale) in units where value.hasSuffix(unit) {
            if let number = Double(value.dropLast(unit.count)) { return number * scale }
        }
        return nil
    }
    for line in text.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard let first = fields.first else { continue }
        switch first {
        case "Requests/sec:": result.requestsPerSecond = Double(fields.last ?? "") ?? .nan
        case "50%": result.p50 = milliseconds(fields[1]) ?? .nan
        case "90%": result.p90 = milliseconds(fields[1]) ?? .nan
        case "99%": result.p99 = milliseconds(fields[1]) ?? .nan
        case "Latency" where fields.count >= 4: result.max = milliseconds(fields[3]) ?? .nan
        case "Non-2xx": result.non2xx = Int(fields.last ?? "") ?? 0
        case "Socket": result.socketErrors = fields.dropFirst(2).joined(separator: " ")
        default: break
        }
    }
    return result
}
