import Foundation
import Logging
import ServiceLifecycle
import Shop
import Store
import Telegram

/// The in-process bot, assembled: the chat handler over the conversation, the durable
/// outbox and its deliverer, the notifier, and how updates arrive (long polling, or the
/// webhook when the server has an https public address). `tenda serve` runs ``services``
/// in its service group and hands ``webhookInbox`` to the server's webhook route.
public struct TelegramBot: Sendable {
    public let chat: ChatHandler
    public let outbox: Outbox
    public let services: [any Service]
    /// Set in webhook mode: the secret for `setWebhook` and the inbox the route delivers to.
    public let webhookInbox: WebhookInbox?

    /// Assembles the bot over `conversation`, keeping its outbox and notifier position in
    /// `environment` (the store the shop lives in, so that a notice's messages and the feed
    /// position are one transaction with each other, and one backup with the shop).
    public static func make(conversation: Conversation, environment: Store.Environment, settings: BotSettings,
                            limits: SendingLimits = .telegram, pollTimeout: Int = 30,
                            logger: Logger = Logger(label: "tenda.bot")) async throws -> TelegramBot {
        let shop = conversation.shop
        // Ten seconds, not the client's thirty: an unreachable Telegram makes a call last its whole
        // deadline (the connection pool keeps retrying), and a stopping server waits for the calls in flight.
        let client = BotAPIClient(token: settings.token, baseURL: settings.apiBaseURL, requestTimeout: .seconds(10))
        let outbox = try await Outbox.open(environment)
        outbox.forgetErasedPeople(of: shop)
        let chat = ChatHandler(conversation: conversation, outbox: outbox, client: client, logger: logger)
        let menus = CommandMenus(shop: shop, publicURL: settings.publicURL)
        let inbox = settings.usesWebhook ? WebhookInbox(secret: .generate()) : nil
        let updates = UpdateService(chat: chat, client: client, menus: menus, outbox: outbox, settings: settings, inbox: inbox,
                                    pollTimeout: pollTimeout, logger: logger)
        return TelegramBot(chat: chat, outbox: outbox, services: [
            OutboxDeliverer(outbox: outbox, client: client, limits: limits, logger: logger),
            Notifier(shop: shop, outbox: outbox, menus: menus, logger: logger),
            DailySummary(shop: shop, outbox: outbox, publicURL: settings.publicURL, logger: logger),
            DebtReminders(shop: shop, outbox: outbox, publicURL: settings.publicURL, logger: logger),
            updates,
        ], webhookInbox: inbox)
    }
}

/// Updates delivered by Telegram's webhook, waiting to be handled in order.
public final class WebhookInbox: Sendable {
    public let secret: WebhookSecret
    let updates: AsyncStream<Update>
    private let continuation: AsyncStream<Update>.Continuation

    init(secret: WebhookSecret) {
        self.secret = secret
        // Bounded: a flood of deliveries beyond this is dropped (Telegram re-delivers what it
        // gets no answer for, but answered ones are ours to keep; 10,000 is hours of a shop's chat).
        (updates, continuation) = AsyncStream.makeStream(of: Update.self, bufferingPolicy: .bufferingOldest(10_000))
    }

    /// Takes an update from the webhook route without waiting for it to be handled.
    public func deliver(_ update: Update) {
        continuation.yield(update)
    }

    func finish() { continuation.finish() }
}

/// Sets the menus, then takes updates (long polling, or the webhook's inbox) and hands each
/// to the chat handler, one at a time, until shutdown.
struct UpdateService: Service {
    let chat: ChatHandler
    let client: BotAPIClient
    let menus: CommandMenus
    let outbox: Outbox
    let settings: BotSettings
    let inbox: WebhookInbox?
    let pollTimeout: Int
    let logger: Logger

    func run() async throws {
        do {
            try await menus.enqueueAll(outbox: outbox)
        } catch {
            // A full disk must not keep the bot from answering; the menus are queued on the next start.
            logger.warning("bot: the command menus could not be queued: \(error)")
        }
        if let inbox, let publicURL = settings.publicURL {
            logger.info("bot: taking updates by webhook at \(publicURL)/telegram/webhook")
            await cancelWhenGracefulShutdown {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await registerWebhook(publicURL + "/telegram/webhook", inbox.secret) }
                    await withTaskCancellationHandler {
                        for await update in inbox.updates { await chat.handle(update) }
                    } onCancel: {
                        inbox.finish()
                    }
                    group.cancelAll()
                }
            }
        } else {
            logger.info("bot: taking updates by long polling")
            await cancelWhenGracefulShutdown {
                await UpdatePoller(client: client, pollTimeout: pollTimeout, logger: logger).run { update in await chat.handle(update) }
            }
        }
    }

    /// Tells Telegram where to deliver, retrying until it accepts or the server stops.
    private func registerWebhook(_ url: String, _ secret: WebhookSecret) async {
        var outage = OutageLog(logger: logger, what: "setWebhook")
        let backoff = Backoff(first: .seconds(1), maximum: .seconds(60))
        while !Task.isCancelled {
            do {
                try await client.setWebhook(url: url, secret: secret)
                outage.succeeded()
                return
            } catch {
                outage.failed(error)
                try? await Task.sleep(for: (error as? BotAPIError)?.retryAfter ?? backoff.delay(afterFailures: outage.failures))
            }
        }
    }
}
