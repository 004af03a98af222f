import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization
import Testing

/// A primary and its replicas as real `tenda serve` processes on loopback ports, beside real
/// `nats-server`s: what ReplicaNodesTests drives.
final class ReplicaNodes: @unchecked Sendable {
    /// One `tenda serve` of the set: its folder and port stay when it is stopped and started again.
    final class Node: @unchecked Sendable {
        let name: String
        let dataDir: String
        let port: Int
        let arguments: [String]
        var process: ServerProcess?

        init(name: String, dataDir: String, port: Int, arguments: [String]) {
            self.name = name
            self.dataDir = dataDir
            self.port = port
            self.arguments = arguments
        }

        var base: String { "http://127.0.0.1:\(port)" }

        func start() async throws {
            // The tests poll /health every 20 ms from one address: lift the per-address limit.
            process = try await ServerProcess.start(["serve", "--data-dir", dataDir, "--port", String(port),
                                                     "--address-rate-limit", "10000", "--user-rate-limit", "10000"] + arguments)
        }

        func stop() async {
            await process?.stop()
            process = nil
        }

        /// SIGKILL: the node dies at once, as in a crash.
        func kill9() async {
            guard let process else { return }
            kill(process.process.processIdentifier, SIGKILL)
            while process.process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
            self.process = nil
        }
    }

    let folder: String
    let natsServers: [NATSServerProcess]
    let key = String(repeating: "replication-key-", count: 3)
    let primary: Node
    var replicas: [Node] = []
    /// The demo owner's access token, from the primary.
    var token = ""

    /// Starts NATS (one server, or a cluster of three), the primary on the demo shop, and `replicaCount` replicas.
    init(replicaCount: Int = 2, cluster: Bool = false) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-replicas-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        natsServers = cluster ? try NATSCluster().servers : [try NATSServerProcess()]
        let nats = ["--nats", natsServers.map(\.url).joined(separator: ","), "--replication-key", key]
        let streamReplicas = cluster ? ["--nats-replicas", "3"] : []
        primary = Node(name: "primary", dataDir: folder + "/primary", port: try ShutdownTests.freePort(),
                       arguments: ["--demo", "--demo-file", ShopCommandLineTests.demoShop] + nats + streamReplicas)
        try await primary.start()
        let output = primary.process?.output ?? ""
        let code = try #require(output.firstMatch(of: /code=([A-Za-z0-9_-]+)/)?.1, "\(output)")
        let signIn = try await request("POST", primary, "/api/auth/code", body: #"{"code":"\#(code)"}"#, token: nil)
        token = try #require(signIn.json["accessToken"] as? String, "\(signIn.text)")
        for n in 0..<replicaCount {
            let replica = Node(name: "replica-\(n)", dataDir: folder + "/replica-\(n)", port: try ShutdownTests.freePort(),
                               arguments: ["--replica-of", primary.base] + nats)
            try await replica.start()
            replicas.append(replica)
        }
    }

    func stop() async {
        for node in replicas + [primary] { await node.stop() }
        for server in natsServers { server.stop() }
        try? FileManager.default.removeItem(atPath: folder)
    }

    // MARK: HTTP

    struct Answer {
        let status: Int
        let headers: [String: String]
        let text: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    }

    func request(_ method: String, _ node: Node, _ path: String, body: String? = nil, token: String? = "") async throws -> Answer {
        var request = HTTPClientRequest(url: node.base + path)
        request.method = .init(rawValue: method)
        if let token = token == "" ? self.token : token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return Answer(status: Int(response.status.code), headers: headers, text: String(buffer: bytes))
    }

    func health(_ node: Node) async throws -> Answer { try await request("GET", node, "/health", token: nil) }

    func feedHead(_ node: Node) async throws -> UInt64 {
        let answer = try await health(node)
        guard let head = answer.json["feedHead"] as? Int else { throw ReplicaNodesError("\(node.name)'s /health: \(answer.status) \(answer.text)") }
        return UInt64(head)
    }

