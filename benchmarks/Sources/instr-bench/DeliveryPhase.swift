import BenchSupport
import Realtime
import Shop
import Synchronization

/// One change event fanned out by the hub to `subscribers` in-process subscribers.
///
/// Each subscriber is what a WebSocket connection holds once its history is replayed: a
/// subscription on `inventory` (role `user`) with a ``FrameSink`` the hub wakes once per
/// commit. The sink here takes the queued frames at once on the hub's thread and counts
/// them, where a socket would schedule the taking on its event loop and write the bytes: the
/// figure is the hub's share of a delivery, not the socket write.
///
/// The event is a restock: one commit whose `inventory_update` everyone may see (its audit
/// entry goes to owners only, so these subscribers skip it). The phase holds the commit,
/// the hub's mapping and encoding (once), the fan-out and the 1,000 takes; per delivery is
/// that total ÷ subscribers.
struct DeliveryPhase {
    let workload: Workload
    let subscribers: Int

    func run() async throws -> PhaseResult {
        progress("deliveries: \(subscribers.grouped) subscribers, one restock to warm up, one measured")
        let hub = workload.app.hub
        let arrivals = Arrivals()
        var subscriptions: [Subscription] = []
        for n in 0..<subscribers {
            let subscription = hub.subscribe(user: workload.buyers[n % workload.buyers.count], role: .user, topics: ["inventory"])
            subscription.deliver(to: CountingSink(subscription: subscription, arrivals: arrivals))
            subscriptions.append(subscription)
        }
        // The first delivery to each subscriber makes its queue: warm-up.
        try await restock(arrivals, until: subscribers)
        try await workload.hubSettled()
        let seconds = try await Callgrind.measure("deliveries") {
            try await restock(arrivals, until: 2 * subscribers)
        }
        for subscription in subscriptions { subscription.unsubscribe() }
        return PhaseResult(name: "deliveries", unit: "delivery", operations: subscribers, seconds: seconds)
    }

    /// Restocks the first product by one and waits until `total` frames have arrived in all.
    private func restock(_ arrivals: Arrivals, until total: Int) async throws {
        try await workload.app.shop.execute(Restock(productId: workload.products[0], quantity: 1), as: workload.seller)
        await arrivals.wait(for: total)
    }
}

/// A subscriber's sink that takes its frames as soon as the hub says they are queued.
final class CountingSink: FrameSink {
    let subscription: Subscription
    let arrivals: Arrivals

    init(subscription: Subscription, arrivals: Arrivals) {
        self.subscription = subscription
        self.arrivals = arrivals
    }

    func framesReady() {
        let (frames, _) = subscription.takeQueued()
        arrivals.add(frames.count)
    }
}

/// Frames taken by all the sinks together, and one waiter for a total.
///
/// The sinks' check is one comparison whether or not the waiter has come yet, so the count
/// does not depend on which thread got there first.
final class Arrivals: Sendable {
    private struct State {
        var count = 0
        /// The total the waiter waits for; `Int.max` while nobody waits.
        var awaited = Int.max
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func add(_ frames: Int) {
        let reached = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.count += frames
            guard s.count >= s.awaited else { return nil }
            s.awaited = Int.max
            defer { s.waiter = nil }
            return s.waiter
        }
        reached?.resume()
    }

    /// Returns once `total` frames have arrived (at once if they have).
    func wait(for total: Int) async {
        await withCheckedContinuation { continuation in
            let reached = state.withLock { s -> Bool in
                guard s.count < total else { return true }
                s.awaited = total
                s.waiter = continuation
                return false
            }
            if reached { continuation.resume() }
        }
    }
}
