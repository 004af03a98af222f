import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Resident memory of a process in kB, from /proc/<pid>/status.
public func residentKilobytes(of pid: Int32) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }
    return nil
}

/// CPU seconds (user + system) a process has used, from /proc/<pid>/stat.
public func cpuSeconds(of pid: Int32) -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}


/// Bytes a process has passed to write calls so far (`wchar` of /proc/<pid>/io): for LMDB, the
/// pages and meta page of each commit. Not `write_bytes`: that counts a whole page-cache folio
/// each time a write dirties part of one, and ext4 on this kernel keeps files written in large
/// writes in large folios, so LMDB's 4 KiB page writes were counted up to 4× (see
/// benchmarks/RESULTS.md, "The floor for durable purchases").
public func writeCallBytes(of pid: Int32) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("wchar:") {
        return Int(line.split(separator: " ").last ?? "")
    }
    return nil
}

/// Bytes the block device holding `path` has written so far (sectors written in
/// /sys/dev/block/<major>:<minor>/stat × 512): what really reached the disk, from every process.
public func deviceBytesWritten(holding path: String) -> Int? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    // glibc's major() and minor() are macros Swift does not import; the same bit layout.
    let dev = UInt64(info.st_dev)
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff)
    let minor = (dev & 0xff) | ((dev >> 12) & ~0xff)
    let device = "/sys/dev/block/\(major):\(minor)/stat"
    guard let text = try? String(contentsOfFile: device, encoding: .utf8) else { return nil }
    let fields = text.split(separator: " ", omittingEmptySubsequences: true)
    guard fields.count > 6, let sectors = Int(fields[6]) else { return nil }
    return sectors * 512
}
