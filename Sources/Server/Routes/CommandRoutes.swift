import Foundation
import HTTPTypes
import Hummingbird
import Shop

extension CommandLineAnswer {
    /// The refusal as the contract's error: the shop's code and status, the chat's words.
    public func error() -> APIError? {
        guard let failure else { return nil }
        let shaped = APIError(failure)
        return APIError(shaped.status, shaped.code, plainText.replacingOccurrences(of: "⚠️ ", with: ""), field: shaped.field, items: shaped.items)
    }
}

/// The command table over HTTP: every entry's REST doors, and `POST /api/commands/execute`,
/// which runs a table command (`{"command": "buy", "params": {…}}`) or a bot command line
/// (`{"command": "estoque", "args": "…"}` → `{"text", "data"}`) for the MiniApp's console and scripts.
struct CommandRoutes {
    /// Runs the commands, for the REST doors and `/api/commands/execute` alike.
    let bridge: CommandBridge

    /// `POST /api/commands/execute`'s body: the command, and either its `params` or its `args`.
    struct ExecuteBody {
        let command: String
        let args: String?
        /// The table command's input, as JSON bytes.
        let params: Data?

        init(_ body: Data) throws {
            try CommandInput.refuseUnknownFields(body, allowed: ["command", "args", "params"])
            let fields = try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
            guard let command = fields["command"] as? String else { throw APIError.invalid("command", "command is required: a command's name") }
            self.command = command
            switch fields["args"] {
            case nil, is NSNull: args = nil
            case let text as String: args = text
            default: throw APIError.invalid("args", "args must be the rest of the command line, a string")
            }
            switch fields["params"] {
            case nil, is NSNull: params = nil
            case let object as [String: Any]: params = try JSONSerialization.data(withJSONObject: object)
            default: throw APIError.invalid("params", "params must be a JSON object: the command's input")
            }
            if params != nil, args != nil { throw APIError.invalid("params", "send params (a table command) or args (a bot command line), not both") }
        }
    }

    func add(to router: Router<AppRequestContext>) {
        for entry in CommandTable.entries {
            for door in entry.doors {
                router.on(RouterPath(door.path.replacingOccurrences(of: "{id}", with: ":id")), method: door.method) { request, context in
                    try await run(entry, door, request, context)
                }
            }
        }
        for door in CommandTable.bulk {
            router.post(RouterPath(door.path)) { request, context in
                try await runBulk(door, request, context)
            }
        }
        router.post("/api/commands/execute") { request, context -> Response in
            let body = try ExecuteBody(try await request.jsonBody(context))
            let answer = if let params = body.params {
                try await bridge.run(body.command, params: params, principal: context.principal, idempotencyKey: request.idempotencyKey)
            } else {
                try await bridge.runLine(body.command, args: body.args ?? "", principal: context.principal,
                                         languageCode: request.headers[.acceptLanguage], idempotencyKey: request.idempotencyKey)
            }
            return Self.json(.ok, answer.data, sequence: answer.sequence)
        }
    }

    /// A REST door: the body, the path's id and `If-Match` make the command's input.
    private func run(_ entry: CommandEntry, _ door: CommandEntry.Door, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        var input: [String: Any] = [:]
        if let field = entry.pathField { input[field.name] = field.kind.format(try context.id("id", field.kind)) }
        let body = try await request.jsonBody(context)
        if body.isEmpty {
            // A body the document requires is required even when every field in it is optional.
            if entry.body != nil, entry.bodyRequired { throw APIError(.badRequest, "invalid_input", "this route takes a JSON body") }
        } else {
            try CommandInput.refuseUnknownFields(body, allowed: entry.bodyFields)
            if let fields = try JSONSerialization.jsonObject(with: body) as? [String: Any] { input.merge(fields) { path, _ in path } }
        }
        if entry.takesVersion, let expected = try request.expectedVersion() { input["expectedVersion"] = expected }
        let result = try await entry.run(try JSONSerialization.data(withJSONObject: input),
                                         .init(shop: bridge.shop, principal: context.principal, idempotencyKey: request.idempotencyKey))
        if case .nothing = entry.answer { return Response(status: .noContent, headers: Self.sequenceHeader(result.sequence)) }
        return Self.json(door.status, result.json, sequence: result.sequence)
    }

    /// A bulk door: the whole request is checked first (role, then body); then the action's table
    /// command runs once per id, each in its own write, and every item's outcome is answered.
    private func runBulk(_ door: BulkDoor, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        let role = try bridge.shop.me(as: context.principal).role
        guard role >= door.minimumRole else { throw APIError(ShopError(.forbidden, "your role does not allow this")) }
        let bulk = try door.parse(try await request.jsonBody(context))
        guard let entry = CommandTable.entry(named: bulk.action.command) else {
            throw APIError(.internalServerError, "internal", "no command \(bulk.action.command)")
        }
        let call = CommandEntry.Call(shop: bridge.shop, principal: context.principal, idempotencyKey: nil)
        var results: [[String: Any]] = []
        var last: UInt64?
        var succeeded = 0
        for id in bulk.ids {
            do {
                let input = try JSONSerialization.data(withJSONObject: bulk.action.input(id, bulk.fields))
                let result = try await entry.run(input, call)
                if let sequence = result.sequence { last = max(last ?? 0, sequence) }
                results.append(["id": id, "ok": true, "record": try JSONSerialization.jsonObject(with: result.json)])
                succeeded += 1
            } catch {
                let refusal = APIError.of(error)
                var detail: [String: Any] = ["code": refusal.code, "message": refusal.message]
                if let field = refusal.field { detail["field"] = field }
                if !refusal.items.isEmpty {
                    detail["items"] = refusal.items.map { ["productId": $0.productId, "requested": $0.requested, "available": $0.available] }
                }
                results.append(["id": id, "ok": false, "error": detail])
            }
        }
        let body = try JSONSerialization.data(withJSONObject: ["results": results, "succeeded": succeeded, "failed": results.count - succeeded],
                                              options: [.sortedKeys])
        return Self.json(.ok, body, sequence: last)
    }

    private static func json(_ status: HTTPResponse.Status, _ body: Data, sequence: UInt64?) -> Response {
        var headers = sequenceHeader(sequence)
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// `Feed-Sequence`: the commit's place in the change feed, so a client following the feed
    /// knows which of its events are this write's.
    private static func sequenceHeader(_ sequence: UInt64?) -> HTTPFields {
        var headers = HTTPFields()
        if let sequence { headers[feedSequence] = String(sequence) }
        return headers
    }

    static let feedSequence = HTTPField.Name("Feed-Sequence")!
}
