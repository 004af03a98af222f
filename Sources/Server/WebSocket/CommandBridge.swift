import Foundation
import Shop

/// Runs commands for the WebSocket's `{"type":"command"}` and `POST /api/commands/execute`, in two forms:
///
/// - the shop's commands with the same parameters as the REST bodies, answered with the same records:
///   `{"type": "command", "id": "c1", "command": "buy", "params": {"buyerId": "u7", "items": [{"productId": "p3", "quantity": 2}]}}`
///   → `{"type": "result", "id": "c1", "ok": true, "data": {"saleId": "s91", "sale": {…}}}`;
/// - a bot command line, answered as the chat answers it: `{"type": "command", "id": "c2", "command": "estoque", "args": ""}`
///   → `{"type": "result", "id": "c2", "ok": true, "data": {"text": "…", "data": {…}}}`.
struct CommandBridge {
    let shop: Shop
    /// The bot's conversation, which runs command lines; absent, only the shop's commands run.
    let commandLine: (any CommandLineRunner)?

    /// Runs a bot command line; its `{"text", "data"}`, or the refusal as the contract's error.
    func runLine(_ command: String, args: String, principal: Principal, languageCode: String?, idempotencyKey: String?) async throws -> Data {
        guard let commandLine else {
            throw APIError(.serviceUnavailable, "commands_unavailable", "this server runs no bot commands")
        }
        let name = command.hasPrefix("/") ? String(command.dropFirst()) : command
        let answer = await commandLine.run(command: name, args: args, principal: principal, languageCode: languageCode, idempotencyKey: idempotencyKey)
        if let error = answer.error() { throw error }
        return answer.body()
    }

    /// The command names the bridge knows.
    static let commands = [
        "buy", "recordPayment", "restock", "adjustStock", "createProduct", "updateProduct", "placeOrder", "submitReceipt",
        "verifyOrder", "rejectOrder", "fulfilOrder", "cancelOrder", "confirmContract", "declineContract", "markRead", "markAllRead",
    ]

    private struct ProductRef: Decodable { let productId: BodyID<ProductID> }
    private struct Restocking: Decodable {
        let productId: BodyID<ProductID>
        let quantity: Int64
        let note: String?
    }
    private struct StockChange: Decodable {
        let productId: BodyID<ProductID>
        let delta: Int64
        let reason: String?
        let note: String?
    }
    private struct ProductUpdate: Decodable {
        let productId: BodyID<ProductID>
        let expectedVersion: UInt64?
        let name: String?
        let price: Int64?
        let lowStockThreshold: Int64?
        let active: Bool?
    }
    private struct OrderRef: Decodable {
        let orderId: BodyID<OrderID>
        let mediaId: String?
        let reason: String?
    }
    private struct ContractRef: Decodable {
        let contractId: BodyID<ContractID>
        let reason: String?
    }
    private struct NoticeRef: Decodable { let notificationId: BodyID<NotificationID> }

    /// Runs `command` with `params` (JSON) for `principal`; the answer's `data` as JSON bytes.
    func run(_ command: String, params: Data, principal: Principal, idempotencyKey: String?) async throws -> Data {
        let decoder = JSONDecoder()
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decode(type, from: params) }
        func answer<V: Encodable>(_ key: String, _ value: V, extra: [String: String] = [:]) throws -> Data {
            var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode([key: value])) as? [String: Any] ?? [:]
            for (k, v) in extra { object[k] = v }
            return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        }
        switch command {
        case "buy":
            let sale = try await shop.execute(try decode(ShopRoutes.PurchaseBody.self).command, as: principal, idempotencyKey: idempotencyKey)
            return try answer("sale", SaleView(sale, version: 1), extra: ["saleId": sale.publicId])
        case "recordPayment":
            let payment = try await shop.execute(try decode(ShopRoutes.PaymentBody.self).command, as: principal, idempotencyKey: idempotencyKey)
            return try answer("payment", PaymentView(payment, version: 1), extra: ["paymentId": payment.publicId])
        case "restock":
            let body = try decode(Restocking.self)
            let product = try await shop.execute(Restock(productId: body.productId.value, quantity: body.quantity, note: body.note ?? ""),
                                                 as: principal, idempotencyKey: idempotencyKey)
            return try answer("product", try productView(product, principal))
        case "adjustStock":
            let body = try decode(StockChange.self)
            guard let reason = StockMovement.Reason(rawValue: body.reason ?? "adjustment") else {
                throw APIError.invalid("reason", "reason must be adjustment, restock or return")
            }
            let product = try await shop.execute(AdjustStock(productId: body.productId.value, delta: body.delta, reason: reason, note: body.note ?? ""),
                                                 as: principal, idempotencyKey: idempotencyKey)
            return try answer("product", try productView(product, principal))
        case "createProduct":
            let product = try await shop.execute(try decode(ShopRoutes.NewProduct.self).command, as: principal, idempotencyKey: idempotencyKey)
            return try answer("product", try productView(product, principal))
        case "updateProduct":
            let body = try decode(ProductUpdate.self)
            let product = try await shop.execute(UpdateProduct(productId: body.productId.value, expectedVersion: body.expectedVersion, name: body.name,
                                                               price: body.price, lowStockThreshold: body.lowStockThreshold, active: body.active), as: principal)
            return try answer("product", try productView(product, principal))
        case "placeOrder":
            let order = try await shop.execute(try decode(OrderAndContractRoutes.OrderBody.self).command, as: principal, idempotencyKey: idempotencyKey)
            return try answer("order", OrderView(order, version: 1))
        case "submitReceipt", "verifyOrder", "rejectOrder", "fulfilOrder", "cancelOrder":
            let body = try decode(OrderRef.self)
            let id = body.orderId.value
            let order: Order = switch command {
            case "submitReceipt": try await shop.execute(SubmitReceipt(orderId: id, mediaId: body.mediaId ?? ""), as: principal)
            case "verifyOrder": try await shop.execute(VerifyOrder(orderId: id), as: principal)
            case "rejectOrder": try await shop.execute(RejectOrder(orderId: id, reason: body.reason ?? ""), as: principal)
            case "fulfilOrder": try await shop.execute(FulfilOrder(orderId: id), as: principal)
            default: try await shop.execute(CancelOrder(orderId: id, reason: body.reason ?? ""), as: principal)
            }
            return try answer("order", OrderView(order, version: try shop.order(id, as: principal).version))
        case "confirmContract", "declineContract":
            let body = try decode(ContractRef.self)
            let contract = command == "confirmContract"
                ? try await shop.execute(ConfirmContract(contractId: body.contractId.value), as: principal)
                : try await shop.execute(DeclineContract(contractId: body.contractId.value, reason: body.reason ?? ""), as: principal)
            return try answer("contract", ContractView(contract, version: try shop.contract(contract.id, as: principal).version))
        case "markRead":
            let body = try decode(NoticeRef.self)
            return try answer("notification", NotificationView(try await shop.execute(MarkRead(notificationId: body.notificationId.value), as: principal), version: 0))
        case "markAllRead":
            return try answer("marked", try await shop.execute(MarkAllRead(), as: principal))
        default:
            throw APIError(.notFound, "unknown_command", "no command \(command); known: \(Self.commands.joined(separator: ", "))", field: "command")
        }
    }

    private func productView(_ product: Product, _ principal: Principal) throws -> ProductView {
        ProductView(product, version: try shop.product(product.id, as: principal).version)
    }
}
