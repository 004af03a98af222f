import Foundation
@testable import Realtime
import Shop
import Store
import Testing

@Suite(.timeLimit(.minutes(1)))
struct ResumeTests {
    @Test func sinceReplaysExactlyTheMissedEventsThenGoesLiveWhileWritesGoOn() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha", stock: 10_000)
            let since = live.hub.position
            let (ana, bruno) = (live.ana, live.bruno)
            let writer = Task {
                for round in 0..<60 { try await live.buy(round.isMultiple(of: 2) ? ana : bruno, coxinha) }
            }
            // Subscribe at three moments while purchases are being committed and fanned out.
            var subscriptions: [(Subscription, UInt64?, Role)] = []
            for (step, (user, role)) in [(live.admin.id, Role.admin), (ana.id, .user), (bruno.id, .user)].enumerated() {
                let target = since + UInt64(20 * (step + 1))
                let deadline = ContinuousClock.now + .seconds(5)
                while live.hub.position < target && ContinuousClock.now < deadline { await Task.yield() }
                subscriptions.append((live.hub.subscribe(user: user, role: role, topics: ["sales"], since: since), user, role))
            }
            try await writer.value
            try await live.hubCaughtUp()

            var joinedMidStream = false
            for (subscription, user, role) in subscriptions {
                let expected = try live.events(after: since).filter {
                    $0.topic == .sales && $0.audience.canSee(userId: user, role: role)
                }
                let frames = await read(subscription, count: expected.count)
                #expect(frames.map(\.sequence) == expected.map(\.sequence), "no gap and no duplicate for \(role) \(user ?? 0)")
                #expect(frames.map(\.name) == expected.map(\.name))
                #expect(subscription.resumesAfter == since)
                if subscription.livePosition > since && subscription.livePosition < live.environment.head { joinedMidStream = true }
                // And nothing beyond them.
                let extra = await read(subscription, within: 0.1, failOnTimeout: false) { !$0.isEmpty }
                #expect(extra.isEmpty)
            }
            #expect(joinedMidStream, "at least one subscription should have joined between replay and live")
        }
    }

    @Test func sinceAtTheHeadGivesOnlyLiveEvents() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            try await live.buy(live.ana, coxinha)
            try await live.hubCaughtUp()
            let subscription = live.hub.subscribe(user: live.ana.id, role: .user, topics: ["sales"], since: live.environment.head)
            let sale = try await live.buy(live.ana, coxinha)
            let frames = await read(subscription, count: 2)
            #expect(frames.map(\.name) == ["new_sale", "debt_update"])
            #expect((data(frames.first ?? Frame.resync(.unavailable, epoch: ""))["sale"] as? [String: Any])?["id"] as? String == "s\(sale.id)")
        }
    }

    @Test func sinceOlderThanTheTrimPointIsToldToResync() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            for _ in 0..<3 { try await live.buy(live.ana, coxinha) }
            try await live.environment.trimFeed(keepingLast: 4)
            let trimPoint = try live.environment.trimPoint()
            #expect(trimPoint > 1)

            let stale = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["sales"], since: 1)
            let frames = await read(stale) { _ in false }  // reads until the subscription ends
            #expect(frames.map(\.text) == [#"{"type":"resync","reason":"since_too_old","epoch":"\#(live.hub.epoch)"}"#])
            #expect(frames.first?.kind == .resync)

            // A sequence the feed never reached cannot be resumed either.
            let future = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["sales"], since: live.environment.head + 100)
            let futureFrames = await read(future) { _ in false }
            #expect(futureFrames.map(\.name) == ["since_too_old"])

            // From the trim point itself, history is still whole.
            let fresh = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["sales", "activity"], since: trimPoint)
            let expected = try live.events(after: trimPoint).filter {
                ($0.topic == .sales || $0.topic == .activity) && $0.audience.canSee(userId: live.admin.id, role: .admin)
            }
            #expect(!expected.isEmpty)
            let replayed = await read(fresh, count: expected.count)
            #expect(replayed.map(\.sequence) == expected.map(\.sequence))
            #expect(live.hub.subscriberCount == 1)
        }
    }

    @Test func aSinceOfAnotherEpochIsToldToResyncWhileTheStoresOwnResumes() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            for _ in 0..<3 { try await live.buy(live.ana, coxinha) }
            try await live.hubCaughtUp()
            let epoch = live.hub.epoch
            #expect(epoch.count == 32)

            // A sequence the feed has, but of another history: never a silent gap.
            let other = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["sales"], since: 1, epoch: String(repeating: "0", count: 32))
            let frames = await read(other) { _ in false }  // reads until the subscription ends
            #expect(frames.map(\.text) == [#"{"type":"resync","reason":"epoch_changed","epoch":"\#(epoch)"}"#])

            // The store's own epoch resumes as `since` alone does.
            let same = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["sales"], since: 1, epoch: epoch)
            let expected = try live.events(after: 1).filter { $0.topic == .sales && $0.audience.canSee(userId: live.admin.id, role: .admin) }
            let replayed = await read(same, count: expected.count)
            #expect(replayed.map(\.sequence) == expected.map(\.sequence))
        }
    }

    @Test func unsubscribingEndsTheSequence() async throws {
        try await withLiveShop { live in
            let subscription = live.hub.subscribe(user: live.ana.id, role: .user, topics: ["inventory"])
            #expect(live.hub.subscriberCount == 1)
            let reader = Task { await subscription.next() }
            // Once the reader is parked on the empty queue, the unsubscribe must wake it with nil.
            let deadline = ContinuousClock.now + .seconds(5)
            while !subscription.state.state.withLock({ $0.waiter != nil }) {
                guard ContinuousClock.now < deadline else { Issue.record("the reader never parked"); return }
                await Task.yield()
            }
            subscription.unsubscribe()
            #expect(await reader.value == nil)
            #expect(live.hub.subscriberCount == 0)
        }
    }

    @Test func stoppingTheHubEndsSubscriptionsAfterTheirQueuedFrames() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            let subscription = live.hub.subscribe(user: live.ana.id, role: .user, topics: ["inventory"])
            try await live.buy(live.bruno, coxinha)
            try await live.hubCaughtUp()
            live.pump.cancel()
            _ = try? await live.pump.value
            let frames = await read(subscription) { _ in false }
            #expect(frames.map(\.name) == ["inventory_update"])
            let late = live.hub.subscribe(user: live.ana.id, role: .user, topics: ["inventory"])
            #expect(await late.next() == nil)
        }
    }
}
