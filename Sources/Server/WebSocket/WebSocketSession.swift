import Foundation
import NIOWebSocket
import Realtime
import Shop

/// What one `/ws` connection means to the shop, speaking CONTRACT.md's messages.
///
/// It authenticates (`?token=` or a first `{"type":"auth"}` message), answers `ready`, then
/// handles the client's messages (subscribe, unsubscribe, presence, ping, command, and `auth`
/// again with a refreshed token). The session follows its caller (README, "Live sessions"):
/// the hub re-filters its subscription when the role changes and ends it when the session
/// ends or the user is blocked; the socket is warned before its token expires and closed at
/// expiry unless re-authenticated. Its
/// ``WebSocketConnection`` hands it one message at a time, in order, from a task that runs
/// only while messages wait; the hub's frames do not pass through here. Subscribing with
/// `since` replaces the current subscription, so the hub replays exactly what was missed;
/// without it topics are added. A `since` goes with the client's `epoch` (the `ready` frame's):
/// one of another epoch, like one beyond the head, is answered with `resync` rather than replayed.
/// `?since=N&epoch=E` on the socket's address stand for the first `subscribe` that names neither.
///
/// Thread-safety: its state is touched only by the connection's message task, which handles
/// one message at a time.
final class WebSocketSession: @unchecked Sendable {
    /// What every session of a server shares, held once rather than in each idle socket.
    final class Services: Sendable {
        let shop: Shop
        let hub: Hub
        /// Runs command messages: here, or on the primary when this node is a replica.
        let bridge: CommandBridge

        init(shop: Shop, hub: Hub, bridge: CommandBridge) {
            self.shop = shop
            self.hub = hub
            self.bridge = bridge
        }
    }

    private let services: Services
    var shop: Shop { services.shop }
    var hub: Hub { services.hub }
    var bridge: CommandBridge { services.bridge }
    /// The address's `?token=` (until the sign-in uses it) and `since` and `epoch` (until the
    /// first `subscribe` does), in one box that goes once both are used: an idle socket keeps
    /// neither a copy of its token nor the room for them.
    private final class AddressParameters {
        var token: String?
        var resume: Resume?

        init(token: String?, resume: Resume?) {
            self.token = token
            self.resume = resume
        }
    }
    private var address: AddressParameters?
    private var queryToken: String? {
        get { address?.token }
        set { address?.token = newValue; dropUsedAddress() }
    }
    private var queryResume: Resume? {
        get { address?.resume }
        set { address?.resume = newValue; dropUsedAddress() }
    }
    /// The key of this connection's presence: kept as 16 bytes, made text only when presence is
    /// set or cleared (an idle socket's 36-character string was 80 bytes of heap).
    private let connectionId: UUID
    /// The upgrade request's client address (through trusted proxies) and `User-Agent`, for the audit trail.
    private let clientAddress: String?
    private let userAgent: String?

    /// Who the socket acts for once signed in, and until when its token holds.
    private struct Caller {
        let userId: UInt64
        var sessionId: UInt64
        var expiresAt: Date
    }

    private var caller: Caller?
    /// The connection's subscription from sign-in on, with no topics until the client asks:
    /// through it the hub tells the socket of a role change or a session's end even before
    /// anything is subscribed (``Hub``'s access changes).
    private var current: Subscription?
    /// The task writing the newest subscription's history; one at a time, in order.
    private var replay: Task<Void, Never>?
    /// Counts sign-ins and re-authentications: a token timer of an earlier token is ignored.
    private var tokenGeneration = 0

    private func dropUsedAddress() {
        if let address, address.token == nil, address.resume == nil { self.address = nil }
    }

    /// Where a client resumes from: the last feed sequence it has, in the store epoch it had.
    struct Resume: Sendable {
        var since: UInt64?
        var epoch: String?
    }

    /// A session whose commands run here (a single box, a primary).
    convenience init(shop: Shop, hub: Hub, commandLine: (any CommandLineRunner)?, queryToken: String?, queryResume: Resume? = nil, connectionId: UUID = UUID(),
                     clientAddress: String? = nil, userAgent: String? = nil) {
        self.init(services: Services(shop: shop, hub: hub, bridge: CommandBridge(shop: shop, commandLine: commandLine)), queryToken: queryToken,
                  queryResume: queryResume, connectionId: connectionId, clientAddress: clientAddress, userAgent: userAgent)
    }

    init(services: Services, queryToken: String?, queryResume: Resume? = nil, connectionId: UUID = UUID(),
         clientAddress: String? = nil, userAgent: String? = nil) {
        self.services = services
        let resume = queryResume?.since == nil && queryResume?.epoch == nil ? nil : queryResume
        address = queryToken == nil && resume == nil ? nil : AddressParameters(token: queryToken, resume: resume)
        self.connectionId = connectionId
        self.clientAddress = clientAddress
        self.userAgent = userAgent.map { String($0.prefix(ClientAddressMiddleware.userAgentLimit)) }
    }

    /// The signed-in caller as the shop sees them through this socket.
    private func principal(_ userId: UInt64) -> Principal {
        .user(userId, via: .ws, clientAddress: clientAddress, userAgent: userAgent)
    }

