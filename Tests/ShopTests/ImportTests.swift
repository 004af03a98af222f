import Foundation
import Store
import Testing
@testable import Shop

@Suite(.timeLimit(.minutes(2))) struct ImportTests {
    static var demoShop: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/demo-shop.json")
    }

    @Test func theDemoShopImportsThroughTheCommandsAndItsBooksBalance() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-import-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let env = try await Environment.open(at: folder, configuration: .testing)
        let shop = try await Shop.open(env, settings: ShopSettings(tokenSecret: Array(repeating: 1, count: 32)))
        let summary = try await ShopImport.run(try Data(contentsOf: Self.demoShop), into: shop)
        #expect(summary.users == 10)
        #expect(summary.products >= 30)
        #expect(summary.byType["sale", default: 0] > 1_000)

        let system = Principal.system()
        let users = try shop.users(page: PageRequest(limit: 200), as: system).items.map(\.value)
        #expect(Set(users.map(\.role)) == [.user, .admin, .owner])
        let orders = try shop.orders(page: PageRequest(limit: 200), as: system).items.map(\.value)
        #expect(Set(orders.map(\.state)) == Set(Order.State.allCases))
        let contracts = try shop.contracts(page: PageRequest(limit: 200), as: system).items.map(\.value)
        #expect(contracts.contains { $0.state == .pending && $0.confirmations == 1 })
        let debts = try shop.debts(as: system)
        #expect(debts.count >= 5)

        // Historical times were kept: the first sale is in August 2026.
        let oldest = try shop.sales(page: PageRequest(limit: 1), as: system)
        #expect(oldest.items.first.map { $0.value.at > Date(timeIntervalSince1970: 1_787_000_000) } == true)
        let august = Date(timeIntervalSince1970: 1_787_443_200)  // 2026-08-23
        let firstSales = try shop.sales(from: august, to: august.addingTimeInterval(86_400), as: system).items
        #expect(!firstSales.isEmpty)

        try Invariants.check(shop, in: env)
        // Importing twice is refused.
        let again = await refusal { _ = try await ShopImport.run(try Data(contentsOf: Self.demoShop), into: shop) }
        #expect(again?.code == .alreadyExists)
        await env.close()
    }
}
