import BenchSupport
import Foundation

/// `GET /api/products` (the first page: all 50 products) as a signed-in customer, through
/// the real server on its loopback port: NIO's HTTP/1.1 codec, the router, every middleware
/// (auth with the revocation check, rate limits, compression, metrics) and the JSON.
///
/// One keep-alive connection from BenchSupport's blocking client, on a thread of its own; the
/// client's instructions count too (a few thousand per request: a write, a read, a parse of
/// the head). No `Accept-Encoding`, so the answer is not compressed.
struct ProductListPhase {
    let workload: Workload
    let requests: Int
    let warmUp: Int

    func run() async throws -> PhaseResult {
        progress("product-list GETs: \(warmUp) to warm up, then \(requests.grouped) measured")
        let port = workload.port
        let request = HTTPConnection.encode("GET", "/api/products", token: workload.buyerToken, body: nil)
        let expected = workload.products.count
        let (requests, warmUp) = (self.requests, self.warmUp)
        let seconds = try await onOwnThread { () throws -> Double in
            let connection = try HTTPConnection(port: port)
            for _ in 0..<warmUp {
                let answer = try connection.send(request)
                guard answer.status == 200, (answer.json()?["items"] as? [Any])?.count == expected else {
                    throw BenchError("GET /api/products answered \(answer.status) without \(expected) items: \(answer.text.prefix(200))")
                }
            }
            return try Callgrind.measure("gets") {
                for _ in 0..<requests {
                    let answer = try connection.send(request)
                    guard answer.status == 200 else { throw BenchError("GET /api/products answered \(answer.status)") }
                }
            }
        }
        return PhaseResult(name: "gets", unit: "GET", operations: requests, seconds: seconds)
    }
}

/// Runs `body` on a new thread and returns what it returns: a blocking client must not hold
/// one of the few threads Swift's concurrency has (two, on this machine).
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