    private struct ClientMessage: Decodable {
        let type: String
        let token: String?
        let topics: [String]?
        let since: UInt64?
        /// The store epoch the client's `since` belongs to.
        let epoch: String?
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
            if let token = queryToken {
                queryToken = nil
                await signIn(token, connection)
            }
        case .text(let text):
            let parsed = try? JSONDecoder().decode(ClientMessage.self, from: Data(text.utf8))
            guard let caller else {
                let token = parsed?.type == "auth" ? parsed?.token : nil
                return await signIn(token, connection)
            }
            guard let parsed else { return sendError(nil, "invalid_input", "each message is one JSON object with a \"type\"", connection) }
            await handle(parsed, text, caller: caller, connection)
        case .binary:
            sendError(nil, "invalid_input", "each message is one JSON object with a \"type\"", connection)
        case .tokenExpiring(let generation):
            guard generation == tokenGeneration, let caller else { return }
            connection.send(Self.json(["type": "auth_expiring", "expiresAt": RFC3339.string(from: caller.expiresAt)]))
        case .tokenExpired(let generation):
            guard generation == tokenGeneration else { return }
            end(.tokenExpired, connection)
        case .closed:
            replay?.cancel()
            current?.unsubscribe()
            current = nil
            hub.removePresence(connectionId: connectionId.uuidString)
        }
    }

    /// Signs the caller in and answers `ready`; a missing or bad token gets the error and a 1008 close.
    private func signIn(_ token: String?, _ connection: WebSocketConnection) async {
        // Typed: with an untyped `do`, Swift 6.3.1's release build crashes splitting this coroutine (signal 11).
        do throws(ShopError) {
            guard let token else { throw ShopError(.notAuthenticated, "send ?token= or {\"type\":\"auth\",\"token\":…} first") }
            let user = try await shop.authenticate(token)
            shop.sessionActivity.touch(user.sessionId)
            caller = Caller(userId: user.userId, sessionId: user.sessionId, expiresAt: user.expiresAt)
            let subscription = hub.subscribe(user: user.userId, session: user.sessionId, role: user.role, accessAsOf: user.asOf, topics: [])
            current = subscription
            connection.markSignedIn()
            connection.send(Self.json(["type": "ready", "seq": subscription.livePosition, "epoch": hub.epoch,
                                       "expiresAt": RFC3339.string(from: user.expiresAt),
                                       "user": ["id": EntityKind.user.format(user.userId), "role": subscription.role.rawValue]]))
            // After `ready`: a role change or the session's end reaches the socket from now on.
            connection.deliverLive(subscription)
            scheduleTokenTimers(until: user.expiresAt, connection)
        } catch {
            refuse(error, id: nil, connection)
        }
    }

    /// `{"type":"auth","token":…}` on a signed-in socket: the caller's refreshed token takes
    /// over, with its new session and expiry, and nothing else changes (no reconnect, no replay).
    /// A bad, expired or other user's token is refused and the socket closed; the old token's
    /// session is left as it was.
    private func reauthenticate(_ message: ClientMessage, caller: Caller, _ connection: WebSocketConnection) async {
        do {
            guard let token = message.token else { throw ShopError(.invalidInput, "auth needs a token", field: "token") }
            let user = try await shop.authenticate(token)
            guard user.userId == caller.userId else {
                throw ShopError(.forbidden, "the token is another user's: a socket keeps the user it signed in as")
            }
            self.caller = Caller(userId: user.userId, sessionId: user.sessionId, expiresAt: user.expiresAt)
            current?.update(sessionId: user.sessionId)
            var reply: [String: any Sendable] = ["type": "auth_ok", "expiresAt": RFC3339.string(from: user.expiresAt),
                                                 "user": ["id": EntityKind.user.format(user.userId), "role": user.role.rawValue]]
            if let id = message.id { reply["id"] = id }
            connection.send(Self.json(reply))
            scheduleTokenTimers(until: user.expiresAt, connection)
        } catch {
            refuse(error, id: message.id, connection)
        }
    }

    /// A failed sign-in or re-authentication: the error, then a 1008 close.
    private func refuse(_ error: any Error, id: String?, _ connection: WebSocketConnection) {
        let error = error as? ShopError ?? ShopError(.notAuthenticated, "the token could not be checked")
        tokenGeneration += 1
        current?.unsubscribe()
        sendError(id, error.code.rawValue, error.message, connection)
        connection.close(.policyViolation, reason: error.code.rawValue)
    }

    /// Warns the socket ahead of its token's expiry (a minute before, or halfway for a token
    /// with less than two minutes left) and ends it at expiry unless a new token came first.
    private func scheduleTokenTimers(until expiry: Date, _ connection: WebSocketConnection) {
        tokenGeneration += 1
        let remaining = expiry.timeIntervalSinceNow
        let warning = expiry.addingTimeInterval(-min(Self.expiryWarningLead, max(0, remaining / 2)))
        connection.scheduleTokenNotices(generation: tokenGeneration, warning: warning, expiry: expiry)
    }

    /// How long before its token expires a socket is told to re-authenticate.
    static let expiryWarningLead: TimeInterval = 60

    /// Ends the socket for its session's end: no more frames, a `closed` message, the close code.
    private func end(_ reason: SessionEnd, _ connection: WebSocketConnection) {
        tokenGeneration += 1
        replay?.cancel()
        current?.unsubscribe()
        connection.end(reason)
    }

    private func handle(_ message: ClientMessage, _ text: String, caller: Caller, _ connection: WebSocketConnection) async {
        switch message.type {
        case "subscribe":
            guard let existing = current else { return }
            let topics = existing.topics.union(message.topics ?? [])
            var resume = Resume(since: message.since, epoch: message.epoch)
            if let fromAddress = queryResume {
                queryResume = nil
                if resume.since == nil && resume.epoch == nil { resume = fromAddress }
            }
            // An epoch alone, without a sequence, still says which history the client holds.
            if resume.since == nil, resume.epoch == nil || resume.epoch == hub.epoch, !existing.hasEnded {
                existing.update(topics: topics)
                return
            }
            // The position first, then the role the hub keeps for this caller: an access change
            // fanned out between the two reaches the new subscription through `accessAsOf`.
            let asOf = hub.position
            let subscription = hub.subscribe(user: caller.userId, session: caller.sessionId, role: existing.role, accessAsOf: asOf,
                                             topics: topics, since: resume.since, epoch: resume.epoch)
            // Its live queries go with it, each starting again from a snapshot on the new one.
            hub.moveWatches(from: existing, to: subscription)
            existing.unsubscribe()
            current = subscription
            let previous = replay
            previous?.cancel()
            if previous == nil && resume.since == nil {
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
            guard let current else { return }
            current.update(topics: current.topics.subtracting(message.topics ?? []))
        case "watch":
            watch(text, connection)
        case "unwatch":
            guard let current, let id = message.id else { return sendError(message.id, "invalid_input", "unwatch names the watch's id", connection) }
            hub.unwatch(current, id: id)
        case "presence":
            hub.setPresence(connectionId: connectionId.uuidString, userId: caller.userId, role: current?.role ?? .user, view: message.view)
        case "ping":
            connection.send(Array(#"{"type":"pong"}"#.utf8))
        case "command":
            await runCommand(message, text, userId: caller.userId, connection)
        case "auth":
            await reauthenticate(message, caller: caller, connection)
        default:
            sendError(message.id, "invalid_input", "unknown message type \(message.type)", connection)
        }
    }

    /// `{"type":"watch","id":…,"collection":…}`: the query's frames follow on this socket
    /// (``WatchRequest``, ``Hub/watch(_:id:query:resume:)``); a refusal is an `error` with the watch's id.
    private func watch(_ text: String, _ connection: WebSocketConnection) {
        guard let current else { return }
        do {
            let request = try WatchRequest.parse(text)
            do {
                try hub.watch(current, id: request.id, query: request.query, resume: request.resume)
            } catch let error as ShopError {
                sendError(request.id, error.code.rawValue, error.message, field: error.field, connection)
            } catch {
                sendError(request.id, "store_failure", "the query could not be read", connection)
            }
        } catch {
            let id = (try? JSONDecoder().decode(ClientMessage.self, from: Data(text.utf8)))?.id.flatMap { WatchRequest.isValidId($0) ? $0 : nil }
            sendError(id, error.code.rawValue, error.message, field: error.field, connection)
        }
    }

    /// Runs a `command` message through the bridge and answers `result` or `error` with its id.
    private func runCommand(_ message: ClientMessage, _ text: String, userId: UInt64, _ connection: WebSocketConnection) async {
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        do {
            let params = try JSONSerialization.data(withJSONObject: object?["params"] as? [String: Any] ?? [:])
            let principal = self.principal(userId)
            let answer = if let args = message.args {
                try await bridge.runLine(message.command ?? "", args: args, principal: principal, languageCode: nil, idempotencyKey: message.idempotencyKey)
            } else {
                try await bridge.run(message.command ?? "", params: params, principal: principal, idempotencyKey: message.idempotencyKey)
            }
            var reply = Array(#"{"type":"result","id":"#.utf8)
            reply += try JSONSerialization.data(withJSONObject: message.id ?? NSNull(), options: [.fragmentsAllowed])
            // The commit's place in the feed: the client's own events up to it are what this command did.
            if let sequence = answer.sequence { reply += Array(#","seq":\#(sequence)"#.utf8) }
            reply += Array(#","ok":true,"data":"#.utf8) + Array(answer.data) + Array("}".utf8)
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

    private func sendError(_ id: String?, _ code: String, _ message: String, field: String? = nil, _ connection: WebSocketConnection) {
        var body: [String: any Sendable] = ["type": "error", "code": code, "message": message]
        if let id { body["id"] = id }
        if let field { body["field"] = field }
        connection.send(Self.json(body))
    }

    private static func json(_ body: [String: any Sendable]) -> [UInt8] {
        (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])).map(Array.init) ?? Array(#"{"type":"error","code":"internal"}"#.utf8)
    }
}
