import ArgumentParser
import Foundation
import Shop

/// `tenda import`: load a shop document (the demo shop) through the shop's commands.
///
/// The document's times are kept unless `--shift-to-now` is given: a real shop's history
/// moved in time would carry false dates, while the demo shop, recorded on a fixed past
/// day, wants its history to end now so that "today" has sales (`serve --demo` always moves it).
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load a shop document (such as fixtures/demo-shop.json) into an empty data folder.",
        discussion: "Every user, product and event goes through the shop's commands with its historical time, so the imported shop obeys the same rules as a live one. "
            + "With --shift-to-now every time moves by the same offset so that the document's latest one is the moment of import (the demo shop's history, ending today); "
            + "without it the times are kept as recorded.")

    @Option(name: .long, help: "The store's folder (created when missing; must hold no users yet).")
    var dataDir: String = "./tenda-data"

    @Option(name: .long, help: "The shop's currency (ISO 4217).")
    var currency: String = "BRL"

    @Flag(name: .long, help: "Move every time in the document by one offset so that its latest is now (UTC, whole seconds); for the demo shop, not for a real shop's books.")
    var shiftToNow = false

    @Argument(help: "The JSON document to load.")
    var file: String

    func run() async throws {
        guard let json = FileManager.default.contents(atPath: file) else { throw ValidationFailure("cannot read \(file)") }
        // An interrupted import leaves a folder to delete and import again, so the events
        // are not flushed one by one: the whole import is synced once at the end.
        let shop = try await DataFolder.openShop(dataDir, create: true, currency: currency, durability: .noSync)
        let started = Date()
        do {
            let summary = try await ShopImport.run(json, into: shop, timing: shiftToNow ? .endingAt(Date()) : .asRecorded)
            try await shop.sync()
            await shop.close()
            let types = summary.byType.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            print("imported \(file) into \(dataDir) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s: "
                  + "\(summary.users) users, \(summary.products) products, \(summary.events) events (\(types))"
                  + (shiftToNow ? ", times moved \(Int(summary.shift)) s to end now" : ""))
        } catch {
            await shop.close()
            throw error
        }
    }
}
