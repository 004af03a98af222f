import Foundation
import HummingbirdWebSocket
import NIOCore
import Realtime
import Shop

/// One WebSocket connection at `/ws`, speaking CONTRACT.md's messages.
///
/// It authenticates (`?token=` or a first `{"type":"auth"}` message), answers `ready`, then
/// reads the client's messages (subscribe, unsubscribe, presence, ping, command) in the
/// connection's own task. The hub's frames do not go through this task: a ``SocketWire`` in
/// the channel's pipeline writes them on the event loop, and a short-lived task writes a
/// subscription's replayed history first. Subscribing with `since` replaces the current
/// subscription, so the hub replays exactly what was missed; without it topics are added.
struct WebSocketSession {
    let shop: Shop
    let hub: Hub
    let heartbeat: Heartbeat
    /// Runs bot command lines (`"args"` in a command message); see ``CommandBridge``.
    let commandLine: (any CommandLineRunner)?

    /// The largest message a client may send (a command or a subscription, never a file).
    static let maxMessageSize = 64 << 10

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

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any NIOCore.Channel, queryToken: String?) async throws {
        var messages = inbound.messages(maxSize: Self.maxMessageSize).makeAsyncIterator()
        guard let (userId, role) = try await authenticate(queryToken, &messages, outbound) else { return }
        let connectionId = UUID().uuidString
        // The wire closes through hummingbird-websocket's handshake (its writer is not on the event loop).
        let wire = try await SocketWire.install(on: channel) { code, reason in
            Task { try? await outbound.close(code, reason: reason) }
        }
        heartbeat.watch(wire)
        // `ready` and `pong` go through the wire: small, never worth compressing, and written
        // without the async writer's deep call chain, whose stack an idle connection would keep.
        wire.send(try Self.json(["type": "ready", "seq": hub.position, "user": ["id": EntityKind.user.format(userId), "role": role.rawValue]]))

        var current: Subscription?
        /// The task writing the newest subscription's history; one at a time, in order.
        var replay: Task<Void, Never>?
        var topics = Set<String>()
        defer {
            replay?.cancel()
            current?.unsubscribe()
            heartbeat.forget(wire)
            hub.removePresence(connectionId: connectionId)
        }
        while let message = try await messages.next() {
            guard case .text(let text) = message, let parsed = try? JSONDecoder().decode(ClientMessage.self, from: Data(text.utf8)) else {
                try await sendError(nil, "invalid_input", "each message is one JSON object with a \"type\"", outbound)
                continue
            }
            switch parsed.type {
            case "subscribe":
                topics.formUnion(parsed.topics ?? [])
                if let existing = current, parsed.since == nil {
                    existing.update(topics: topics)
                } else {
                    current?.unsubscribe()
                    let subscription = hub.subscribe(user: userId, role: role, topics: topics, since: parsed.since)
                    current = subscription
                    let previous = replay
                    previous?.cancel()
                    if previous == nil && parsed.since == nil {
                        // Nothing to replay: live frames go straight to the wire.
                        wire.deliverLive(subscription)
                    } else {
                        replay = Task {
                            // The replaced subscription's last history page is on the wire before this one's.
                            await previous?.value
                            await wire.replayThenDeliver(subscription)
                        }
                    }
                }
            case "unsubscribe":
                topics.subtract(parsed.topics ?? [])
                current?.update(topics: topics)
            case "presence":
                hub.setPresence(connectionId: connectionId, userId: userId, role: role, view: parsed.view)
            case "ping":
                wire.send(Array(#"{"type":"pong"}"#.utf8))
            case "command":
                try await runCommand(parsed, text, userId: userId, outbound)
            default:
                try await sendError(parsed.id, "invalid_input", "unknown message type \(parsed.type)", outbound)
            }
        }
    }

    /// The caller behind the query token or the first message; nil (after an error and a
    /// close) when there is none or it is not valid.
    private func authenticate(
        _ queryToken: String?, _ messages: inout WebSocketInboundMessageStream.AsyncIterator, _ outbound: WebSocketOutboundWriter
    ) async throws -> (UInt64, Role)? {
        var token = queryToken
        if token == nil, case .text(let text)? = try await messages.next(),
           let first = try? JSONDecoder().decode(ClientMessage.self, from: Data(text.utf8)), first.type == "auth" {
            token = first.token
        }
        do {
            guard let token else { throw ShopError(.notAuthenticated, "send ?token= or {\"type\":\"auth\",\"token\":…} first") }
            let user = try await shop.authenticate(token)
            let role = try shop.me(as: .user(user.userId, via: .ws)).role
            return (user.userId, role)
        } catch let error as ShopError {
            try await sendError(nil, error.code.rawValue, error.message, outbound)
            try await outbound.close(.policyViolation, reason: error.code.rawValue)
            return nil
        }
    }

    /// Runs a `command` message through the bridge and answers `result` or `error` with its id.
    private func runCommand(_ message: ClientMessage, _ text: String, userId: UInt64, _ outbound: WebSocketOutboundWriter) async throws {
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        let params = try JSONSerialization.data(withJSONObject: object?["params"] as? [String: Any] ?? [:])
        do {
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
            try await outbound.write(.text(String(decoding: reply, as: UTF8.self)))
        } catch let error as ShopError {
            try await sendError(message.id, error.code.rawValue, error.message, outbound)
        } catch let error as APIError {
            try await sendError(message.id, error.code, error.message, outbound)
        } catch is DecodingError {
            try await sendError(message.id, "invalid_input", "params do not match the command \(message.command ?? "")", outbound)
        }
    }

    private func sendError(_ id: String?, _ code: String, _ message: String, _ outbound: WebSocketOutboundWriter) async throws {
        var body: [String: any Sendable] = ["type": "error", "code": code, "message": message]
        if let id { body["id"] = id }
        try await send(body, outbound)
    }

    private func send(_ body: [String: any Sendable], _ outbound: WebSocketOutboundWriter) async throws {
        try await outbound.write(.text(String(decoding: try Self.json(body), as: UTF8.self)))
    }

    private static func json(_ body: [String: any Sendable]) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
    }
}
