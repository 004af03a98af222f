import Foundation
@testable import Realtime
import Shop
import Synchronization
import Testing

/// A sink that only counts how often it is told, and takes the frames when the test says.
private final class CountingSink: FrameSink {
    let told = Atomic<Int>(0)
    func framesReady() { told.add(1, ordering: .relaxed) }
}

@Suite(.timeLimit(.minutes(1)))
struct FrameSinkTests {
    @Test func aSinkIsToldOncePerCommitAndTakesAllItsFramesInOrder() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha", stock: 100)
            let subscription = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["sales", "inventory"])
            let sink = CountingSink()
            subscription.deliver(to: sink)
            #expect(sink.told.load(ordering: .relaxed) == 0)  // nothing queued yet

            // One purchase is one commit of several change records: the sink is told once.
            try await live.buy(live.ana, coxinha)
            try await live.hubCaughtUp()
            #expect(sink.told.load(ordering: .relaxed) == 1)
            // Until it takes the queue it is not told again, however much arrives.
            try await live.buy(live.ana, coxinha)
            try await live.hubCaughtUp()
            #expect(sink.told.load(ordering: .relaxed) == 1)

            let (frames, ended) = subscription.takeQueued()
            #expect(!ended)
            #expect(frames.filter { $0.name == "new_sale" }.count == 2)
            let sequences = frames.compactMap(\.sequence)
            #expect(sequences == sequences.sorted())
            // The queue is empty again: the next commit tells it again.
            try await live.buy(live.ana, coxinha)
            try await live.hubCaughtUp()
            #expect(sink.told.load(ordering: .relaxed) == 2)

            // An unsubscribe ends it: the sink is told and finds it ended.
            _ = subscription.takeQueued()
            subscription.unsubscribe()
            #expect(sink.told.load(ordering: .relaxed) == 3)
            #expect(subscription.takeQueued().ended)
        }
    }

    @Test func aSinkThatStopsTakingIsCutOffWithResyncAndToldOnce() async throws {
        try await withLiveShop(hub: { $0.queueLimit = 4 }) { live in
            let coxinha = try await live.product("Coxinha", stock: 100)
            let subscription = live.hub.subscribe(user: live.admin.id, role: .admin, topics: ["sales"])
            let sink = CountingSink()
            subscription.deliver(to: sink)
            for _ in 0..<6 { try await live.buy(live.ana, coxinha) }
            try await live.hubCaughtUp()
            // Told when the first frame came, not again for the overflow: it still had not taken anything.
            #expect(sink.told.load(ordering: .relaxed) == 1)
            let (frames, ended) = subscription.takeQueued()
            #expect(ended)
            #expect(frames.map(\.text) == [#"{"type":"resync","reason":"slow_consumer","epoch":"\#(live.hub.epoch)"}"#])
            #expect(live.hub.statistics.slowConsumersCut == 1)
        }
    }
}
