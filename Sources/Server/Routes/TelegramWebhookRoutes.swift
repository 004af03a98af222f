import Foundation
import HTTPTypes
import Hummingbird
import Telegram

/// Where Telegram's webhook deliveries go when the bot runs in webhook mode: the secret
/// given to `setWebhook`, and the bot's inbox, which takes the update without waiting for
/// it to be handled (Telegram retries a delivery that is not answered quickly).
public struct TelegramWebhook: Sendable {
    public let secret: WebhookSecret
    public let deliver: @Sendable (Update) -> Void

    public init(secret: WebhookSecret, deliver: @escaping @Sendable (Update) -> Void) {
        self.secret = secret
        self.deliver = deliver
    }
}

/// `POST /telegram/webhook`: refuses a wrong or missing `X-Telegram-Bot-Api-Secret-Token`
/// (compared in constant time), hands the update to the bot and answers at once.
struct TelegramWebhookRoutes {
    let webhook: TelegramWebhook?
    static let secretHeader = HTTPField.Name(WebhookSecret.headerName)!

    func add(to router: Router<AppRequestContext>) {
        router.post("/telegram/webhook") { request, context -> JSON<Accepted> in
            // A delivery without the secret is refused before anything else (401), webhook or not.
            guard let secret = request.headers[Self.secretHeader], !secret.isEmpty else {
                throw APIError(.unauthorized, "not_authenticated", "missing secret token")
            }
            guard let webhook else {
                // The caller's mistake, not the server's: there is no webhook to deliver to (404).
                throw APIError(.notFound, "webhook_off", "this server takes bot updates by long polling, not by webhook")
            }
            guard webhook.secret.accepts(secret) else {
                throw APIError(.unauthorized, "not_authenticated", "wrong or missing secret token")
            }
            try request.requireJSONBody()
            var buffer = try await request.body.collect(upTo: context.maxUploadSize)
            let data = Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
            let update: Update
            do {
                update = try JSONDecoder().decode(Update.self, from: data)
            } catch {
                throw APIError(.badRequest, "invalid_input", "not a Bot API update")
            }
            webhook.deliver(update)
            return JSON(Accepted(ok: true))
        }
    }

    struct Accepted: Encodable, Sendable { let ok: Bool }
}
