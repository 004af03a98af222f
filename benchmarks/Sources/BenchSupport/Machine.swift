import Foundation

/// Facts about the machine, printed under the figures so they can be compared with other runs.
public struct Machine {
    public let processors: Int
    public let cpuModel: String
    public let memory: String
    public let kernel: String
    public let swiftVersion: String

    public static func current() -> Machine {
        Machine(
            processors: sysconf(Int32(_SC_NPROCESSORS_ONLN)),
            cpuModel: firstValue(in: "/proc/cpuinfo", for: "model name") ?? "unknown",
            memory: firstValue(in: "/proc/meminfo", for: "MemTotal").flatMap(gibibytes) ?? "unknown",
            kernel: kernelDescription(),
            swiftVersion: swiftCompilerVersion())
    }

    /// The 1, 5 and 15 minute load averages, to show whether something else was running.
    public static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// The file system holding `path` (the longest mount point that contains it), e.g. "ext4 on /".
    public static func fileSystem(of path: String) -> String {
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return "unknown" }
        var best: (point: Substring, type: Substring)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 2 else { continue }
            let point = fields[1]
            let contains = point == "/" || path == point || path.hasPrefix(point + "/")
            if contains, point.count > (best?.point.count ?? -1) { best = (point, fields[2]) }
        }
        return best.map { "\($0.type) on \($0.point)" } ?? "unknown"
    }

    private static func firstValue(in file: String, for field: String) -> String? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == field {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// "24684092 kB" → "23.5 GiB".
    private static func gibibytes(_ meminfo: String) -> String? {
        guard let kB = Double(meminfo.split(separator: " ").first ?? "") else { return nil }
        return String(format: "%.1f GiB", kB / 1_048_576)
    }

    private static func kernelDescription() -> String {
        var name = utsname()
        uname(&name)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return "\(field(name.sysname)) \(field(name.release)) \(field(name.machine))"
    }

    /// The first line of `swift --version` (swift is on the PATH under `swift run`), or the
    /// language mode the benchmark was compiled with when it is not.
    private static func swiftCompilerVersion() -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "--version"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        if (try? process.run()) != nil {
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            if process.terminationStatus == 0,
               let line = String(decoding: output, as: UTF8.self).split(separator: "\n").first(where: { $0.contains("Swift version") }) {
                return line.trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown (swift not on the PATH)"
    }
}
