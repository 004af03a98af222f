import Foundation
import Logging
import ServiceLifecycle
import Store
import Telegram

/// Sends the outbox's calls to Telegram: in order per chat, at Telegram's pace, retrying
/// what failed for a while, and removing each entry only once Telegram confirmed it.
///
/// ```swift
/// let deliverer = OutboxDeliverer(outbox: outbox, client: client, logger: logger)
/// // as a service (stops on graceful shutdown):
/// ServiceGroup(configuration: .init(services: [deliverer, …], logger: logger))
/// // or on its own, until its task is cancelled:
/// try await deliverer.run()
/// ```
///
/// - A committed entry is sent within moments: the outbox's bell, rung once a transaction
///   that queued an entry is durable, wakes the deliverer, with no polling delay.
/// - A 429 waits its `retry_after`; a network failure, a 5xx or an answer that is not the
///   Bot API's is retried with ``Backoff``; both count in the entry's `attempts` and
///   survive a restart. A permanent refusal (400 chat not found, 403 bot blocked) is logged
///   and the entry dropped: sending it again would fail again and hold up the chat's queue.
/// - Stopping (cancellation or graceful shutdown) starts nothing new but waits for the calls
///   in flight to be answered and recorded, so the store can be closed once `run` returns.
///   A call whose answer never came (the process killed mid-call) is sent again on the next
///   start: Telegram may then show it twice, the one duplicate at-least-once allows.
public final class OutboxDeliverer: Service, Sendable {
    public let outbox: Outbox
    let client: BotAPIClient
    let limits: SendingLimits
    let backoff: Backoff
    let logger: Logger

    public init(outbox: Outbox, client: BotAPIClient, limits: SendingLimits = .telegram,
                backoff: Backoff = Backoff(first: .seconds(1), maximum: .seconds(300)),
                logger: Logger = Logger(label: "tenda.bot.outbox")) {
        self.outbox = outbox
        self.client = client
        self.limits = limits
        self.backoff = backoff
        self.logger = logger
    }

    /// What wakes the delivery loop.
    enum Event: Sendable {
        /// New entries may be in the store.
        case stored
        /// A call was answered (or failed) at `answeredAt`, and its entry updated.
        case settled(DeliverySchedule.Call, Outcome, answeredAt: Date)
        /// The time a waiting call may start has come.
        case due
    }

    /// What became of one attempt.
    enum Outcome: Sendable {
        case delivered
        case refused
        case postponed(until: Date, attempts: Int)
    }

