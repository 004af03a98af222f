import BenchSupport
import Shop

/// `buy` commands through the shop, as the server executes them: one at a time, each
/// awaited, so each is its own commit (with its fsync) and the hub fans each one out.
///
/// One after another rather than from concurrent buyers: group commit would share commits
/// between purchases by how the threads happened to meet, and the count would move run to
/// run. The purchases (buyer, products, quantities) come from a fixed seed.
struct PurchasePhase {
    let workload: Workload
    let purchases: Int
    let warmUp: Int

    func run() async throws -> PhaseResult {
        progress("purchases: \(warmUp) to warm up, then \(purchases.grouped) measured")
        var warmUpDraws = SplitMix64(seed: 99)
        for _ in 0..<warmUp { try await buy(&warmUpDraws) }
        try await workload.hubSettled()
        let salesBefore = try workload.app.shop.dashboard(as: workload.seller).todaySales

        var draws = SplitMix64(seed: 1)
        let seconds = try await Callgrind.measure("purchases") {
            for _ in 0..<purchases { try await buy(&draws) }
            try await workload.hubSettled()
        }
        let sales = try workload.app.shop.dashboard(as: workload.seller).todaySales - salesBefore
        guard sales == Int64(purchases) else { throw BenchError("expected \(purchases) sales, the shop counts \(sales)") }
        return PhaseResult(name: "purchases", unit: "purchase", operations: purchases, seconds: seconds)
    }

    /// A purchase of one or two products by one buyer, drawn from `draws`.
    private func buy(_ draws: inout SplitMix64) async throws {
        let products = workload.products
        let first = Int(draws.next() % UInt64(products.count))
        var items = [LineItem(productId: products[first], quantity: Int64(1 + draws.next() % 3))]
        if draws.next() % 2 == 0 {
            items.append(LineItem(productId: products[(first + 1 + Int(draws.next() % UInt64(products.count - 1))) % products.count], quantity: 1))
        }
        let buyer = workload.buyers[Int(draws.next() % UInt64(workload.buyers.count))]
        _ = try await workload.app.shop.execute(Buy(buyerId: buyer, items: items), as: workload.seller)
    }
}