    /// Four of the demo's products, stocked once with plenty to sell, and a buyer to sell to.
    func catalogue() async throws -> (products: [String], buyer: String) {
        if let known = stocked { return known }
        let listed = try await request("GET", primary, "/api/products?limit=20").json["items"] as? [[String: Any]] ?? []
        let products = Array(listed.compactMap { $0["id"] as? String }.prefix(4))
        for product in products {
            let restock = try await request("POST", primary, "/api/products/\(product)/stock", body: #"{"delta":100000,"reason":"restock"}"#)
            #expect(restock.status < 300, "\(restock.text)")
        }
        let users = try await request("GET", primary, "/api/users?limit=20").json["items"] as? [[String: Any]] ?? []
        let buyer = try #require(users.first { ($0["role"] as? String) == "user" }?["id"] as? String)
        stocked = (products, buyer)
        return (products, buyer)
    }
    private var stocked: (products: [String], buyer: String)?

    /// A purchase of one unit; its answer (201, with the commit's `Feed-Sequence`).
    func buy(on node: Node, _ product: String, for buyer: String) async throws -> Answer {
        try await request("POST", node, "/api/purchases", body: #"{"buyerId":"\#(buyer)","items":[{"productId":"\#(product)","quantity":1}]}"#)
    }

    /// Waits until `node`'s feed head reaches the primary's (or `head`).
    func waitUntilCaughtUp(_ node: Node, to head: UInt64? = nil, seconds: Double = 60) async throws {
        let target: UInt64
        if let head { target = head } else { target = try await feedHead(primary) }
        try await poll("\(node.name) to reach feed sequence \(target)", seconds: seconds) {
            ((try? await self.feedHead(node)) ?? 0) >= target
        }
    }

    /// `tenda db digest` of a stopped node's folder.
    func digest(_ node: Node) throws -> String {
        let run = try DatabaseCommandTests().tenda("db", "digest", "--data-dir", node.dataDir)
        #expect(run.status == 0, "\(run.output)")
        return run.output
    }
}

/// A WebSocket subscriber of the `sales` topic on one node: the sequences of the `new_sale`
/// events it received, in order.
final class SaleSubscriber: Sendable {
    /// What the socket received, shared with the task reading it.
    final class Received: Sendable {
        let state = Mutex<(sequences: [UInt64], ready: Bool, resyncs: [String])>(([], false, []))
    }
    private let received = Received()
    private let task: Task<Void, any Error>

    var sequences: [UInt64] { received.state.withLock { $0.sequences } }
    var resyncs: [String] { received.state.withLock { $0.resyncs } }

    /// Connects to `node` and subscribes from `since`; returns once the server said `ready`.
    init(_ nodes: ReplicaNodes, _ node: ReplicaNodes.Node, since: UInt64, epoch: String? = nil) async throws {
        let state = received
        let url = "ws://127.0.0.1:\(node.port)/ws?token=\(nodes.token)"
        let subscribe = #"{"type":"subscribe","topics":["sales"],"since":\#(since)\#(epoch.map { #","epoch":"\#($0)""# } ?? "")}"#
        task = Task {
            try await WebSocketClient.connect(url: url, logger: Logger(label: "replica-nodes-test")) { inbound, outbound, _ in
                try await outbound.write(.text(subscribe))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message,
                          let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { continue }
                    switch json["type"] as? String {
                    case "ready": state.state.withLock { $0.ready = true }
                    case "resync": state.state.withLock { $0.resyncs.append(text) }
                    case "event" where json["event"] as? String == "new_sale":
                        if let seq = json["seq"] as? Int { state.state.withLock { $0.sequences.append(UInt64(seq)) } }
                    default: break
                    }
                }
            }
        }
        try await poll("the subscriber on \(node.name) to be ready") { state.state.withLock { $0.ready } }
    }

    func close() async {
        task.cancel()
        _ = await task.result
    }
}

/// A WebSocket client watching one live query on one node, folding its snapshot and diffs as
/// CONTRACT.md says a client does: the records it holds (id → version) and the last `seq`.
final class QueryWatcher: Sendable {
    /// What the socket folded, shared with the task reading it.
    final class Folded: Sendable {
        let state = Mutex<(records: [String: Int], seq: UInt64, snapshots: Int)>(([:], 0, 0))
    }
    private let folded = Folded()
    private let task: Task<Void, any Error>

    var records: [String: Int] { folded.state.withLock { $0.records } }
    var seq: UInt64 { folded.state.withLock { $0.seq } }

    /// Connects to `node`, sends `watch` (a `watch` message with id "q"); returns once the snapshot came.
    init(_ nodes: ReplicaNodes, _ node: ReplicaNodes.Node, watch: String) async throws {
        let folded = folded
        let url = "ws://127.0.0.1:\(node.port)/ws?token=\(nodes.token)"
        task = Task {
            try await WebSocketClient.connect(url: url, logger: Logger(label: "replica-nodes-test")) { inbound, outbound, _ in
                try await outbound.write(.text(watch))
                for try await message in inbound.messages(maxSize: 1 << 24) {
                    guard case .text(let text) = message,
                          let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { continue }
                    func fold(_ key: String, into records: inout [String: Int]) {
                        for record in json[key] as? [[String: Any]] ?? [] {
                            if let id = record["id"] as? String { records[id] = record["version"] as? Int ?? 0 }
                        }
                    }
                    folded.state.withLock { s in
                        switch json["type"] as? String {
                        case "query_snapshot":
                            s.records = [:]
                            s.snapshots += 1
                            fold("records", into: &s.records)
                        case "query_diff":
                            for id in json["leave"] as? [String] ?? [] { s.records[id] = nil }
                            fold("enter", into: &s.records)
                            fold("update", into: &s.records)
                        default: return
                        }
                        if let seq = json["seq"] as? Int { s.seq = UInt64(seq) }
                    }
                }
            }
        }
        try await poll("the watch on \(node.name) to get its snapshot") { folded.state.withLock { $0.snapshots > 0 } }
    }

    func close() async {
        task.cancel()
        _ = await task.result
    }
}

struct ReplicaNodesError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
