import Foundation
import Shop

/// Runs commands for the WebSocket's `{"type":"command"}` and `POST /api/commands/execute`, in two forms:
///
/// - a command of the ``CommandTable`` with its JSON input (the REST body, with the record's id
///   where REST has it in the path, and `expectedVersion` for `If-Match`), answered with the
///   record's view under its name and id: `{"type": "command", "id": "c1", "command": "buy",
///   "params": {"buyerId": "u7", "items": [{"productId": "p3", "quantity": 2}]}}`
///   → `{"type": "result", "id": "c1", "ok": true, "seq": 1044, "data": {"saleId": "s91", "sale": {…}}}`;
/// - a bot command line, answered as the chat answers it: `{"type": "command", "id": "c2", "command": "estoque", "args": ""}`
///   → `{"type": "result", "id": "c2", "ok": true, "data": {"text": "…", "data": {…}}}`.
///
/// On a replica (with a ``forwarder``) nothing runs here: both forms go to the primary's
/// `POST /api/commands/execute` for the same user (`Tenda-Principal`), and the answer comes
/// back once this replica's copy holds the commit — the same ``WriteForwarder`` that REST
/// writes take, so a replica's store is written by replication alone.
struct CommandBridge {
    let shop: Shop
    /// The bot's conversation, which runs command lines; absent, only the table's commands run.
    let commandLine: (any CommandLineRunner)?
    /// On a replica: where commands run instead of here.
    var forwarder: WriteForwarder? = nil

    /// A command's answer: the `data` JSON and, when it changed something, the feed sequence of its commit.
    struct Answer {
        let data: Data
        let sequence: UInt64?
    }

    /// Runs a bot command line; its `{"text", "data"}`, or the refusal as the contract's error.
    func runLine(_ command: String, args: String, principal: Principal, languageCode: String?, idempotencyKey: String?) async throws -> Answer {
        if let forwarder {
            let body = try JSONSerialization.data(withJSONObject: ["command": command, "args": args])
            return try await forwarder.runCommand(body: body, principal: principal, idempotencyKey: idempotencyKey, languageCode: languageCode)
        }
        guard let commandLine else {
            throw APIError(.serviceUnavailable, "commands_unavailable", "this server runs no bot commands")
        }
        let name = command.hasPrefix("/") ? String(command.dropFirst()) : command
        let answer = await commandLine.run(command: name, args: args, principal: principal, languageCode: languageCode, idempotencyKey: idempotencyKey)
        if let error = answer.error() { throw error }
        return Answer(data: answer.body(), sequence: nil)
    }

    /// Runs the table's command `name` with `params` (a JSON object) for `principal`.
    func run(_ name: String, params: Data, principal: Principal, idempotencyKey: String?) async throws -> Answer {
        if let forwarder {
            var body = Data(#"{"command":"#.utf8)
            body += try JSONSerialization.data(withJSONObject: name, options: [.fragmentsAllowed])
            body += Data(#","params":"#.utf8) + params + Data("}".utf8)
            return try await forwarder.runCommand(body: body, principal: principal, idempotencyKey: idempotencyKey, languageCode: nil)
        }
        guard let entry = CommandTable.entry(named: name) else {
            throw APIError(.notFound, "unknown_command", "no command \(name); known: \(CommandTable.entries.map(\.name).joined(separator: ", "))",
                           field: "command")
        }
        try CommandInput.refuseUnknownFields(params, allowed: entry.inputFields)
        let result = try await entry.run(params, .init(shop: shop, principal: principal, idempotencyKey: idempotencyKey))
        return Answer(data: Self.data(entry.answer, result), sequence: result.sequence)
    }

    /// The socket's `data`: a record under its name with its id beside it, a count as it is, or `{}`.
    static func data(_ answer: CommandEntry.Answer, _ result: CommandEntry.Result) -> Data {
        switch answer {
        case .record(let key, _):
            var data = Data(#"{"\#(key)":"#.utf8) + result.json
            if let id = result.recordId { data += Data(#","\#(key)Id":"\#(id)""#.utf8) }
            return data + Data("}".utf8)
        case .count: return result.json
        case .nothing: return Data("{}".utf8)
        }
    }
}

/// Reading a command's JSON input before it is decoded.
enum CommandInput {
    /// Refuses an input that is not a JSON object, or that names a field the command does not take
    /// (a misspelt field would otherwise be ignored and its default used).
    static func refuseUnknownFields(_ input: Data, allowed: Set<String>) throws {
        guard let object = try? JSONSerialization.jsonObject(with: input) else {
            throw APIError(.badRequest, "invalid_input", "the body is not valid JSON")
        }
        guard let fields = object as? [String: Any] else { throw APIError(.badRequest, "invalid_input", "the body must be a JSON object") }
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.invalid(unknown, "unknown field \(unknown)")
        }
    }
}

/// Runs a command of the ``CommandTable`` outside any connection (`tenda run`): its answer as the
/// socket's `data`, and the feed sequence of its commit.
public func runTableCommand(_ name: String, params: Data, shop: Shop, as principal: Principal) async throws -> (data: Data, sequence: UInt64?) {
    let answer = try await CommandBridge(shop: shop, commandLine: nil).run(name, params: params, principal: principal, idempotencyKey: nil)
    return (answer.data, answer.sequence)
}

/// The names of the ``CommandTable``'s commands, for `tenda run --list`.
public var tableCommandNames: [String] { CommandTable.entries.map(\.name) }
