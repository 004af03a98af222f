import Foundation
import Hummingbird
import Realtime
import Replication
import Shop
import Store
import Synchronization

/// The server's own counters, rendered in Prometheus's text format at `/metrics`.
///
/// Kept in-house rather than through swift-metrics: a handful of counters and one
/// histogram family, read by one endpoint, do not need a backend.
final class ServerMetrics: Sendable {
    /// Upper bounds of the latency buckets, in seconds.
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    private struct RouteKey: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    private struct Latency {
        var counts: [Int] = Array(repeating: 0, count: ServerMetrics.buckets.count)
        var count = 0
        var sum = 0.0
    }

    private struct State {
        var requests: [RouteKey: Int] = [:]
        var latency: [String: Latency] = [:]
    }

    private let state = Mutex(State())
    private let webSocketsOpen = Atomic<Int>(0)
    private let webSocketsTotal = Atomic<Int>(0)
    /// Connections closed by each of ``RequestReadLimits``' limits, in `Reason.allCases` order.
    private let connectionsCut = Mutex([Int](repeating: 0, count: RequestReadLimits.Reason.allCases.count))
    private let connections: OpenConnections?

    init(connections: OpenConnections? = nil) {
        self.connections = connections
    }

    func connectionCut(_ reason: RequestReadLimits.Reason) {
        let index = RequestReadLimits.Reason.allCases.firstIndex(of: reason)!
        connectionsCut.withLock { $0[index] += 1 }
    }

    func record(method: String, route: String, status: Int, seconds: Double) {
        state.withLock { s in
            s.requests[RouteKey(method: method, route: route, status: status), default: 0] += 1
            var latency = s.latency[route] ?? Latency()
            for (i, bound) in Self.buckets.enumerated() where seconds <= bound { latency.counts[i] += 1 }
            latency.count += 1
            latency.sum += seconds
            s.latency[route] = latency
        }
    }

    func webSocketOpened() {
        webSocketsOpen.add(1, ordering: .relaxed)
        webSocketsTotal.add(1, ordering: .relaxed)
    }

    func webSocketClosed() { webSocketsOpen.subtract(1, ordering: .relaxed) }

