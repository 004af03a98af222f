import Hummingbird

/// Answers from the documented route table (``OpenAPIOperations``) before a route reads any
/// of its input, so every route gives the same first answer to the same mistake:
///
/// - a route that needs a signed-in caller answers 401 to a request without a token, whatever
///   else is wrong with it (a malformed `If-Match`, a body that does not parse);
/// - a documented path asked with a method it does not take answers 405 with `Allow`.
///
/// Paths the table does not name fall through to the router (its 404). The table is the one
/// `/openapi.json` publishes, so what the document promises and what the server does agree.
struct RouteTableMiddleware<Context: RequestContext>: RouterMiddleware {
    /// A documented path: its segments (nil for a `{parameter}`) and the lowest role per method.
    struct Route: Sendable {
        let segments: [String?]
        let roles: [String: APIOperation.MinimumRole]

        /// Whether `path`, of as many segments, is this route.
        func matches(_ path: [Substring]) -> Bool {
            zip(segments, path).allSatisfy { segment, part in segment.map { $0 == part } ?? true }
        }
    }

    /// The documented paths by their number of segments, so a request looks only at its peers.
    let routes: [Int: [Route]]
    /// Whether the request carries a signed-in caller; read after ``AuthMiddleware``.
    let isSignedIn: @Sendable (Context) -> Bool

    init(operations: [APIOperation], isSignedIn: @escaping @Sendable (Context) -> Bool) {
        var byPath: [String: [String: APIOperation.MinimumRole]] = [:]
        for operation in operations { byPath[operation.path, default: [:]][operation.method] = operation.minimumRole }
        routes = Dictionary(grouping: byPath.map { path, roles in
            Route(segments: path.split(separator: "/").map { $0.hasPrefix("{") ? nil : String($0) }, roles: roles)
        }, by: \.segments.count).mapValues { peers in
            // A literal segment wins over a parameter ("/read-all" before "/{id}").
            peers.sorted { $0.segments.filter { $0 == nil }.count < $1.segments.filter { $0 == nil }.count }
        }
        self.isSignedIn = isSignedIn
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path.split(separator: "/")
        guard let route = routes[path.count]?.first(where: { $0.matches(path) }) else { return try await next(request, context) }
        let method = request.method == .head ? "GET" : request.method.rawValue
        guard let role = route.roles[method] else {
            let allowed = route.roles.keys.sorted().joined(separator: ", ")
            var error = APIError(.methodNotAllowed, "method_not_allowed", "this route takes \(allowed), not \(request.method)")
            error.headers[.allow] = allowed
            throw error
        }
        if role != .anyone, !isSignedIn(context) {
            throw APIError(.unauthorized, "not_authenticated", "sign in first: send Authorization: Bearer <accessToken>")
        }
        return try await next(request, context)
    }
}
