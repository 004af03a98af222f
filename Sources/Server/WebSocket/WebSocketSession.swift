import Foundation
import NIOWebSocket
import Realtime
import Shop

/// What one `/ws` connection means to the shop, speaking CONTRACT.md's messages.
///
/// It authenticates (`?token=` or a first `{"type":"auth"}` message), answers `ready`, then
/// handles the client's messages (subscribe, unsubscribe, presence, ping, command). Its
/// ``WebSocketConnection`` hands it one message at a time, in order, from a task that runs
/// only while messages wait; the hub's frames do not pass through here. Subscribing with
/// `since` replaces the current subscription, so the hub replays exactly what was missed;
/// without it topics are added.
///
/// Thread-safety: its state is touched only by the connection's message task, which handles
/// one message at a time.
final class WebSocketSession: @unchecked Sendable {
    let shop: Shop
    let hub: Hub
    /// Runs bot command lines (`"args"` in a command message); see ``CommandBridge``.
    let commandLine: (any CommandLineRunner)?
    private let queryToken: String?
    /// The key of this connection's presence.
    private let connectionId: String

    private var caller: (userId: UInt64, role: Role)?
    private var current: Subscription?
    /// The task writing the newest subscription's history; one at a time, in order.
    private var replay: Task<Void, Never>?
    private var topics = Set<String>()

    init(shop: Shop, hub: Hub, commandLine: (any CommandLineRunner)?, queryToken: String?, connectionId: String) {
        self.shop = shop
        self.hub = hub
        self.commandLine = commandLine
        self.queryToken = queryToken
        self.connectionId = connectionId
    }

    private struct ClientMessage: Decodable {
        let type: String
        let token: String?
        let topics: [String]?
        let since: UInt64?
        let view: String?
        let id: String?
        let command: String?
        /// A bot command line's arguments: the message runs the command as the chat would.
        let args: String?
        let idempotencyKey: String?
    }

    func handle(_ item: WebSocketConnection.Inbound, on connection: WebSocketConnection) async {
        switch item {
        case .opened:
            // With a token in the address the caller is known at once; otherwise the first message says.
            if let queryToken { await authenticate(queryToken, connection) }
        case .text(let text):
            let parsed = try? JSONDecoder().decode(ClientMessage.self, from: Data(text.utf8))
            guard let caller else {
                let token = parsed?.type == "auth" ? parsed?.token : nil
                return await authenticate(token, connection)
            }
            guard let parsed else { return sendError(nil, "invalid_input", "each message is one JSON object with a \"type\"", connection) }
            await handle(parsed, text, caller: caller, connection)
        case .binary:
            sendError(nil, "invalid_input", "each message is one JSON object with a \"type\"", connection)
        case .closed:
            replay?.cancel()
            current?.unsubscribe()
            current = nil
            hub.removePresence(connectionId: connectionId)
        }
    }

    /// Signs the caller in and answers `ready`; a missing or bad token gets the error and a 1008 close.
    private func authenticate(_ token: String?, _ connection: WebSocketConnection) async {
        do {
            guard let token else { throw ShopError(.notAuthenticated, "send ?token= or {\"type\":\"auth\",\"token\":…} first") }
            let user = try await shop.authenticate(token)
            shop.sessionActivity.touch(user.sessionId)
            let role = try shop.me(as: .user(user.userId, via: .ws)).role
            caller = (user.userId, role)
            connection.markSignedIn()
            connection.send(Self.json(["type": "ready", "seq": hub.position, "user": ["id": EntityKind.user.format(user.userId), "role": role.rawValue]]))
        } catch {
            let error = error as? ShopError ?? ShopError(.notAuthenticated, "the token could not be checked")
            sendError(nil, error.code.rawValue, error.message, connection)
            connection.close(.policyViolation, reason: error.code.rawValue)
        }
    }

    private func handle(_ message: ClientMessage, _ text: String, caller: (userId: UInt64, role: Role), _ connection: WebSocketConnection) async {
        switch message.type {
        case "subscribe":
            topics.formUnion(message.topics ?? [])
            if let existing = current, message.since == nil {
                existing.update(topics: topics)
                return
            }
            current?.unsubscribe()
            let subscription = hub.subscribe(user: caller.userId, role: caller.role, topics: topics, since: message.since)
            current = subscription
            let previous = replay
            previous?.cancel()
            if previous == nil && message.since == nil {
                // Nothing to replay: live frames go straight to the connection.
                connection.deliverLive(subscription)
            } else {
                replay = Task {
                    // The replaced subscription's last history page is on the wire before this one's.
                    await previous?.value
                    await connection.replayThenDeliver(subscription)
                }
            }
        case "unsubscribe":
            topics.subtract(message.topics ?? [])
            current?.update(topics: topics)
        case "presence":
            hub.setPresence(connectionId: connectionId, userId: caller.userId, role: caller.role, view: message.view)
        case "ping":
            connection.send(Array(#"{"type":"pong"}"#.utf8))
        case "command":
            await runCommand(message, text, userId: caller.userId, connection)
        case "auth":
            sendError(message.id, "invalid_input", "already signed in", connection)
        default:
            sendError(message.id, "invalid_input", "unknown message type \(message.type)", connection)
        }
    }

    /// Runs a `command` message through the bridge and answers `result` or `error` with its id.
    private func runCommand(_ message: ClientMessage, _ text: String, userId: UInt64, _ connection: WebSocketConnection) async {
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        do {
            let params = try JSONSerialization.data(withJSONObject: object?["params"] as? [String: Any] ?? [:])
            let bridge = CommandBridge(shop: shop, commandLine: commandLine)
            let principal = Principal.user(userId, via: .ws)
            let data = if let args = message.args {
                try await bridge.runLine(message.command ?? "", args: args, principal: principal, languageCode: nil, idempotencyKey: message.idempotencyKey)
            } else {
                try await bridge.run(message.command ?? "", params: params, principal: principal, idempotencyKey: message.idempotencyKey)
            }
            var reply = Array(#"{"type":"result","id":"#.utf8)
            reply += try JSONSerialization.data(withJSONObject: message.id ?? NSNull(), options: [.fragmentsAllowed])
            reply += Array(#","ok":true,"data":"#.utf8) + Array(data) + Array("}".utf8)
            connection.send(reply)
        } catch let error as ShopError {
            sendError(message.id, error.code.rawValue, error.message, connection)
        } catch let error as APIError {
            sendError(message.id, error.code, error.message, connection)
        } catch is DecodingError {
            sendError(message.id, "invalid_input", "params do not match the command \(message.command ?? "")", connection)
        } catch {
            sendError(message.id, "internal", "the command failed", connection)
        }
    }

    private func sendError(_ id: String?, _ code: String, _ message: String, _ connection: WebSocketConnection) {
        var body: [String: any Sendable] = ["type": "error", "code": code, "message": message]
        if let id { body["id"] = id }
        connection.send(Self.json(body))
    }

    private static func json(_ body: [String: any Sendable]) -> [UInt8] {
        (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])).map(Array.init) ?? Array(#"{"type":"error","code":"internal"}"#.utf8)
    }
}
