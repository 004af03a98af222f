import HTTPTypes
import Hummingbird

/// `Strict-Transport-Security` on every answer of the TLS port (never on plain HTTP, where a
/// browser ignores it anyway): browsers then go straight to HTTPS for `maxAge` seconds.
struct StrictTransportSecurityMiddleware<Context: RequestContext>: RouterMiddleware {
    let value: String

    init(maxAge: Int) {
        value = "max-age=\(maxAge)"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.strictTransportSecurity] = value
        return response
    }
}

extension HTTPField.Name {
    static let strictTransportSecurity = Self("Strict-Transport-Security")!
}
