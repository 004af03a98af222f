import Foundation
import Realtime
import Store
import Telegram
import Testing
@testable import Bot

@Suite(.timeLimit(.minutes(1))) struct OutboxTests {
    /// Telegram's pace, but at most one message per 0.2 s per chat, so order tests do not take seconds.
    static let brisk = SendingLimits(perChatInterval: 0.2)

    /// Runs a deliverer until `body` returns, then stops it and waits for it to finish.
    static func delivering(_ store: OutboxStore, to telegram: StandInBotAPI, limits: SendingLimits = brisk,
                           _ body: () async throws -> Void) async throws {
        let deliverer = store.deliverer(to: telegram, limits: limits)
        let running = Task { try await deliverer.run() }
        do {
            try await body()
        } catch {
            running.cancel()
            _ = await running.result
            throw error
        }
        running.cancel()
        try await running.value
    }

    static func texts(_ calls: [StandInBotAPI.Call]) -> [String] {
        calls.compactMap { $0["text"]?.string }
    }

    @Test func anEntryQueuedInTheCallersTransactionGoesOnlyIfItCommits() async throws {
        let store = try await OutboxStore.make()
        let telegram = try await StandInBotAPI.start()
        let outbox = store.outbox
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await store.environment.write { txn in
                try outbox.enqueue(SendMessage(chatId: 7, text: "rolled back"), in: txn)
                throw Refused()
            }
        }
        try await store.environment.write { txn in
            try outbox.enqueue(SendMessage(chatId: 7, text: "committed"), in: txn)
        }
        #expect(try outbox.count() == 1)

        try await Self.delivering(store, to: telegram) {
            try await telegram.waitFor("sendMessage", count: 1)
            try await Self.waitUntilEmpty(outbox)
        }
        #expect(Self.texts(telegram.calls(of: "sendMessage")) == ["committed"])
        await telegram.stop()
        await store.discard()
    }

    @Test func aCallTelegramWouldRefuseIsNotQueued() async throws {
        let store = try await OutboxStore.make()
        let bad = SendMessage(chatId: 7, text: "x", replyMarkup: InlineKeyboardMarkup([[.callback("b", data: String(repeating: "a", count: 65))]]))
        await #expect(throws: BotAPIError.self) { try await store.outbox.enqueue(bad) }
        #expect(try store.outbox.count() == 0)
        await store.discard()
    }

    @Test func anEntryQueuedWhileTheDelivererIdlesIsSentWithoutWaitingForAPoll() async throws {
        let store = try await OutboxStore.make()
        let telegram = try await StandInBotAPI.start()
        // A first entry, read when the deliverer starts: once it is sent and removed, the
        // deliverer has read the queue and has nothing left to do.
        try await store.outbox.enqueue(SendMessage(chatId: 7, text: "primeira"))
        try await Self.delivering(store, to: telegram) {
            try await telegram.waitFor("sendMessage", count: 1)
            try await Self.waitUntilEmpty(store.outbox)
            // Idle now, it reads the queue again only when the change feed says an entry was
            // added (an alarm only starts what it has read), so without that wake this waits in vain.
            try await store.outbox.enqueue(SendMessage(chatId: 7, text: "acordou"))
            try await telegram.waitFor("sendMessage", count: 2, timeout: .seconds(20))
        }
        #expect(Self.texts(telegram.answered("sendMessage")) == ["primeira", "acordou"])
        await telegram.stop()
        await store.discard()
    }

    @Test func eachChatGetsItsMessagesInTheOrderQueued() async throws {
        let store = try await OutboxStore.make()
        let telegram = try await StandInBotAPI.start()
        for n in 1...5 {
            try await store.outbox.enqueue(SendMessage(chatId: 1, text: "a\(n)"))
            try await store.outbox.enqueue(SendMessage(chatId: 2, text: "b\(n)"))
            try await store.outbox.enqueue(EditMessageText(chatId: -3, messageId: 1, text: "g\(n)"))
        }
        // One failure on the way must not reorder a chat's messages either.
        telegram.dropNext(1, method: "sendMessage")
        try await Self.delivering(store, to: telegram) {
            try await telegram.waitFor("sendMessage", count: 10)
            try await telegram.waitFor("editMessageText", count: 5)
            try await Self.waitUntilEmpty(store.outbox)
        }
        let sent = telegram.answered("sendMessage")
        #expect(Self.texts(sent.filter { $0["chat_id"]?.int == 1 }) == (1...5).map { "a\($0)" })
        #expect(Self.texts(sent.filter { $0["chat_id"]?.int == 2 }) == (1...5).map { "b\($0)" })
        #expect(Self.texts(telegram.answered("editMessageText")) == (1...5).map { "g\($0)" })
        await telegram.stop()
        await store.discard()
    }

    @Test func messagesToOneChatAreAboutASecondApart() async throws {
        let store = try await OutboxStore.make()
        let telegram = try await StandInBotAPI.start()
        for n in 1...3 { try await store.outbox.enqueue(SendMessage(chatId: 9, text: "m\(n)")) }
        try await Self.delivering(store, to: telegram, limits: .telegram) {
            try await telegram.waitFor("sendMessage", count: 3)
        }
        let times = telegram.answered("sendMessage").map(\.at)
        for (earlier, later) in zip(times, times.dropFirst()) {
            #expect(later.timeIntervalSince(earlier) > 0.8)
        }
        await telegram.stop()
        await store.discard()
    }

    @Test func noMoreThanThirtyMessagesGoOutInAnySecond() async throws {
        let store = try await OutboxStore.make()
        let telegram = try await StandInBotAPI.start()
        try await store.environment.write { [outbox = store.outbox] txn in
            for chat in 1...45 { try outbox.enqueue(SendMessage(chatId: Int64(chat), text: "promoção"), in: txn) }
        }
        try await Self.delivering(store, to: telegram, limits: SendingLimits(maxConcurrentCalls: 64)) {
            try await telegram.waitFor("sendMessage", count: 45)
        }
        let times = telegram.answered("sendMessage").map(\.at).sorted()
        // Measured at arrival, so a window a little under a second allows for the network's jitter.
        for (index, start) in times.enumerated() {
            let inWindow = times[index...].prefix { $0.timeIntervalSince(start) < 0.9 }.count
            #expect(inWindow <= 30)
        }
        await telegram.stop()
        await store.discard()
    }

    @Test func tooManyRequestsWaitsRetryAfterThenSends() async throws {
        let store = try await OutboxStore.make()
        let telegram = try await StandInBotAPI.start()
        telegram.failNext(1, with: .tooManyRequests(retryAfter: 1), method: "sendMessage")
        try await store.outbox.enqueue(SendMessage(chatId: 5, text: "depois"))
        try await Self.delivering(store, to: telegram) {
            try await telegram.waitFor("sendMessage", count: 1)
            try await Self.waitUntilEmpty(store.outbox)
        }
        let calls = telegram.calls(of: "sendMessage")
        #expect(calls.map(\.outcome) == [.refused(429), .answered])
        #expect(calls[1].at.timeIntervalSince(calls[0].at) > 0.9)
        await telegram.stop()
        await store.discard()
    }

    @Test func aRetryIsRecordedInTheEntry() async throws {
        let store = try await OutboxStore.make()
        let telegram = try await StandInBotAPI.start()
        telegram.failNext(1, with: .tooManyRequests(retryAfter: 30), method: "sendMessage")
        try await store.outbox.enqueue(SendMessage(chatId: 5, text: "mais tarde"))
        try await Self.delivering(store, to: telegram) {
            try await telegram.waitForCalls(of: "sendMessage", count: 1)
            try await waitUntil("the retry recorded in the entry", seeing: { try store.outbox.pending().first?.entry }) { $0?.attempts == 1 }
        }
        let entry = try #require(try store.outbox.pending().first?.entry)
        #expect(entry.notBefore.timeIntervalSinceNow > 20)
        #expect(entry.lastError?.contains("429") == true)
        await telegram.stop()
        await store.discard()
    }

    @Test func droppedConnectionsAreRetriedAndTheMessageArrivesOnce() async throws {
        let store = try await OutboxStore.make()
        let telegram = try await StandInBotAPI.start()
        telegram.dropNext(2, method: "sendMessage")
        try await store.outbox.enqueue(SendMessage(chatId: 5, text: "persistente"))
        try await Self.delivering(store, to: telegram) {
            try await telegram.waitFor("sendMessage", count: 1)
            try await Self.waitUntilEmpty(store.outbox)
        }
        #expect(telegram.calls(of: "sendMessage").map(\.outcome) == [.dropped, .dropped, .answered])
        await telegram.stop()
        await store.discard()
    }

    @Test func aPermanentRefusalIsDroppedAndTheChatsNextMessageStillGoes() async throws {
        let store = try await OutboxStore.make()
        let telegram = try await StandInBotAPI.start()
        telegram.failNext(1, with: .refused(code: 403, description: "Forbidden: bot was blocked by the user"), method: "sendMessage")
        try await store.outbox.enqueue(SendMessage(chatId: 5, text: "bloqueado"))
        try await store.outbox.enqueue(SendMessage(chatId: 5, text: "seguinte"))
        try await Self.delivering(store, to: telegram) {
            try await telegram.waitFor("sendMessage", count: 1)
            try await Self.waitUntilEmpty(store.outbox)
        }
        let calls = telegram.calls(of: "sendMessage")
        #expect(calls.map(\.outcome) == [.refused(403), .answered])
        #expect(Self.texts(calls) == ["bloqueado", "seguinte"])
        await telegram.stop()
        await store.discard()
    }

    @Test func aRestartWhileDeliveringLosesNothingAndRepeatsNothingConfirmed() async throws {
        var store = try await OutboxStore.make()
        let telegram = try await StandInBotAPI.start()
        let expected = (1...8).map { "m\($0)" }
        for text in expected { try await store.outbox.enqueue(SendMessage(chatId: 11, text: text)) }

        try await Self.delivering(store, to: telegram) {
            try await telegram.waitFor("sendMessage", count: 3)
        }
        let beforeRestart = telegram.answered("sendMessage").count
        #expect(beforeRestart < expected.count)
        #expect(try store.outbox.count() == expected.count - beforeRestart)
        await store.close()

        store = try await OutboxStore.open(store.folder)
        try await Self.delivering(store, to: telegram) {
            try await telegram.waitFor("sendMessage", count: expected.count)
            try await Self.waitUntilEmpty(store.outbox)
        }
        #expect(Self.texts(telegram.answered("sendMessage")) == expected)
        await telegram.stop()
        await store.discard()
    }

    @Test func outboxRecordsStayOutOfTheChangeFeed() async throws {
        let store = try await OutboxStore.make()
        let telegram = try await StandInBotAPI.start()
        telegram.failNext(1, with: .tooManyRequests(retryAfter: 1), method: "sendMessage")
        try await store.outbox.enqueue(SendMessage(chatId: 5, text: "segredo do bot"))
        try await Self.delivering(store, to: telegram) {
            try await telegram.waitFor("sendMessage", count: 1)
            try await Self.waitUntilEmpty(store.outbox)
        }
        // Queued, postponed after the 429, removed once delivered: three writes, none of them in the feed.
        #expect(telegram.calls(of: "sendMessage").count == 2)
        #expect(store.environment.head == 0)
        #expect(try store.environment.changes(after: 0).isEmpty)
        await telegram.stop()
        await store.discard()
    }

    @Test func outboxRecordsAnOlderVersionPutInTheFeedMapToNoEvent() throws {
        // Data folders from before the outbox stopped logging keep such records until the feed is trimmed.
        let entry = OutboxEntry(chatId: 5, method: "sendMessage", payload: Array("{}".utf8), enqueuedAt: Date())
        let change = ChangeRecord(sequence: 1, transactionId: 1, collection: Outbox.collectionName, key: UInt64Key.encode(1),
                                  operation: .put, version: 1, value: entry.binaryEncoded(), previous: nil, at: Date(), metadata: [:])
        #expect(try EventMapper().events(for: change).isEmpty)
    }

    @Test func theOutboxsOwnBellWakesTheDelivererWhenNothingElseIsWritten() async throws {
        // The store holds the outbox alone: no feed, no other writer, so only the outbox's bell
        // can tell the deliverer that an entry was committed.
        let store = try await OutboxStore.make()
        let telegram = try await StandInBotAPI.start()
        let outbox = store.outbox
        try await Self.delivering(store, to: telegram, limits: .unlimited) {
            // The first entry is read at start; by its delivery the deliverer waits for the bell.
            try await outbox.enqueue(SendMessage(chatId: 1, text: "first"))
            try await telegram.waitFor("sendMessage", count: 1)
            try await Self.waitUntilEmpty(outbox)
            // The deliverer has no timer of its own to poll the queue with: without the bell these
            // would wait forever, and the wait fails loudly. (How fast is a benchmark's question.)
            for round in 1...5 {
                // Queued in a caller's transaction, as the notifier does, and on its own, as replies are.
                try await store.environment.write { txn in
                    try outbox.enqueue(SendMessage(chatId: 2, text: "in a transaction \(round)"), in: txn)
                }
                try await outbox.enqueue(SendMessage(chatId: 3, text: "on its own \(round)"))
                try await telegram.waitFor("sendMessage", count: 1 + 2 * round, timeout: .seconds(30))
            }
            try await Self.waitUntilEmpty(outbox)
        }
        #expect(store.environment.head == 0, "the outbox wrote nothing to the change feed")
        #expect(Self.texts(telegram.answered("sendMessage")).count == 11)
        await telegram.stop()
        await store.discard()
    }

    // MARK: The schedule's rules, with the time given

    static func entry(chat: Int64, _ text: String = "x", notBefore: Date = .distantPast, paced: Bool = true) -> OutboxEntry {
        OutboxEntry(chatId: chat, method: "sendMessage", payload: Array(text.utf8), enqueuedAt: .distantPast, notBefore: notBefore, paced: paced)
    }

    @Test func aGroupGetsAtMostTwentyMessagesAMinute() {
        var schedule = DeliverySchedule(limits: .telegram)
        for key in 1...25 { schedule.add(key: UInt64(key), entry: Self.entry(chat: -100)) }
        let start = Date(timeIntervalSince1970: 1_000)
        var sentAt: [Date] = []
        var now = start
        while sentAt.count < 25, now < start.addingTimeInterval(200) {
            for call in schedule.takeReady(now: now) {
                sentAt.append(now)
                schedule.settle(call, at: now)
            }
            now = schedule.nextStart(after: now) ?? now.addingTimeInterval(1)
        }
        #expect(sentAt.count == 25)
        #expect(sentAt[19].timeIntervalSince(start) == 19)
        #expect(sentAt[20].timeIntervalSince(start) == 60)
        for (index, time) in sentAt.enumerated() where index >= 20 {
            #expect(time.timeIntervalSince(sentAt[index - 20]) >= 60)
        }
    }

    @Test func theOverallLimitCountsCallsInFlightAndEachForASecondAfterItsAnswer() {
        var schedule = DeliverySchedule(limits: SendingLimits(maxConcurrentCalls: 100))
        for chat in 1...40 { schedule.add(key: UInt64(chat), entry: Self.entry(chat: Int64(chat))) }
        let start = Date(timeIntervalSince1970: 1_000)
        let first = schedule.takeReady(now: start)
        #expect(first.count == 30)
        // Nothing answered yet: the thirty in flight fill the second, and only an answer can change that.
        #expect(schedule.nextStart(after: start) == nil)
        let answered = start.addingTimeInterval(0.5)
        for call in first { schedule.settle(call, at: answered) }
        #expect(schedule.takeReady(now: answered.addingTimeInterval(0.9)).isEmpty)
        #expect(schedule.nextStart(after: answered) == answered.addingTimeInterval(1))
        #expect(schedule.takeReady(now: answered.addingTimeInterval(1)).count == 10)
    }

    @Test func withEveryCallSlotTakenNothingIsDueUntilOneSettles() {
        var schedule = DeliverySchedule(limits: SendingLimits(perChatInterval: 0, perGroupPerMinute: nil, overallPerSecond: nil,
                                                              maxConcurrentCalls: 1))
        schedule.add(key: 1, entry: Self.entry(chat: 1))
        schedule.add(key: 2, entry: Self.entry(chat: 2))
        let now = Date(timeIntervalSince1970: 1_000)
        let started = schedule.takeReady(now: now)
        #expect(started.map(\.key) == [1])
        #expect(schedule.nextStart(after: now) == nil)
        schedule.settle(started[0], at: now)
        #expect(schedule.nextStart(after: now) == .distantPast)
        #expect(schedule.takeReady(now: now).map(\.key) == [2])
    }

    @Test func aChatsNextCallWaitsForTheOneInFlightAndForItsPostponement() {
        var schedule = DeliverySchedule(limits: .unlimited)
        schedule.add(key: 1, entry: Self.entry(chat: 8, "first"))
        schedule.add(key: 2, entry: Self.entry(chat: 8, "second"))
        schedule.add(key: 3, entry: Self.entry(chat: 9, "other"))
        let now = Date(timeIntervalSince1970: 1_000)
        let first = schedule.takeReady(now: now)
        #expect(first.map(\.key) == [1, 3])
        #expect(schedule.takeReady(now: now).isEmpty)

        var postponed = first[0]
        postponed.entry.notBefore = now.addingTimeInterval(5)
        schedule.postpone(postponed, at: now)
        #expect(schedule.takeReady(now: now.addingTimeInterval(4)).isEmpty)
        #expect(schedule.nextStart(after: now) == now.addingTimeInterval(5))
        #expect(schedule.takeReady(now: now.addingTimeInterval(5)).map(\.key) == [1])
        schedule.settle(postponed, at: now.addingTimeInterval(5))
        #expect(schedule.takeReady(now: now.addingTimeInterval(5)).map(\.key) == [2])
    }

    @Test func callsThatAreNotMessagesSkipThePace() {
        var schedule = DeliverySchedule(limits: .telegram)
        schedule.add(key: 1, entry: Self.entry(chat: 8, "message"))
        schedule.add(key: 2, entry: Self.entry(chat: 8, "answer", paced: false))
        let now = Date(timeIntervalSince1970: 1_000)
        let message = schedule.takeReady(now: now)
        schedule.settle(message[0], at: now)
        #expect(schedule.takeReady(now: now).map(\.key) == [2])
    }

    @Test func anEntrySurvivesTheBinaryFormat() throws {
        let entry = OutboxEntry(chatId: -100_123, method: "sendMessage", payload: Array(#"{"text":"olá"}"#.utf8),
                                enqueuedAt: Date(timeIntervalSince1970: 1_700_000_000), attempts: 3,
                                notBefore: Date(timeIntervalSince1970: 1_700_000_060), paced: false, lastError: "429")
        #expect(try OutboxEntry(binary: entry.binaryEncoded()) == entry)
    }

    // MARK: Waiting

    static func waitUntilEmpty(_ outbox: Outbox, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await waitUntil("the outbox to empty", sourceLocation: sourceLocation, seeing: { try outbox.pending().map(\.entry) }) { $0.isEmpty }
    }
}
