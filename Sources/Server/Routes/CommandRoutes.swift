import Foundation
import Hummingbird
import Shop

extension CommandLineAnswer {
    /// The refusal as the contract's error: the shop's code and status, the chat's words.
    public func error() -> APIError? {
        guard let failure else { return nil }
        let shaped = APIError(failure)
        return APIError(shaped.status, shaped.code, plainText.replacingOccurrences(of: "⚠️ ", with: ""), field: shaped.field, items: shaped.items)
    }
}

/// `POST /api/commands/execute` `{"command": "estoque", "args": "…"}` → `{"text", "data"}`: any bot
/// command, for the MiniApp's console and for scripts.
struct CommandRoutes {
    let shop: Shop
    let commandLine: (any CommandLineRunner)?

    struct ExecuteBody: Decodable {
        let command: String
        let args: String?
    }

    func add(to router: Router<AppRequestContext>) {
        router.post("/api/commands/execute") { request, context -> Response in
            let body = try await request.decodeStrict(as: ExecuteBody.self, context: context)
            let answer = try await CommandBridge(shop: shop, commandLine: commandLine).runLine(
                body.command, args: body.args ?? "", principal: context.principal,
                languageCode: request.headers[.acceptLanguage], idempotencyKey: request.idempotencyKey)
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: answer)))
        }
    }
}
