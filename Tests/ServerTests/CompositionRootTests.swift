import Foundation
import Logging
import NIOConcurrencyHelpers
import Shop
import Store
import TendaApp
import Testing

/// `buildApplication(configuration:)` owns the store it opens: the folder is the application's
/// while it is built or running, and let go when its services stop or when building fails.
@Suite(.timeLimit(.minutes(1))) struct CompositionRootTests {
    @Test func theStoreIsTheApplicationsUntilItsServicesStopAndItsServiceStopsLast() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-root-tests-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let log = LogRecord()
        var configuration = LiveServer.configuration(folder: folder)
        configuration.logger = Logger(label: "tenda-root-test") { _ in log.handler }
        configuration.logger.logLevel = .debug
        let app = try await buildApplication(configuration: configuration)

        // Built, it holds the folder: a second writer (another `tenda serve`) is refused.
        await #expect(throws: StoreError(.locked, "")) { try await Environment.open(at: folder, configuration: .testing) }
        try await app.test(.live) { client in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            #expect(try await client.call(.post, "/api/products", token: owner.access, json: ["name": "Coxinha", "price": 650]).status == .created)
        }

        // Stopped, the store is closed and the folder free: it opens again, with what was written.
        #expect(throws: StoreError(.closed, "")) { try app.environment.read { _ in } }
        let reopened = try await Environment.open(at: folder, configuration: .testing)
        #expect(try await reopened.statistics().collections.first { $0.name == "products" }?.records == 1)
        await reopened.close()

        // The group stopped its services in reverse order, the store's (the first) after all the others.
        let finished = log.finishedServices().filter { !$0.hasPrefix("TestApplication") }
        #expect(finished.count >= 4, "the server, the date cache, the heartbeat, the hub and the store: \(finished)")
        #expect(finished.last?.hasPrefix("StoreService") == true, "stopped in this order: \(finished)")
    }

    @Test func aBuildThatFailsHalfWayClosesTheStoreItOpened() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-root-tests-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var configuration = LiveServer.configuration(folder: folder)
        configuration.demoFile = folder + "/no-such-shop.json"
        await #expect(throws: AppConfigurationError.self) { try await buildApplication(configuration: configuration) }
        // The store was opened (the folder exists) and closed again: another writer may open it.
        let environment = try await Environment.open(at: folder, configuration: .testing)
        await environment.close()
    }

    @Test func theDemoShopEndsAtTheMomentItIsLoadedSoTodayHasSales() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-root-tests-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var configuration = LiveServer.configuration(folder: folder)
        configuration.demoFile = DocumentationTests.packageRoot.appendingPathComponent("fixtures/demo-shop.json").path
        let before = Date()
        let app = try await buildApplication(configuration: configuration)
        let after = Date()
        do {
            // The fixture's last event is a sale: moved, it is the newest sale, at the moment of loading.
            let newest = try #require(try app.shop.sales(page: PageRequest(limit: 1), as: .system()).items.first?.value)
            #expect(newest.at >= before.addingTimeInterval(-1) && newest.at <= after)
            let dashboard = try app.shop.dashboard(now: newest.at, as: .system())
            #expect(dashboard.todaySales > 0 && dashboard.todayRevenue > 0)
        } catch {
            await app.environment.close()
            throw error
        }
        await app.environment.close()
    }
}

/// Keeps what a logger was told, for a test to read the order of what happened.
final class LogRecord: Sendable {
    private let entries = NIOLockedValueBox<[(message: String, metadata: Logger.Metadata)]>([])

    var handler: Handler { Handler(record: self) }

    /// The services the service groups said had finished, in order (ServiceLifecycle names
    /// each service by its description, and logs its end at debug level).
    func finishedServices() -> [String] {
        entries.withLockedValue { entries in
            entries.filter { $0.message == "Service finished" || $0.message == "Service finished." }
                .compactMap { $0.metadata["sl-service"].map { "\($0)" } }
        }
    }

    fileprivate func add(_ message: String, _ metadata: Logger.Metadata) {
        entries.withLockedValue { $0.append((message, metadata)) }
    }

    struct Handler: LogHandler {
        let record: LogRecord
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            record.add("\(event.message)", metadata.merging(event.metadata ?? [:]) { $1 })
        }
    }
}
