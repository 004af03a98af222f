import Foundation
import Hummingbird
import Shop
import Store

/// Customer orders (place, send the receipt, verify, reject, fulfil, cancel) and contracts
/// (create, send, confirm, decline, cancel, complete): one route per command.
struct OrderAndContractRoutes {
    let shop: Shop

    struct OrderBody: Decodable, Sendable {
        let items: [ShopRoutes.PurchaseBody.Item]
        let customerId: BodyID<UserID>?

        var command: PlaceOrder { PlaceOrder(items: items.map(\.lineItem), customerId: customerId?.value) }
    }
    struct ReceiptBody: Decodable, Sendable { let mediaId: String }
    struct ReasonBody: Decodable, Sendable { let reason: String? }
    struct ContractBody: Decodable, Sendable {
        struct Party: Decodable, Sendable {
            let userId: BodyID<UserID>
            let part: String?
        }
        let title: String
        let terms: String
        let amount: Int64
        let parties: [Party]
        let requiredConfirmations: Int?
        let draft: Bool?
    }

    func add(to router: Router<AppRequestContext>) {
        router.get("/api/orders") { request, context -> JSON<ListBody<OrderView>> in
            let page = try shop.orders(state: try request.state(Order.State.self), page: try request.pageRequest(), as: context.principal)
            return JSON(ListBody(page) { OrderView($0.value, version: $0.version) })
        }
        router.get("/api/orders/:id") { _, context -> JSON<OrderView> in
            let record = try shop.order(try context.id("id", .order), as: context.principal)
            return JSON(OrderView(record.value, version: record.version))
        }
        router.post("/api/orders") { request, context -> JSON<OrderView> in
            let body = try await request.decodeStrict(as: OrderBody.self, context: context)
            let order = try await shop.execute(body.command, as: context.principal, idempotencyKey: request.idempotencyKey)
            return try view(order, context, status: .created)
        }
        router.post("/api/orders/:id/receipt") { request, context in
            let body = try await request.decodeStrict(as: ReceiptBody.self, context: context)
            return try view(try await shop.execute(SubmitReceipt(orderId: try context.id("id", .order), mediaId: body.mediaId), as: context.principal), context)
        }
        router.post("/api/orders/:id/verify") { _, context in
            try view(try await shop.execute(VerifyOrder(orderId: try context.id("id", .order)), as: context.principal), context)
        }
        router.post("/api/orders/:id/reject") { request, context in
            let body = try await request.decodeStrict(as: ReasonBody.self, context: context)
            return try view(try await shop.execute(RejectOrder(orderId: try context.id("id", .order), reason: body.reason ?? ""), as: context.principal), context)
        }
        router.post("/api/orders/:id/fulfil") { _, context in
            try view(try await shop.execute(FulfilOrder(orderId: try context.id("id", .order)), as: context.principal), context)
        }
        router.post("/api/orders/:id/cancel") { request, context in
            let body = try await request.decodeOptional(as: ReasonBody.self, context: context)
            return try view(try await shop.execute(CancelOrder(orderId: try context.id("id", .order), reason: body?.reason ?? ""), as: context.principal), context)
        }

        router.get("/api/contracts") { request, context -> JSON<ListBody<ContractView>> in
            let page = try shop.contracts(state: try request.state(Contract.State.self), page: try request.pageRequest(), as: context.principal)
            return JSON(ListBody(page) { ContractView($0.value, version: $0.version) })
        }
        router.get("/api/contracts/:id") { _, context -> JSON<ContractView> in
            let record = try shop.contract(try context.id("id", .contract), as: context.principal)
            return JSON(ContractView(record.value, version: record.version))
        }
        router.post("/api/contracts") { request, context -> JSON<ContractView> in
            let body = try await request.decodeStrict(as: ContractBody.self, context: context)
            let contract = try await shop.execute(CreateContract(
                title: body.title, terms: body.terms, amount: body.amount,
                parties: body.parties.map { ContractPartyInput(userId: $0.userId.value, part: $0.part ?? "") },
                requiredConfirmations: body.requiredConfirmations ?? body.parties.count, draft: body.draft ?? false), as: context.principal)
            return try view(contract, context, status: .created)
        }
        router.post("/api/contracts/:id/submit") { _, context in
            try view(try await shop.execute(SubmitContract(contractId: try context.id("id", .contract)), as: context.principal), context)
        }
        router.post("/api/contracts/:id/confirm") { _, context in
            try view(try await shop.execute(ConfirmContract(contractId: try context.id("id", .contract)), as: context.principal), context)
        }
        router.post("/api/contracts/:id/decline") { request, context in
            let body = try await request.decodeOptional(as: ReasonBody.self, context: context)
            return try view(try await shop.execute(DeclineContract(contractId: try context.id("id", .contract), reason: body?.reason ?? ""), as: context.principal), context)
        }
        router.post("/api/contracts/:id/cancel") { request, context in
            let body = try await request.decodeOptional(as: ReasonBody.self, context: context)
            return try view(try await shop.execute(CancelContract(contractId: try context.id("id", .contract), reason: body?.reason ?? ""), as: context.principal), context)
        }
        router.post("/api/contracts/:id/complete") { _, context in
            try view(try await shop.execute(CompleteContract(contractId: try context.id("id", .contract)), as: context.principal), context)
        }
    }

    private func view(_ order: Order, _ context: AppRequestContext, status: HTTPResponse.Status = .ok) throws -> JSON<OrderView> {
        JSON(OrderView(order, version: try shop.order(order.id, as: context.principal).version), status: status)
    }

    private func view(_ contract: Contract, _ context: AppRequestContext, status: HTTPResponse.Status = .ok) throws -> JSON<ContractView> {
        // The owner and the parties can read it back; anyone else only acted (an owner's cancel).
        let version = (try? shop.contract(contract.id, as: context.principal).version) ?? 0
        return JSON(ContractView(contract, version: version), status: status)
    }
}
