import Bot
import Foundation
import Logging
import Realtime
import Shop
import Store
import Synchronization
import Telegram
import Testing

/// The bot over a store with no room left (its map at a small ceiling, filled by the test).
@Suite("Bot on a full store", .timeLimit(.minutes(2))) struct BotStorageFullTests {
    @Test func aFullStoreGetsAPoliteReplyWhileLookingThingsUpGoesOn() async throws {
        try await LiveBot.run(store: { $0.maxMapSize = 16 << 20 }) { live, _, _ in
            // The start-up writes (menus) are done before the store fills.
            _ = try await live.telegram.waitFor("setMyCommands", count: 5)
            let environment = live.demo.environment
            try await fill(environment, hub: live.hub)
            #expect(environment.storage.isFull)

            // Looking things up still answers.
            let list = try await live.say("/lista_produtos", as: LiveBot.user)
            #expect(list.text.contains("<b>Produtos</b>") && list.text.contains("estoque"), "\(list.text)")
            // A purchase is refused in words (sent directly: the outbox has no room either), and nothing is sold.
            let coxinha = try live.demo.product(named: "Coxinha")
            let diego = try live.demo.user(DemoShop.userTelegramId)
            let refused = try await live.say("/buy 2 \(coxinha.value.publicId) \(diego.publicId) ok", as: LiveBot.admin)
            #expect(refused.text.contains("armazenamento da loja está cheio"), "\(refused.text)")
            #expect(try live.demo.product(named: "Coxinha").value.stock == coxinha.value.stock)
            // Still full, so no write reached the disk: the replies went out without the outbox.
            #expect(environment.storage.isFull)
            // And the bot is still there for the next message.
            let again = try await live.say("/commands", as: LiveBot.user)
            #expect(!again.text.contains("Algo deu errado"), "\(again.text)")
        }
    }

    @Test func theNotifierWaitsForRoomInsteadOfStoppingAndThenSendsTheNotice() async throws {
        // The map starts at its ceiling, so it never grows (growing waits for every reader,
        // and the test holds one: see `Reserve`).
        let demo = try await DemoShop.make(store: { $0.maxMapSize = 16 << 20; $0.mapSize = 16 << 20 })
        let telegram = try await StandInBotAPI.start()
        defer { Task { await telegram.stop(); await demo.discard() } }
        let environment = demo.environment
        let bot = try await TelegramBot.make(conversation: demo.conversation, environment: environment,
                                             settings: BotSettings(token: StandInBotAPI.defaultToken, apiBaseURL: telegram.baseURL),
                                             limits: .unlimited, pollTimeout: 1, logger: Logger(label: "notifier-full-test"))
        func lowStockAlerts() -> Int {
            telegram.answered("sendMessage").compactMap { try? $0.decode(SendMessage.self) }
                .filter { $0.chatId == DemoShop.adminTelegramId && $0.text.contains("Estoque baixo") && $0.text.contains("Coxinha") }.count
        }
        // A first start records where the notifier begins and sends the menus, so that on the
        // next start the only writes are the menus' and the notifier's.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in bot.services { group.addTask { try await service.run() } }
            try await telegram.waitFor("setMyCommands", count: 5)
            try await waitUntil("the notifier's starting position and the outbox empty", seeing: {
                (position: try Notifier.position(in: environment), queued: try bot.outbox.count())
            }) { $0.position > 0 && $0.queued == 0 }
            group.cancelAll()
        }
        // While the bot is down, a purchase crosses Coxinha's threshold (a notice), then the store fills.
        let coxinha = try demo.product(named: "Coxinha").value
        let before = environment.head
        _ = try await demo.shop.execute(Buy(buyerId: try demo.user(DemoShop.userTelegramId).id,
                                            items: [LineItem(productId: coxinha.id, quantity: coxinha.stock - coxinha.lowStockThreshold)]),
                                        as: try demo.principal(DemoShop.adminTelegramId))
        let notice = try demo.lastNotice(after: before)
        let reserve = try await Reserve.setAside(in: environment)
        do {
            try await fill(environment)
        } catch {
            await reserve.release()
            throw error
        }
        #expect(environment.storage.isFull)
        let refusedByFilling = environment.storage.refusals

        // The bot starts on the full store: the menus and the notice's messages cannot be
        // queued; no service ends for it (one that did would take the server down).
        let ended = EndedServices()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for service in bot.services {
                    group.addTask {
                        do { try await service.run() } catch {}
                        if !Task.isCancelled { ended.add("\(type(of: service))") }
                    }
                }
                // Both start-up writes are refused (the menus, the notifier's first try at the
                // notice), and the poller still asks for updates after that: all met the full store.
                let polls = telegram.calls(of: "getUpdates").count
                try await waitUntil("the menus and the notice refused, then a poll", seeing: {
                    (refusals: environment.storage.refusals - refusedByFilling, polls: telegram.calls(of: "getUpdates").count - polls)
                }) { $0.refusals >= 2 && $0.polls >= 1 }
                #expect(ended.names.isEmpty, "bot services ended on a full store: \(ended.names)")
                // Room again: the reserve's pages are let go. The notice goes out whenever the
                // notifier's next try finds room (it retries after 1 s, then 2 s, …).
                await reserve.release()
                try await waitUntil("the low-stock notice to the admin once there is room", timeout: .seconds(30), seeing: {
                    lowStockAlerts()
                }) { $0 > 0 }
                // Once the notifier is past the notice and the outbox has sent all it holds, a
                // second copy would already be here.
                try await waitUntil("the notifier past the notice and the outbox empty", seeing: {
                    (position: try Notifier.position(in: environment), queued: try bot.outbox.count())
                }) { $0.position >= notice && $0.queued == 0 }
                #expect(lowStockAlerts() == 1)
                #expect(ended.names.isEmpty, "bot services ended on a full store: \(ended.names)")
                group.cancelAll()
            }
        } catch {
            await reserve.release()  // or closing the store would wait for its reader
            throw error
        }
    }
}

