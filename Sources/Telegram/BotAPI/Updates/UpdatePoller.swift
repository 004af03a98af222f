import Logging

/// Takes updates by long polling (`getUpdates`) and hands each to a handler, in order,
/// until its task is cancelled: how the bot hears Telegram when it has no public https URL.
///
/// ```swift
/// let poller = UpdatePoller(client: client, logger: logger)
/// try await poller.run { update in await conversation.handle(update) }
/// ```
///
/// An update is confirmed (the next `getUpdates` has `offset` = its id + 1) only after the
/// handler returned for it, so updates in hand when the process dies come again on the
/// next start: at-least-once delivery. The handler should be quick (queue the replies in
/// the outbox); slow handling delays the updates behind it. A webhook left set is removed
/// first (long polling does not work while one is set). Network failures and refusals are
/// retried with ``Backoff`` (or after Telegram's `retry_after`), logged once per outage.
public struct UpdatePoller: Sendable {
    public let client: BotAPIClient
    /// Seconds each `getUpdates` waits for an update before answering empty.
    public var pollTimeout: Int
    public var backoff: Backoff
    public var logger: Logger

    public init(client: BotAPIClient, pollTimeout: Int = 30, backoff: Backoff = Backoff(first: .seconds(1), maximum: .seconds(30)),
                logger: Logger = Logger(label: "tenda.telegram.poller")) {
        self.client = client
        self.pollTimeout = pollTimeout
        self.backoff = backoff
        self.logger = logger
    }

    /// Polls until the task is cancelled, then confirms what was handled and returns.
    public func run(_ handle: @escaping @Sendable (Update) async -> Void) async {
        var offset: Int64?
        var outage = OutageLog(logger: logger, what: "long polling")
        var webhookCleared = false
        while !Task.isCancelled {
            do {
                if !webhookCleared {
                    try await client.deleteWebhook()
                    webhookCleared = true
                }
                let updates = try await client.getUpdates(offset: offset, timeout: pollTimeout)
                outage.succeeded()
                for update in updates {
                    if Task.isCancelled { break }
                    await handle(update)
                    offset = update.updateId + 1
                }
            } catch is CancellationError {
                break
            } catch {
                outage.failed(error)
                let wait = (error as? BotAPIError)?.retryAfter ?? backoff.delay(afterFailures: outage.failures)
                try? await Task.sleep(for: wait)
            }
        }
        await confirm(upTo: offset)
    }

    /// Tells Telegram the handled updates are done with, so a restart does not see them again.
    /// Runs outside the cancelled task (whose requests would fail at once) and answers at once.
    private func confirm(upTo offset: Int64?) async {
        guard let offset else { return }
        let client = client
        await Task.detached {
            _ = try? await client.getUpdates(offset: offset, timeout: 0, limit: 1)
        }.value
    }
}
