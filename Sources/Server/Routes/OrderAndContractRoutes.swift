import Foundation
import Hummingbird
import Shop
import Store

/// Customer orders and contracts to read (their steps are commands of ``CommandTable``).
struct OrderAndContractRoutes {
    let shop: Shop

    func add(to router: Router<AppRequestContext>) {
        router.get("/api/orders") { request, context -> JSON<ListBody<OrderView>> in
            let page = try shop.orders(state: try request.state(Order.State.self), page: try request.pageRequest(), as: context.principal)
            return JSON(ListBody(page) { OrderView($0.value, version: $0.version) })
        }
        router.get("/api/orders/:id") { _, context -> JSON<OrderView> in
            let record = try shop.order(try context.id("id", .order), as: context.principal)
            return JSON(OrderView(record.value, version: record.version))
        }
        router.get("/api/contracts") { request, context -> JSON<ListBody<ContractView>> in
            let page = try shop.contracts(state: try request.state(Contract.State.self), page: try request.pageRequest(), as: context.principal)
            return JSON(ListBody(page) { ContractView($0.value, version: $0.version) })
        }
        router.get("/api/contracts/:id") { _, context -> JSON<ContractView> in
            let record = try shop.contract(try context.id("id", .contract), as: context.principal)
            return JSON(ContractView(record.value, version: record.version))
        }
    }
}
