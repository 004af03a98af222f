import Bot
import Foundation
import Store
import Telegram

/// A store in a fresh temporary folder with the outbox open over it; reopenable, to play a restart.
struct OutboxStore {
    let folder: String
    let outbox: Outbox

    var environment: Store.Environment { outbox.environment }

    static func make() async throws -> OutboxStore {
        try await open(FileManager.default.temporaryDirectory.appendingPathComponent("tenda-outbox-tests-\(UUID().uuidString)").path)
    }

    /// Opens the store in `folder` (again, after ``close()``).
    static func open(_ folder: String) async throws -> OutboxStore {
        let environment = try await Store.Environment.open(at: folder, configuration: .testing)
        return OutboxStore(folder: folder, outbox: try await Outbox.open(environment))
    }

    /// A deliverer over this outbox sending to `telegram`, with short backoff so retries come quickly.
    func deliverer(to telegram: StandInBotAPI, limits: SendingLimits = .telegram) -> OutboxDeliverer {
        OutboxDeliverer(outbox: outbox, client: telegram.client, limits: limits,
                        backoff: Backoff(first: .milliseconds(50), maximum: .milliseconds(400)))
    }

    func close() async {
        await environment.close()
    }

    func discard() async {
        await environment.close()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
