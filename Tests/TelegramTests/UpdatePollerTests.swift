import Foundation
import Synchronization
import Telegram
import Testing

@Suite(.timeLimit(.minutes(1))) struct UpdatePollerTests {
    static let ana = TelegramUser(id: 436_432_850, firstName: "Ana")

    /// The update ids a poller handed over, in order.
    final class Handled: Sendable {
        private let ids = Mutex<[Int64]>([])
        func add(_ update: Update) { ids.withLock { $0.append(update.updateId) } }
        var all: [Int64] { ids.withLock { $0 } }

        func waitFor(count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            try await waitUntil("\(count) updates handed over", sourceLocation: sourceLocation, seeing: { all }) { $0.count >= count }
        }
    }

    static func poller(_ telegram: StandInBotAPI) -> UpdatePoller {
        UpdatePoller(client: telegram.client, pollTimeout: 1, backoff: Backoff(first: .milliseconds(50), maximum: .milliseconds(200)))
    }

    @Test func updatesAreHandedOverInOrderAndConfirmedByTheNextOffset() async throws {
        let telegram = try await StandInBotAPI.start()
        let handled = Handled()
        let ids = (1...3).map { telegram.pushMessage("m\($0)", from: Self.ana) }
        let polling = Task { await Self.poller(telegram).run { handled.add($0) } }

        try await handled.waitFor(count: 3)
        let later = telegram.pushMessage("m4", from: Self.ana)
        try await handled.waitFor(count: 4)
        #expect(handled.all == ids + [later])
        // Asking for what comes after the first three confirmed them.
        #expect(telegram.confirmedOffset >= ids[2] + 1)

        polling.cancel()
        await polling.value
        // On stopping, the poller confirms what it handled, so a restart does not see it again.
        #expect(telegram.confirmedOffset == later + 1)
        #expect(telegram.unconfirmedUpdates.isEmpty)
        await telegram.stop()
    }

    @Test func droppedConnectionsAndRefusalsAreRetriedWithoutLosingOrRepeatingUpdates() async throws {
        let telegram = try await StandInBotAPI.start()
        let handled = Handled()
        let ids = (1...3).map { telegram.pushMessage("m\($0)", from: Self.ana) }
        telegram.dropNext(2, method: "getUpdates")
        telegram.failNext(1, with: .refused(code: 502, description: "Bad Gateway"), method: "getUpdates")
        let polling = Task { await Self.poller(telegram).run { handled.add($0) } }

        try await handled.waitFor(count: 3)
        let more = telegram.pushMessage("m4", from: Self.ana)
        telegram.dropNext(1, method: "getUpdates")
        try await handled.waitFor(count: 4)
        polling.cancel()
        await polling.value

        #expect(handled.all == ids + [more])
        let polls = telegram.calls(of: "getUpdates")
        #expect(polls.filter { $0.outcome == .dropped }.count == 3)
        #expect(polls.contains { $0.outcome == .refused(502) })
        await telegram.stop()
    }

    @Test func aWebhookLeftSetIsRemovedBeforePolling() async throws {
        let telegram = try await StandInBotAPI.start()
        try await telegram.client.setWebhook(url: "https://old.example/hook", secret: .generate())
        let handled = Handled()
        telegram.pushMessage("oi", from: Self.ana)
        let polling = Task { await Self.poller(telegram).run { handled.add($0) } }
        try await handled.waitFor(count: 1)
        polling.cancel()
        await polling.value

        #expect(telegram.webhook == nil)
        let methods = telegram.calls().map(\.method)
        #expect(methods.firstIndex(of: "deleteWebhook")! < methods.firstIndex(of: "getUpdates")!)
        await telegram.stop()
    }

    @Test func theWebhookSecretAcceptsOnlyItself() {
        let secret = WebhookSecret.generate()
        #expect(secret.token.count == 64)
        #expect(secret.token.allSatisfy { $0.isHexDigit })
        #expect(secret.token != WebhookSecret.generate().token)
        #expect(secret.accepts(secret.token))
        #expect(!secret.accepts(nil))
        #expect(!secret.accepts(""))
        #expect(!secret.accepts(String(secret.token.dropLast()) + (secret.token.last == "0" ? "1" : "0")))
        #expect(!secret.accepts(secret.token + "0"))
        #expect(!secret.accepts(secret.token.uppercased() == secret.token ? "x" : secret.token.uppercased()))
    }

    @Test func constantTimeComparisonComparesWholeByteStrings() {
        #expect(ConstantTime.isEqual([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.isEqual([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.isEqual([9, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.isEqual([1, 2], [1, 2, 3]))
        #expect(ConstantTime.isEqual([UInt8](), []))
    }
}
