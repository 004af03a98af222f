import Crypto
import Foundation
import Store

/// The shop: its collections over one store, the command executor, and the queries.
///
/// Adapters (REST, WebSocket, bot, CLI) call ``execute(_:as:idempotencyKey:at:)`` with a
/// command and a principal, and the query methods with a principal; nothing else writes.
/// The store itself stays inside: what callers may ask of it (the feed, room for writes,
/// backup, closing) is in `Shop+Store.swift`.
public final class Shop: Sendable {
    let environment: Environment
    public let settings: ShopSettings
    let collections: ShopCollections
    let tokens: TokenSigner
    /// Last uses of sessions between refreshes, kept in memory (see ``SessionActivity``).
    public let sessionActivity = SessionActivity()

    private init(environment: Environment, settings: ShopSettings, collections: ShopCollections, tokens: TokenSigner) {
        self.environment = environment
        self.settings = settings
        self.collections = collections
        self.tokens = tokens
    }

    /// Opens the shop's collections (creating them on first use) over `environment`.
    public static func open(_ environment: Environment, settings: ShopSettings) async throws -> Shop {
        let shop = Shop(environment: environment, settings: settings,
                        collections: try await ShopCollections.open(environment),
                        tokens: try await TokenSigner(secret: settings.tokenSecret))
        // On a follower, the primary's erasure of a person (their user record put as erased)
        // rewrites this copy's retained feed too: the primary's rewrite of its own feed is not
        // itself a change record, and older records here still name them.
        environment.onReplicatedChange(of: "users") { txn, change, replaced in
            guard let replaced, let value = change.value else { return }
            let before = try User(binary: replaced), after = try User(binary: value)
            guard after.isErased, !before.isErased else { return }
            let traces = PersonalTraces(before)
            _ = try txn.rewriteRetainedChanges { try traces.rewrite($0) }
        }
        return shop
    }

    /// Runs a command for `principal` in one store write and returns its result.
    ///
    /// The input is validated first; then, inside the write, the principal's current role
    /// is checked, the command runs, and an audit entry is written with it. A refused or
    /// failed command writes nothing but its audit entry. With an `idempotencyKey`, the
    /// first result is kept and a repeat with the same input replays it, writing nothing;
    /// the same key with other input is refused. `at` replaces the clock (imports only).
    @discardableResult
    public func execute<C: ShopCommand>(_ command: C, as principal: Principal, idempotencyKey: String? = nil, at: Date? = nil) async throws -> C.Result {
        try await run(command, as: principal, idempotencyKey: idempotencyKey, at: at).value
    }

    /// ``execute(_:as:idempotencyKey:at:)``, answering what the command stored: its result with
    /// the stored version of the record it answers and the feed sequence of its commit (a
    /// replay answers the first run's).
    public func run<C: ShopCommand>(_ command: C, as principal: Principal, idempotencyKey: String? = nil, at: Date? = nil) async throws -> Committed<C.Result> {
        // Whole microseconds, the store's unit, so a returned record equals the stored one.
        let now = Date(microsecondsSince1970: (at ?? Date()).microsecondsSince1970)
        // Made here, on the caller's thread: the writer thread runs every command in turn.
        let summary = command.summary
        do {
            try command.validate()
            let collections = self.collections
            let settings = self.settings
            return try await environment.write(metadata: Self.metadata(C.name, principal)) { txn in
                let context = try CommandContext(txn: txn, shop: collections, settings: settings, principal: principal, now: now)
                try context.authorize(C.access)
                let replayKey = idempotencyKey.map { "\(Self.actorKey(principal)):\($0)" }
                let digest = replayKey == nil ? "" : Self.digest(command)
                if let replayKey, let first = try collections.idempotency.get(txn, replayKey) {
                    guard first.command == C.name, first.inputDigest == digest else {
                        throw ShopError(.idempotencyKeyReused, "this idempotency key was used for other input", field: "Idempotency-Key")
                    }
                    return Committed(value: try C.Result(binary: first.result), version: first.version, sequence: first.sequence)
                }
                let result = try command.execute(context)
                let version = try (result as? any ShopRecord).flatMap { try context.version(of: $0) }
                try context.audit(command: C.name, summary: summary, outcome: "ok")
                let committed = Committed(value: result, version: version, sequence: txn.lastSequence)
                if let replayKey {
                    try collections.idempotency.put(txn, replayKey, IdempotencyRecord(
                        command: C.name, inputDigest: digest, result: result.binaryEncoded(), at: now,
                        version: committed.version, sequence: committed.sequence))
                }
                return committed
            }
        } catch {
            let refusal = (error as? ShopError) ?? (error as? StoreError).map(ShopError.init) ?? ShopError(.storeFailure, "\(error)")
            await auditRefusal(C.name, summary: summary, code: refusal.code, principal: principal, at: now)
            throw refusal
        }
    }

    /// Records a refused command in the audit trail, in a write of its own (the command's
    /// write was rolled back). Refusals of anonymous callers are not recorded, so anonymous
    /// noise cannot fill the trail; a store failure or a full store has nothing to write with.
    private func auditRefusal(_ name: String, summary: String, code: ShopError.Code, principal: Principal, at now: Date) async {
        guard principal.identity != .anonymous, code != .storeFailure, code != .storageFull else { return }
        let collections = self.collections
        let settings = self.settings
        _ = try? await environment.write(metadata: Self.metadata(name, principal)) { txn in
            // The actor may be blocked or unknown, so the entry is written with the system's
            // rights but under the caller's id and door.
            var recorder = Principal.system(principal.channel)
            recorder.clientAddress = principal.clientAddress
            recorder.userAgent = principal.userAgent
            let context = try CommandContext(txn: txn, shop: collections, settings: settings, principal: recorder, now: now)
            try context.audit(command: name, summary: summary, outcome: code.rawValue, actorId: principal.userId)
        }
    }

    static func metadata(_ command: String, _ principal: Principal) -> [String: String] {
        ["command": command, "actor": actorKey(principal), "channel": principal.channel.rawValue]
    }

    static func actorKey(_ principal: Principal) -> String {
        switch principal.identity {
        case .user(let id): EntityKind.user.format(id)
        case .system: "system"
        case .anonymous: "anonymous"
        }
    }

    /// A stable digest of a command's whole input (its reflection lists every field).
    static func digest<C: ShopCommand>(_ command: C) -> String {
        Secrets.hex(SHA256.hash(data: Data(String(reflecting: command).utf8)))
    }
}