    /// Delivers until cancelled or, in a `ServiceGroup`, until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.deliverUntilCancelled()
        }
    }

    // MARK: The loop

    private func deliverUntilCancelled() async {
        let (events, wake) = AsyncStream.makeStream(of: Event.self)
        // Listening before the first read of the queue, so that an entry committed after that
        // read cannot slip between it and the bell (one committed before is read twice, and
        // the schedule ignores keys it has).
        let rings = outbox.bell.listen()
        let listener = Task {
            for await _ in rings { wake.yield(.stored) }
        }
        var schedule = DeliverySchedule(limits: limits)
        var inFlight: [UInt64: Task<Void, Never>] = [:]
        var alarm: Task<Void, Never>?
        wake.yield(.stored)

        // Ends when the task is cancelled: AsyncStream's iteration returns nil then.
        for await event in events {
            switch event {
            case .stored:
                load(into: &schedule)
            case .settled(let call, let outcome, let answeredAt):
                inFlight[call.key] = nil
                apply(outcome, of: call, answeredAt: answeredAt, to: &schedule)
            case .due:
                break
            }
            let now = Date()
            for call in schedule.takeReady(now: now) {
                inFlight[call.key] = Task {
                    let (outcome, answeredAt) = await self.deliver(call)
                    wake.yield(.settled(call, outcome, answeredAt: answeredAt))
                }
            }
            alarm?.cancel()
            alarm = schedule.nextStart(after: now).map { start in Self.alarm(at: start, wake) }
        }
        alarm?.cancel()
        listener.cancel()
        for call in inFlight.values { await call.value }
    }

    /// Reads the entries added to the store since the last read.
    private func load(into schedule: inout DeliverySchedule) {
        do {
            let from = schedule.lastKey + 1
            let added = try outbox.environment.read { txn in
                var added: [(UInt64, OutboxEntry)] = []
                try outbox.entries.forEach(txn, from: from) { record in
                    added.append((record.key, record.value))
                    return true
                }
                return added
            }
            for (key, entry) in added { schedule.add(key: key, entry: entry) }
        } catch {
            logger.error("outbox: cannot read the queue", metadata: ["error": "\(error)"])
        }
    }

    private func apply(_ outcome: Outcome, of call: DeliverySchedule.Call, answeredAt: Date, to schedule: inout DeliverySchedule) {
        switch outcome {
        case .delivered, .refused:
            schedule.settle(call, at: answeredAt)
        case .postponed(let until, let attempts):
            var later = call
            later.entry.notBefore = until
            later.entry.attempts = attempts
            schedule.postpone(later, at: answeredAt)
        }
    }

    /// Wakes the loop at `start` (cancelled and replaced whenever the loop wakes earlier).
    private static func alarm(at start: Date, _ wake: AsyncStream<Event>.Continuation) -> Task<Void, Never> {
        Task {
            let wait = start.timeIntervalSinceNow
            if wait > 0 {
                guard (try? await Task.sleep(for: .seconds(wait))) != nil else { return }
            }
            wake.yield(.due)
        }
    }

    // MARK: One call

    /// Sends one call and records the outcome in the store before the chat's next call may
    /// start; returns the outcome and when the answer (or the failure) came.
    private func deliver(_ call: DeliverySchedule.Call) async -> (Outcome, Date) {
        do {
            try await client.call(method: call.entry.method, json: call.entry.payload)
            let answeredAt = Date()
            await remove(call)
            return (.delivered, answeredAt)
        } catch {
            let answeredAt = Date()
            return (await settleFailure(call, error), answeredAt)
        }
    }

    /// Drops a call Telegram refused for good; postpones one that may yet succeed.
    private func settleFailure(_ call: DeliverySchedule.Call, _ error: any Error) async -> Outcome {
        let entry = call.entry
        if let error = error as? BotAPIError, error.isPermanent {
            logger.warning("outbox: Telegram refused a call for good; dropped", metadata: [
                "chat": "\(entry.chatId)", "method": "\(entry.method)", "error": "\(error)"])
            await remove(call)
            return .refused
        }
        let attempts = entry.attempts + 1
        let wait = (error as? BotAPIError)?.retryAfter ?? backoff.delay(afterFailures: attempts)
        let until = Date().addingTimeInterval(Self.seconds(wait))
        logger.notice("outbox: call not delivered; will retry", metadata: [
            "chat": "\(entry.chatId)", "method": "\(entry.method)", "attempts": "\(attempts)",
            "retryIn": "\(wait)", "error": "\(error)"])
        await reschedule(call, attempts: attempts, until: until, error: error)
        return .postponed(until: until, attempts: attempts)
    }

    private func remove(_ call: DeliverySchedule.Call) async {
        let entries = outbox.entries
        do {
            try await outbox.environment.write { txn in try entries.delete(txn, call.key) }
        } catch {
            // Telegram has it; only a restart before the next successful write would send it again.
            logger.error("outbox: a delivered entry could not be removed", metadata: ["key": "\(call.key)", "error": "\(error)"])
        }
    }

    private func reschedule(_ call: DeliverySchedule.Call, attempts: Int, until: Date, error: any Error) async {
        var entry = call.entry
        entry.attempts = attempts
        entry.notBefore = until
        entry.lastError = String(describing: error)
        let entries = outbox.entries
        let updated = entry
        do {
            try await outbox.environment.write { txn in try entries.put(txn, call.key, updated) }
        } catch {
            logger.error("outbox: a retry could not be recorded", metadata: ["key": "\(call.key)", "error": "\(error)"])
        }
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
