import Foundation
import Logging
import ServiceLifecycle
import Store
import Synchronization
import TendaApp
import Testing
@testable import Shop

/// Issue 15's proof that backups restore: the application's scheduled backups, taken every
/// second while purchases run through the shop, and one of them restored, hold every purchase
/// acknowledged up to that backup's feed head and none after it, with the books balanced; and
/// the application starts on the restored folder.
@Suite(.timeLimit(.minutes(6))) struct BackupUnderLoadTests {
    static let ownerTelegramId: Int64 = 1_000

    /// What the buyers were told: each acknowledged purchase's sale, commit sequence and quantity.
    final class Purchases: Sendable {
        struct Acknowledged: Sendable {
            let saleId: UInt64
            let sequence: UInt64
            let quantity: Int64
        }

        private let state = Mutex<(acknowledged: [Acknowledged], stopped: Bool)>(([], false))

        func add(_ purchase: Acknowledged) { state.withLock { $0.acknowledged.append(purchase) } }
        func stop() { state.withLock { $0.stopped = true } }
        var stopped: Bool { state.withLock { $0.stopped } }
        var acknowledged: [Acknowledged] { state.withLock { $0.acknowledged } }
    }

    @Test func backupsTakenEverySecondUnderPurchasesRestoreEveryAcknowledgedPurchaseWithBalancedBooks() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-backup-load-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let backups = root + "/backups"
        let secret = [UInt8](repeating: 7, count: 32)
        var logger = Logger(label: "backup-under-load")
        logger.logLevel = .warning
        var configuration = AppConfiguration(dataFolder: root + "/data", shop: ShopSettings(ownerTelegramIds: [Self.ownerTelegramId], tokenSecret: secret),
                                             store: .testing, logger: logger)
        configuration.server.host = "127.0.0.1"
        configuration.server.port = 0
        configuration.backups = AppConfiguration.BackupSchedule(folder: backups, every: .seconds(1), keep: 3)
        let app = try await buildApplication(configuration: configuration)
        // The token secret file `serve` keeps in the data folder, which every backup carries.
        #expect(FileManager.default.createFile(atPath: root + "/data/token-secret", contents: Data(secret), attributes: [.posixPermissions: 0o600]))

        let shop = app.shop
        let owner = try await shop.execute(SeeTelegramUser(identity: .init(telegramId: Self.ownerTelegramId, firstName: "Olga")), as: .system())
        let asOwner = Principal.user(owner.id, via: .rest)
        var buyers: [UInt64] = []
        for i in 0..<4 {
            buyers.append(try await shop.execute(SeeTelegramUser(identity: .init(telegramId: 3_000 + Int64(i), firstName: "Buyer \(i)")), as: .system()).id)
        }
        let initialStock: Int64 = 1_000_000
        let coxinha = try await shop.execute(CreateProduct(name: "Coxinha", emoji: "🥟", category: "Salgados", price: 650, stock: initialStock,
                                                           lowStockThreshold: 2), as: asOwner)
        let headBeforeLoad = shop.feedHead

        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let serving = Task { try await group.run() }
        let purchases = Purchases()
        let buyerIds = buyers
        let buying = Task {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for (i, buyer) in buyerIds.enumerated() {
                    tasks.addTask {
                        var n = i
                        while !purchases.stopped {
                            let quantity = Int64(n % 3 + 1)
                            let sale = try await shop.run(Buy(buyerId: buyer, items: [.init(productId: coxinha.id, quantity: quantity)]), as: asOwner)
                            purchases.add(.init(saleId: sale.value.id, sequence: try #require(sale.sequence), quantity: quantity))
                            n += 1
                        }
                    }
                }
                try await tasks.waitForAll()
            }
        }
        // Three backups taken under load, the older ones pruned by --backup-keep 3 as new ones come.
        try await waitUntil("three scheduled backups taken under load", timeout: .seconds(120), seeing: {
            try BackupFolders.all(in: backups)
        }) { found in
            #expect(found.count <= 3, "--backup-keep 3")
            return found.count == 3 && found.allSatisfy { $0.manifest.feedHead > headBeforeLoad }
        }
        purchases.stop()
        try await buying.value
        await group.triggerGracefulShutdown()
        try await serving.value

        // The schedule ran on until the shutdown, so the backups kept are read again now: the
        // newest taken while purchases were still being acknowledged after it.
        let acknowledged = purchases.acknowledged
        let lastAcknowledged = acknowledged.map(\.sequence).max() ?? 0
        let kept = try BackupFolders.all(in: backups)
        #expect(kept.count == 3, "--backup-keep 3")
        let chosen = try #require(kept.last { $0.manifest.feedHead > headBeforeLoad && $0.manifest.feedHead < lastAcknowledged },
                                  "a kept backup taken under load: \(kept.map(\.manifest.feedHead)), purchases up to \(lastAcknowledged)")
        let head = chosen.manifest.feedHead
        let before = acknowledged.filter { $0.sequence <= head }
        let after = acknowledged.filter { $0.sequence > head }
        #expect(!before.isEmpty && !after.isEmpty, "\(before.count) purchases up to \(head), \(after.count) after")
        #expect(FileManager.default.contents(atPath: chosen.path + "/token-secret") == Data(secret))

        let restoredFolder = root + "/restored"
        let outcome = try await BackupRestore.restore(from: chosen.path, into: restoredFolder, force: false)
        #expect(outcome.manifest == chosen.manifest)
        #expect(outcome.epoch != chosen.manifest.epoch)
        #expect(chosen.manifest.epoch == app.environment.epoch, "a backup keeps its source's epoch")
        #expect(FileManager.default.contents(atPath: restoredFolder + "/token-secret") == Data(secret))

        let environment = try await Environment.open(at: restoredFolder, configuration: .testing)
        let restored = try await Shop.open(environment, settings: ShopSettings(ownerTelegramIds: [Self.ownerTelegramId], tokenSecret: secret))
        #expect(restored.feedHead == head)
        // Every purchase acknowledged up to the head is there; none after it is.
        for purchase in before {
            #expect((try? restored.sale(purchase.saleId, as: .system()))?.value.lines.first?.quantity == purchase.quantity,
                    "sale \(purchase.saleId) at \(purchase.sequence)")
        }
        for purchase in after {
            #expect((try? restored.sale(purchase.saleId, as: .system())) == nil, "sale \(purchase.saleId) at \(purchase.sequence) is after the backup")
        }
        let sold = before.reduce(0) { $0 + $1.quantity }
        #expect(try restored.product(coxinha.id, as: .system()).value.stock == initialStock - sold)
        try Invariants.check(restored, in: environment)
        await environment.close()

        // The application starts on the restored folder, in the restored store's new epoch, and serves it.
        var again = configuration
        again.dataFolder = restoredFolder
        again.backups = AppConfiguration.BackupSchedule()
        let reopened = try await buildApplication(configuration: again)
        #expect(reopened.hub.epoch == outcome.epoch)
        #expect(reopened.shop.feedHead == head)
        let secondGroup = ServiceGroup(configuration: .init(services: [reopened], logger: logger))
        let secondServing = Task { try await secondGroup.run() }
        let sale = try await reopened.shop.run(Buy(buyerId: buyers[0], items: [.init(productId: coxinha.id, quantity: 1)]), as: asOwner)
        #expect(try #require(sale.sequence) > head, "the restored feed goes on from its head")
        await secondGroup.triggerGracefulShutdown()
        try await secondServing.value
    }
}