    /// The exposition text: HTTP, WebSocket, hub and store figures.
    func render(hub: Hub, shop: Shop, replication: ReplicationStatus? = nil) async -> String {
        var lines: [String] = []
        func family(_ name: String, _ type: String, _ help: String) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
        }
        /// A family with one unlabelled sample.
        func single(_ name: String, _ type: String, _ help: String, _ value: some CustomStringConvertible) {
            family(name, type, help)
            lines.append("\(name) \(value)")
        }
        let snapshot = state.withLock { $0 }
        family("tenda_http_requests_total", "counter", "HTTP requests by route, method and status.")
        for (key, count) in snapshot.requests.sorted(by: { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }) {
            lines.append("tenda_http_requests_total{route=\"\(key.route)\",method=\"\(key.method)\",status=\"\(key.status)\"} \(count)")
        }
        family("tenda_http_request_duration_seconds", "histogram", "HTTP request latency by route.")
        for (route, latency) in snapshot.latency.sorted(by: { $0.key < $1.key }) {
            for (i, bound) in Self.buckets.enumerated() {
                lines.append("tenda_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"\(bound)\"} \(latency.counts[i])")
            }
            lines.append("tenda_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"+Inf\"} \(latency.count)")
            lines.append("tenda_http_request_duration_seconds_sum{route=\"\(route)\"} \(latency.sum)")
            lines.append("tenda_http_request_duration_seconds_count{route=\"\(route)\"} \(latency.count)")
        }
        if let connections {
            single("tenda_http_connections", "gauge", "Open connections, HTTP and WebSocket.", connections.count)
            single("tenda_http_connections_limit", "gauge", "The most open connections (--max-connections).", connections.limit)
            family("tenda_http_connections_closed_by_limit_total", "counter",
                   "Connections closed by a limit: no head in time, a head too large or not HTTP, a body too slow, closed to make room, or refused with every connection busy.")
            let cut = connectionsCut.withLock { $0 }
            for (reason, count) in zip(RequestReadLimits.Reason.allCases, cut) {
                lines.append("tenda_http_connections_closed_by_limit_total{reason=\"\(reason.rawValue)\"} \(count)")
            }
            lines.append("tenda_http_connections_closed_by_limit_total{reason=\"evicted\"} \(connections.evictedCount)")
            lines.append("tenda_http_connections_closed_by_limit_total{reason=\"refused\"} \(connections.refusedCount)")
        }
        single("tenda_websocket_connections", "gauge", "Open WebSocket connections.", webSocketsOpen.load(ordering: .relaxed))
        single("tenda_websocket_connections_total", "counter", "WebSocket connections accepted.", webSocketsTotal.load(ordering: .relaxed))
        let hubFigures = hub.statistics
        single("tenda_hub_subscribers", "gauge", "Live subscriptions (WebSocket and SSE).", hub.subscriberCount)
        single("tenda_hub_frames_encoded_total", "counter", "Event frames encoded (once per event, however many receive it).", hubFigures.liveFramesEncoded)
        single("tenda_hub_frames_delivered_total", "counter", "Event frames queued for subscribers.", hubFigures.framesDelivered)
        single("tenda_hub_slow_consumers_total", "counter", "Subscribers cut off for reading too slowly (queue drops).", hubFigures.slowConsumersCut)
        single("tenda_store_feed_head", "gauge", "Sequence of the last committed change.", shop.feedHead)
        single("tenda_store_storage_full", "gauge", "1 while writes are refused for want of room (a full disk or the map's ceiling), else 0.",
               shop.storage.isFull ? 1 : 0)
        if let stats = try? await shop.storeStatistics() {
            single("tenda_store_map_used_bytes", "gauge", "Bytes of the LMDB map in use.", stats.mapUsed)
            single("tenda_store_map_size_bytes", "gauge", "Size of the LMDB map.", stats.mapSize)
            single("tenda_store_readers_in_use", "gauge", "LMDB reader slots held by live transactions.", stats.readersInUse)
            family("tenda_store_records", "gauge", "Records per collection.")
            for collection in stats.collections { lines.append("tenda_store_records{collection=\"\(collection.name)\"} \(collection.records)") }
        }
        if let replication {
            let report = replication.report
            single("tenda_replication_position", "gauge",
                   "A primary: the last feed sequence stored in the NATS stream; a replica: the last applied.", report.position)
            single("tenda_replication_lag_sequences", "gauge", "A replica: feed sequences behind the primary's head as last heard.", report.lagSequences)
            single("tenda_replication_lag_milliseconds", "gauge",
                   "A replica: how long it has been behind; a primary: how long the oldest unshipped commit has waited.", report.lagMilliseconds)
            if let delay = report.lastApplyDelayMilliseconds {
                single("tenda_replication_apply_delay_milliseconds", "gauge", "A replica: from commit on the primary to applied here, last batch.", delay)
            }
            single("tenda_replication_nats_connected", "gauge", "1 while the NATS client is connected.", report.nats == "connected" ? 1 : 0)
            if let reachable = report.primaryReachable {
                single("tenda_replication_primary_reachable", "gauge", "A replica: 1 while the primary answers.", reachable ? 1 : 0)
            }
            single("tenda_replication_stopped", "gauge", "1 when following or shipping stopped and needs a restart.", report.stopped == nil ? 0 : 1)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Times every request and counts it by its route pattern (not its path, so ids do not
/// make a series each).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, Int(response.status.code), start)
            return response
        } catch let error as HTTPResponseError {
            record(request, context, Int(error.status.code), start)
            throw error
        } catch {
            record(request, context, 500, start)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, _ status: Int, _ start: ContinuousClock.Instant) {
        metrics.record(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: status,
                       seconds: (ContinuousClock.now - start).seconds)
    }
}

extension Duration {
    /// The duration in seconds, fractions included.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
