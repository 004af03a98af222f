import Foundation
import Hummingbird
import Synchronization

/// CORS for the MiniApp's configured origins: answers preflights and marks responses; a
/// request from any other origin gets no CORS headers (the browser then refuses it).
struct OriginMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedOrigins: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], allowedOrigins.contains(origin) || allowedOrigins.contains("*") else {
            return try await next(request, context)
        }
        var response: Response
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
            response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type, Idempotency-Key, If-Match, Last-Event-ID"
            response.headers[.accessControlMaxAge] = "600"
        } else {
            response = try await next(request, context)
        }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        return response
    }
}

/// Per-caller rate limits: a token bucket per signed-in user and one per client address,
/// refilled continuously. An empty bucket answers 429 with `Retry-After`.
final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    /// Requests a caller may make in a burst, and how many per second refill.
    let burst: Double
    let perSecond: Double
    private let buckets = Mutex<[String: Bucket]>([:])

    init(burst: Double, perSecond: Double) {
        self.burst = burst
        self.perSecond = perSecond
    }

    /// Takes one token for `key`; when none is left, the seconds until one is.
    func take(_ key: String) -> Double? {
        let now = ContinuousClock.now
        return buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll(keepingCapacity: true) }  // bounded memory under address spraying
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated).seconds * perSecond)
            bucket.updated = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / perSecond }
            bucket.tokens -= 1
            return nil
        }
    }
}

/// Applies the rate limits: per user once signed in (after ``AuthMiddleware``), per address otherwise.
///
/// A replication peer is never limited as one address: what it forwards counts against the
/// client it names in `X-Forwarded-For` (or the user), as if that client had come here, and
/// its own calls (status, snapshot), which name no client, are not limited.
struct RateLimitMiddleware: RouterMiddleware {
    let perUser: RateLimiter
    let perAddress: RateLimiter

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        if context.isReplicationPeer, context.principal.userId == nil, request.headers[.xForwardedFor] == nil {
            return try await next(request, context)
        }
        let wait = context.principal.userId.map { perUser.take("u\($0)") } ?? perAddress.take("a\(context.remoteAddress ?? "?")")
        if let wait {
            throw APIError(.tooManyRequests, "rate_limited", "too many requests; try again in \(Int(wait.rounded(.up))) s",
                           retryAfter: Int(wait.rounded(.up)))
        }
        return try await next(request, context)
    }
}