/// Room set aside before a store is filled, to be given back once it is full: a store full
/// to the last page takes no write at all, not even one that would delete records, so room
/// cannot be made by writing.
///
/// It writes a megabyte of records, opens a read transaction (on a thread of its own), then
/// deletes the records: LMDB keeps the pages they held for that reader's snapshot, so the
/// store fills without them, and `release()` ends the reader, which hands them back. The map
/// must be at its ceiling already (growing it waits for every reader).
private final class Reserve: Sendable {
    private let letGo = DispatchSemaphore(value: 0)
    private let ended = DispatchSemaphore(value: 0)
    private let released = Mutex(false)

    private init() {}

    static func setAside(in environment: Environment) async throws -> Reserve {
        let records = try await environment.collection("reserve", key: UInt64Key.self, value: BytesCodec.self, logsChanges: false)
        try await environment.write { txn in
            for key in UInt64(1)...4 { try records.put(txn, key, [UInt8](repeating: 7, count: 256 << 10)) }
        }
        let reserve = Reserve()
        let reading = DispatchSemaphore(value: 0)
        Thread { [letGo = reserve.letGo, ended = reserve.ended] in
            _ = try? environment.read { _ in
                reading.signal()
                letGo.wait()
            }
            ended.signal()
        }.start()
        await withCheckedContinuation { continuation in Thread { reading.wait(); continuation.resume() }.start() }
        do {
            try await environment.write { txn in
                for key in UInt64(1)...4 { try records.delete(txn, key) }
            }
        } catch {
            await reserve.release()
            throw error
        }
        return reserve
    }

    /// Ends the reader, so that the reserve's pages can be written again; waits until it has
    /// ended. Once is enough; later calls do nothing.
    func release() async {
        guard !released.withLock({ was in defer { was = true }; return was }) else { return }
        letGo.signal()
        await withCheckedContinuation { continuation in Thread { [ended] in ended.wait(); continuation.resume() }.start() }
    }
}

/// The bot services whose `run` returned or threw before the test cancelled them.
private final class EndedServices: Sendable {
    private let ended = Mutex<[String]>([])
    func add(_ name: String) { ended.withLock { $0.append(name) } }
    var names: [String] { ended.withLock { $0 } }
}

/// Fills the store to its map ceiling: large records first, then smaller ones into what is left.
/// Fills the store until even a small write is refused, and keeps it so: LMDB reuses the pages
/// of older snapshots once their readers (the hub and the notifier, following the feed) let go,
/// so a store "full" a moment ago takes a small write again (a user's `seenAt`, the notifier's
/// position) once they do. So it fills in passes, each after `hub` has caught up with the
/// feed, until a pass finds no room at all. Each pass ends with records that log no change:
/// the bot's own writes (its outbox, its dialogues) are of that kind, and need fewer pages
/// than a write with a change record, so a store full for the shop may still take them.
private func fill(_ environment: Environment, hub: Hub? = nil) async throws {
    let logged = try await environment.collection("filler", key: UInt64Key.self, value: BytesCodec.self)
    let unlogged = try await environment.collection("fillerUnlogged", key: UInt64Key.self, value: BytesCodec.self, logsChanges: false)
    let stages = [(logged, 256 << 10), (logged, 16 << 10), (logged, 1 << 10), (logged, 64), (unlogged, 1 << 10), (unlogged, 64)]
    var key: UInt64 = 0
    for _ in 0..<10 {
        var written = 0
        for (filler, size) in stages {
            while key < 100_000 {
                key += 1
                do {
                    try await environment.write { [key] txn in try filler.put(txn, key, [UInt8](repeating: 9, count: size)) }
                    written += 1
                } catch let error as StoreError where error.code == .storageFull {
                    break
                }
            }
        }
        guard written > 0 else { return }
        if let hub {
            try await waitUntil("the hub at the feed's head", seeing: { (hub: hub.position, head: environment.head) }) { $0.hub >= $0.head }
        }
    }
}
