import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A minimal blocking HTTP/1.1 client on one keep-alive connection to 127.0.0.1: enough for
/// the benchmark's JSON requests, with nothing between the socket and the clock.
public final class HTTPConnection {
    private let fd: Int32
    private let port: Int
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var pending: [UInt8] = []

    public struct Response {
        public let status: Int
        public let body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func json() -> [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
    }

    public init(port: Int) throws {
        self.port = port
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let error = errno
            close(fd)
            throw BenchError("connect 127.0.0.1:\(port): errno \(error)")
        }
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// The request's bytes, built once so a load loop only writes them.
    public static func encode(_ method: String, _ path: String, token: String?, body: String?) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)" } else { head += "\r\n" }
        return Array(head.utf8)
    }

    public func request(_ method: String, _ path: String, token: String? = nil, body: String? = nil) throws -> Response {
        try send(Self.encode(method, path, token: token, body: body))
    }

    /// Writes an encoded request and reads its whole answer.
    public func send(_ request: [UInt8]) throws -> Response {
        var written = 0
        while written < request.count {
            let n = request.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            guard n > 0 else { throw BenchError("write: errno \(errno)") }
            written += n
        }
        // Headers.
        var headerEnd: Int?
        while true {
            if let end = Self.find([13, 10, 13, 10], in: pending) { headerEnd = end; break }
            try fill()
        }
        let head = String(decoding: pending[..<headerEnd!], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.split(separator: " ").count >= 2,
              let status = Int(statusLine.split(separator: " ")[1]) else { throw BenchError("bad status line: \(head.prefix(80))") }
        var length = 0
        var chunked = false
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].lowercased()
            if name == "content-length" { length = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0 }
            if name == "transfer-encoding", parts[1].lowercased().contains("chunked") { chunked = true }
        }
        pending.removeFirst(headerEnd! + 4)
        if chunked { return Response(status: status, body: try readChunked()) }
        while pending.count < length { try fill() }
        let body = Array(pending[..<length])
        pending.removeFirst(length)
        return Response(status: status, body: body)
    }

    private func readChunked() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            var lineEnd: Int?
            while true {
                if let end = Self.find([13, 10], in: pending) { lineEnd = end; break }
                try fill()
            }
            let sizeText = String(decoding: pending[..<lineEnd!], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw BenchError("bad chunk size") }
            pending.removeFirst(lineEnd! + 2)
            while pending.count < size + 2 { try fill() }
            body += pending[..<size]
            pending.removeFirst(size + 2)
            if size == 0 { return body }
        }
    }

    private func fill() throws {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        guard n > 0 else { throw BenchError(n == 0 ? "connection closed by the server" : "read: errno \(errno)") }
        pending += buffer[..<n]
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return haystack.withUnsafeBytes { h in needle.withUnsafeBytes { n in findBytes(n, in: h) } }
    }
}

/// A free TCP port on 127.0.0.1 (bound to port 0, read back, released).
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw BenchError("socket: \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            guard bind(fd, pointer, length) == 0 else { return -1 }
            return getsockname(fd, pointer, &length)
        }
    }
    guard bound == 0 else { throw BenchError("bind: \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The offset of the first `needle` in `haystack` at or after `start` (glibc's memmem is not exported to Swift).
public func findBytes(_ needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer, from start: Int = 0) -> Int? {
    guard let h = haystack.baseAddress, let n = needle.baseAddress, !needle.isEmpty else { return nil }
    let first = Int32(needle[0])
    var i = start
    while i + needle.count <= haystack.count {
        guard let hit = memchr(h + i, first, haystack.count - needle.count + 1 - i) else { return nil }
        let at = h.distance(to: UnsafeRawPointer(hit))
        if memcmp(h + at, n, needle.count) == 0 { return at }
        i = at + 1
    }
    return nil
}
