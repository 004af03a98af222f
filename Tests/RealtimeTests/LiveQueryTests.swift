import Foundation
@testable import Realtime
import Shop
import Store
import Testing

/// Live queries: a snapshot, then diffs in commit order, whose fold is at every moment exactly
/// what asking the query afresh answers.
@Suite(.timeLimit(.minutes(3)))
struct LiveQueryTests {
    // MARK: The fold equals the query

    @Test(arguments: [11, 23, 47, 89, 131])
    func snapshotThenDiffsEqualsRerunningTheQueryAfterEveryCommit(seed: UInt64) async throws {
        try await withLiveShop { live in
            var random = SeededRandom(seed: seed)
            var products: [Product] = []
            for n in 0..<6 {
                products.append(try await live.product("Produto \(n)", stock: Int64(random.next(upTo: 8)), threshold: Int64(random.next(upTo: 4))))
            }
            // Ana's role moves between user and admin during the run: her watches follow it.
            let watchers = [live.owner, live.admin, live.ana]
            var clients: [FoldedClient] = []
            for (index, watcher) in watchers.enumerated() {
                for n in 0..<5 {
                    // One subscription a watch, so each client folds its own frames.
                    let subscription = live.hub.subscribe(user: watcher.id, role: watcher.role, topics: [])
                    let query = RandomQuery.make(&random)
                    let id = "w\(index)-\(n)"
                    do {
                        try live.hub.watch(subscription, id: id, query: query)
                        clients.append(FoldedClient(subscription: subscription, user: watcher, watchId: id, query: query))
                    } catch let error as ShopError {
                        // A collection above the watcher's role is refused before anything is watched.
                        #expect(error.code == .forbidden)
                    }
                }
            }
            #expect(clients.count >= 8)
            var orders: [UInt64] = []
            var sales: [UInt64] = []
            for _ in 0..<150 {
                try await RandomCommand.run(&random, live, products: &products, orders: &orders, sales: &sales)
                try await settle(live)
                for index in clients.indices {
                    clients[index].drain()
                    let fresh = try live.shop.snapshot(of: clients[index].query, as: .user(clients[index].user.id, via: .ws))
                    clients[index].expectHolds(fresh)
                }
            }
        }
    }

    // MARK: Enter, update, leave

    @Test func recordsEnterMoveAndLeaveAsTheirFieldsChange() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha", stock: 10, threshold: 3)
            let pastel = try await live.product("Pastel", stock: 2, threshold: 3)
            let subscription = live.hub.subscribe(user: live.admin.id, role: .admin, topics: [])
            let low = try LiveQuery.parse(json(#"{"collection":"products","filter":{"and":[{"field":"active","eq":true},{"field":"stock","lte":{"field":"lowStockThreshold"}}]},"order":{"field":"stock"}}"#))
            try live.hub.watch(subscription, id: "low", query: low)
            let snapshot = await nextQueryFrame(subscription)
            #expect(snapshot["type"] as? String == "query_snapshot")
            #expect(ids(snapshot["records"]) == [pastel.publicId])

            // Coxinha sells down past its threshold: it enters.
            try await live.buy(live.ana, coxinha, 8)
            let entered = await nextQueryFrame(subscription)
            #expect(entered["type"] as? String == "query_diff")
            #expect(ids(entered["enter"]) == [coxinha.publicId])
            #expect(ids(entered["update"]).isEmpty && (entered["leave"] as? [String])?.isEmpty == true)
            // The product's change: the purchase's last change (its ledger entry) came after it.
            #expect(try #require(entered["seq"] as? UInt64) > (snapshot["seq"] as? UInt64 ?? .max))
            #expect(try #require(entered["seq"] as? UInt64) <= live.environment.head)

            // Its price changes: it is updated in place.
            try await live.shop.execute(UpdateProduct(productId: coxinha.id, price: 700), as: live.asAdmin)
            let updated = await nextQueryFrame(subscription)
            #expect(ids(updated["update"]) == [coxinha.publicId])

            // Pastel is restocked above its threshold: it leaves.
            try await live.shop.execute(Restock(productId: pastel.id, quantity: 20), as: live.asAdmin)
            let left = await nextQueryFrame(subscription)
            #expect(left["leave"] as? [String] == [pastel.publicId])
        }
    }

    @Test func aRecordTheCallerMayNoLongerSeeLeavesTheirResultOnly() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            let asUser = live.hub.subscribe(user: live.ana.id, role: .user, topics: [])
            let asAdmin = live.hub.subscribe(user: live.admin.id, role: .admin, topics: [])
            let all = try LiveQuery.parse(json(#"{"collection":"products"}"#))
            try live.hub.watch(asUser, id: "all", query: all)
            try live.hub.watch(asAdmin, id: "all", query: all)
            _ = await nextQueryFrame(asUser)
            _ = await nextQueryFrame(asAdmin)

            // Archived, it is the admins' alone: it leaves Ana's result and stays in the admin's.
            try await live.shop.execute(ArchiveProduct(productId: coxinha.id), as: live.asAdmin)
            #expect(await nextQueryFrame(asUser)["leave"] as? [String] == [coxinha.publicId])
            #expect(ids(await nextQueryFrame(asAdmin)["update"]) == [coxinha.publicId])
        }
    }

    @Test func aDeletedMemberLeavesAndAFullWindowRefillsFromTheStore() {
        // Deletion, as the store's change record says it (no after-image), folded in directly.
        let query = try! LiveQuery.parse(json(#"{"collection":"debts","order":{"field":"amount","direction":"desc"},"limit":2}"#))
        let rows = [QueryRow.debtForTest(1, 500), QueryRow.debtForTest(2, 300)]
        var full = QueryWatch(id: "top", query: query, rows: rows, at: 10)
        #expect(full.apply(key: 2, after: nil, sequence: 11, userId: nil, role: .owner).isReread)
        var roomy = QueryWatch(id: "top", query: query, rows: Array(rows.prefix(1)), at: 10)
        guard case .diff(let diff) = roomy.apply(key: 1, after: nil, sequence: 11, userId: nil, role: .owner) else {
            Issue.record("a member deleted from a window that is not full simply leaves")
            return
        }
        #expect(diff.leave == ["u1"])
        #expect(roomy.members.isEmpty)
        // A change already folded (at or below the read) is not folded twice.
        #expect(roomy.apply(key: 9, after: QueryRow.debtForTest(9, 900), sequence: 11, userId: nil, role: .owner).isUnchanged)
    }

    @Test func aTopNWindowRefillsWhenAMemberLeaves() async throws {
        try await withLiveShop { live in
            let a = try await live.product("A", stock: 1)
            let b = try await live.product("B", stock: 2)
            let c = try await live.product("C", stock: 3)
            let subscription = live.hub.subscribe(user: live.admin.id, role: .admin, topics: [])
            let lowest = try LiveQuery.parse(json(#"{"collection":"products","order":{"field":"stock"},"limit":2}"#))
            try live.hub.watch(subscription, id: "lowest", query: lowest)
            #expect(ids(await nextQueryFrame(subscription)["records"]) == [a.publicId, b.publicId])

            // A is restocked past C: it leaves the two lowest, and C, read from the store, enters.
            try await live.shop.execute(Restock(productId: a.id, quantity: 10), as: live.asAdmin)
            let refill = await nextQueryFrame(subscription)
            #expect(refill["leave"] as? [String] == [a.publicId])
            #expect(ids(refill["enter"]) == [c.publicId])

            // A new product with the least stock pushes the last member out.
            let d = try await live.product("D", stock: 0)
            let pushed = await nextQueryFrame(subscription)
            #expect(ids(pushed["enter"]) == [d.publicId])
            #expect(pushed["leave"] as? [String] == [c.publicId])
        }
    }

    @Test func aRoleChangeReplacesEachWatchWithWhatTheNewRoleSees() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            try await live.buy(live.bruno, coxinha)
            try await live.buy(live.ana, coxinha)
            try await live.shop.execute(GrantRole(userId: live.ana.id, role: .admin), as: live.asOwner)
            try await live.hubCaughtUp()
            let subscription = live.hub.subscribe(user: live.ana.id, role: .admin, topics: [])
            try live.hub.watch(subscription, id: "sales", query: try LiveQuery.parse(json(#"{"collection":"sales","order":{"field":"at","direction":"desc"}}"#)))
            #expect(ids(await nextQueryFrame(subscription)["records"]).count == 2)

            try await live.shop.execute(GrantRole(userId: live.ana.id, role: .user), as: live.asOwner)
            let replaced = await nextQueryFrame(subscription)
            #expect(replaced["type"] as? String == "query_snapshot")
            #expect(replaced["reason"] as? String == "access")
            #expect((replaced["records"] as? [[String: Any]])?.map { $0["buyerId"] as? String } == [live.ana.publicId])
        }
    }

    @Test func aWatchOfACollectionTheNewRoleMayNotSeeEndsWithItsError() async throws {
        try await withLiveShop { live in
            try await live.shop.execute(GrantRole(userId: live.ana.id, role: .admin), as: live.asOwner)
            try await live.hubCaughtUp()
            let subscription = live.hub.subscribe(user: live.ana.id, role: .admin, topics: [])
            try live.hub.watch(subscription, id: "debts", query: try LiveQuery.parse(json(#"{"collection":"debts"}"#)))
            _ = await nextQueryFrame(subscription)
            try await live.shop.execute(GrantRole(userId: live.ana.id, role: .user), as: live.asOwner)
            let ended = await nextQueryFrame(subscription)
            #expect(ended["type"] as? String == "error")
            #expect(ended["id"] as? String == "debts")
            #expect(ended["code"] as? String == "forbidden")
            #expect(live.hub.watchIds(of: subscription).isEmpty)
        }
    }

    @Test func debtsFollowPurchasesAndPayments() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            let subscription = live.hub.subscribe(user: live.admin.id, role: .admin, topics: [])
            try live.hub.watch(subscription, id: "debts", query: try LiveQuery.parse(json(#"{"collection":"debts","filter":{"field":"amount","gt":0},"order":{"field":"amount","direction":"desc"}}"#)))
            #expect(ids(await nextQueryFrame(subscription)["records"]).isEmpty)
            try await live.buy(live.ana, coxinha, 2)
            let owed = await nextQueryFrame(subscription)
            #expect((owed["enter"] as? [[String: Any]])?.first?["amount"] as? Int == 1_300)
            try await live.shop.execute(RecordPayment(userId: live.ana.id, amount: 1_300), as: live.asAdmin)
            #expect(await nextQueryFrame(subscription)["leave"] as? [String] == [live.ana.publicId])
        }
    }

    // MARK: Resume

    @Test func aWatcherThatComesBackGetsWhatChangedSinceOrAFreshSnapshot() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha", stock: 5)
            let pastel = try await live.product("Pastel", stock: 5)
            let query = try LiveQuery.parse(json(#"{"collection":"products","filter":{"field":"stock","lt":5}}"#))
            let first = live.hub.subscribe(user: live.admin.id, role: .admin, topics: [])
            try live.hub.watch(first, id: "q", query: query)
            try await live.buy(live.ana, coxinha)
            var client = FoldedClient(subscription: first, user: live.admin, watchId: "q", query: query)
            try await settle(live)
            client.drain()
            #expect(client.records.keys.sorted() == [coxinha.publicId])
            first.unsubscribe()

            // Gone a while: Coxinha is restocked (leaves), Pastel sells (enters).
            try await live.shop.execute(Restock(productId: coxinha.id, quantity: 5), as: live.asAdmin)
            try await live.buy(live.bruno, pastel)
            try await settle(live)
            let second = live.hub.subscribe(user: live.admin.id, role: .admin, topics: [])
            try live.hub.watch(second, id: "q", query: query, resume: QueryResume(since: client.seq, epoch: live.hub.epoch, held: client.held))
            let resumed = await nextQueryFrame(second)
            #expect(resumed["type"] as? String == "query_diff")
            #expect(resumed["resumed"] as? Bool == true)
            #expect(resumed["leave"] as? [String] == [coxinha.publicId])
            #expect(ids(resumed["enter"]) == [pastel.publicId])

            // Another epoch's sequence is not resumed: a snapshot says so.
            let third = live.hub.subscribe(user: live.admin.id, role: .admin, topics: [])
            try live.hub.watch(third, id: "q", query: query, resume: QueryResume(since: client.seq, epoch: "0123", held: client.held))
            let fresh = await nextQueryFrame(third)
            #expect(fresh["type"] as? String == "query_snapshot")
            #expect(fresh["reason"] as? String == "epoch_changed")
            #expect(ids(fresh["records"]) == [pastel.publicId])
        }
    }

    @Test func aSinceOlderThanTheFeedKeepsGetsASnapshot() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha", stock: 50)
            for _ in 0..<10 { try await live.buy(live.ana, coxinha) }
            try await live.environment.trimFeed(keepingLast: 4)
            try await settle(live)
            let query = try LiveQuery.parse(json(#"{"collection":"products"}"#))
            let subscription = live.hub.subscribe(user: live.admin.id, role: .admin, topics: [])
            try live.hub.watch(subscription, id: "q", query: query, resume: QueryResume(since: 1, epoch: live.hub.epoch, held: []))
            let fresh = await nextQueryFrame(subscription)
            #expect(fresh["type"] as? String == "query_snapshot")
            #expect(fresh["reason"] as? String == "since_too_old")
            #expect(ids(fresh["records"]) == [coxinha.publicId])
        }
    }

    // MARK: Refusals

    @Test(arguments: [
        (#"{"collection":"stock"}"#, "collection"),
        (#"{"collection":"products","filter":{"field":"secret","eq":1}}"#, "filter.field"),
        (#"{"collection":"products","filter":{"field":"stock","eq":"many"}}"#, "filter.eq"),
        (#"{"collection":"products","filter":{"field":"stock","eq":1.5}}"#, "filter.eq"),
        (#"{"collection":"products","filter":{"field":"stock","prefix":"1"}}"#, "filter.prefix"),
        (#"{"collection":"products","filter":{"field":"stock","lt":{"field":"name"}}}"#, "filter.lt"),
        (#"{"collection":"products","filter":{"field":"active","gt":true}}"#, "filter.gt"),
        (#"{"collection":"products","filter":{"field":"stock","lt":1,"gt":0}}"#, "filter"),
        (#"{"collection":"products","filter":{"and":[]}}"#, "filter.and"),
        (#"{"collection":"products","filter":{"field":"stock","in":[]}}"#, "filter.in"),
        (#"{"collection":"sales","filter":{"field":"at","gte":"yesterday"}}"#, "filter.gte"),
        (#"{"collection":"products","limit":501}"#, "limit"),
        (#"{"collection":"products","limit":0}"#, "limit"),
        (#"{"collection":"products","order":{"field":"nope"}}"#, "order.field"),
        (#"{"collection":"products","order":{"field":"stock","direction":"up"}}"#, "order.direction"),
    ])
    func badQueriesAreRefusedNamingTheField(text: String, field: String) throws {
        #expect(throws: ShopError(.invalidInput, "", field: field)) { try LiveQuery.parse(json(text)) }
    }

    @Test func tooManyClausesOrTooDeepAreRefused() throws {
        let clauses = (0...LiveQuery.maximumComparisons).map { _ in #"{"field":"stock","gt":0}"# }.joined(separator: ",")
        #expect(throws: ShopError(.invalidInput, "", field: "filter.and[16]")) {
            try LiveQuery.parse(json(#"{"collection":"products","filter":{"and":[\#(clauses)]}}"#))
        }
        let deep = #"{"and":[{"or":[{"and":[{"or":[{"field":"stock","gt":0}]}]}]}]}"#
        #expect(throws: ShopError(.invalidInput, "", field: "filter.and[0].or[0].and[0].or[0]")) {
            try LiveQuery.parse(json(#"{"collection":"products","filter":\#(deep)}"#))
        }
    }

    @Test func aCollectionAboveTheCallersRoleIsRefusedAndNothingIsWatched() async throws {
        try await withLiveShop { live in
            let subscription = live.hub.subscribe(user: live.ana.id, role: .user, topics: [])
            #expect(throws: ShopError(.forbidden, "")) {
                try live.hub.watch(subscription, id: "u", query: try LiveQuery.parse(json(#"{"collection":"users"}"#)))
            }
            #expect(live.hub.watchIds(of: subscription).isEmpty)
        }
    }

    @Test func everyFieldASchemaNamesIsInItsRowsAndNoOther() async throws {
        try await withLiveShop { live in
            let coxinha = try await live.product("Coxinha")
            try await live.buy(live.ana, coxinha)
            try await live.shop.execute(RecordPayment(userId: live.ana.id, amount: 100), as: live.asAdmin)
            _ = try await live.shop.execute(PlaceOrder(items: [LineItem(productId: coxinha.id, quantity: 1)]), as: .user(live.ana.id, via: .rest))
            for collection in QueryCollection.allCases {
                let principal: Principal = collection == .notifications ? .user(live.admin.id, via: .rest) : live.asOwner
                let rows = try live.shop.snapshot(of: try LiveQuery.parse(json(#"{"collection":"\#(collection.rawValue)"}"#)), as: principal).rows
                let row = try #require(rows.first, "\(collection) has rows to look at")
                #expect(Set(row.fields.keys) == Set(collection.schema.keys), "\(collection)")
            }
        }
    }
}

// MARK: - Support

/// What a client holds of one watch, folded from its frames as CONTRACT.md says a client folds them.
struct FoldedClient {
    let subscription: Subscription
    let user: User
    let watchId: String
    let query: LiveQuery
    var records: [String: NSDictionary] = [:]
    var seq: UInt64 = 0
    var ended = false

    var held: [(id: String, version: UInt64)] {
        records.map { ($0.key, ($0.value["version"] as? UInt64) ?? 0) }
    }

    /// Folds every frame queued for this watch's subscription now.
    mutating func drain() {
        for frame in subscription.state.takeQueued(limit: .max).frames {
            let object = json(frame)
            guard object["id"] as? String == watchId else { continue }
            switch object["type"] as? String {
            case "query_snapshot":
                records = [:]
                for record in object["records"] as? [[String: Any]] ?? [] { records[key(record)] = record as NSDictionary }
            case "query_diff":
                for id in object["leave"] as? [String] ?? [] { records[id] = nil }
                for record in (object["enter"] as? [[String: Any]] ?? []) + (object["update"] as? [[String: Any]] ?? []) {
                    records[key(record)] = record as NSDictionary
                }
            case "error":
                records = [:]
                ended = true
            default:
                Issue.record("unexpected frame \(frame.text)")
            }
            if let s = object["seq"] as? UInt64 { seq = s }
            if records.count > query.limit { Issue.record("\(watchId) holds \(records.count) records, over its limit \(query.limit)") }
        }
    }

    func expectHolds(_ fresh: LiveQuerySnapshot, sourceLocation: SourceLocation = #_sourceLocation) {
        var expected: [String: NSDictionary] = [:]
        for row in fresh.rows {
            expected[row.id] = (try? JSONSerialization.jsonObject(with: Data(row.json))) as? NSDictionary
        }
        if ended { return }
        #expect(records == expected, "\(watchId) \(query) folded \(records.keys.sorted()) but the query holds \(expected.keys.sorted())",
                sourceLocation: sourceLocation)
    }

    private func key(_ record: [String: Any]) -> String {
        (record["id"] as? String) ?? (record["userId"] as? String) ?? ""
    }
}

/// The hub has queued every frame of everything committed so far, fresh reads included.
func settle(_ live: LiveShop, within seconds: Double = 10, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let head = live.environment.head
    let deadline = ContinuousClock.now + .seconds(seconds)
    while live.hub.settledPosition < head {
        guard ContinuousClock.now < deadline else {
            Issue.record("the hub did not settle at \(head) (at \(live.hub.settledPosition))", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(2))
    }
}

/// The next live-query frame of `subscription` (other frames, like `access`, are passed over), as JSON.
func nextQueryFrame(_ subscription: Subscription, sourceLocation: SourceLocation = #_sourceLocation) async -> [String: Any] {
    let frames = await read(subscription, within: 10, sourceLocation: sourceLocation) { $0.last?.kind == .query }
    guard let frame = frames.last, frame.kind == .query else { return [:] }
    return json(frame, sourceLocation: sourceLocation)
}

/// A query's JSON text as the parser takes it.
func json(_ text: String) throws -> [String: JSONValue] {
    try JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8))
}

/// The ids of a frame's list of records.
func ids(_ records: Any?) -> [String] {
    (records as? [[String: Any]] ?? []).map { ($0["id"] as? String) ?? ($0["userId"] as? String) ?? "" }
}

extension QueryWatch.Step {
    var isReread: Bool { if case .reread = self { true } else { false } }
    var isUnchanged: Bool { if case .unchanged = self { true } else { false } }
}

extension QueryRow {
    static func debtForTest(_ userId: UInt64, _ amount: Int64) -> QueryRow { .debt(userId: userId, amount: amount, currency: "BRL") }
}

typealias SeededRandom = SplitMix64

extension SplitMix64 {
    init(seed: UInt64) { self.init(state: seed) }

    mutating func next(upTo bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func pick<T>(_ items: [T]) -> T { items[next(upTo: items.count)] }
}

/// Random queries over every collection, with small windows so that refills happen often.
enum RandomQuery {
    static func make(_ random: inout SeededRandom) -> LiveQuery {
        let limit = random.pick([1, 2, 3, 500])
        let text: String
        switch random.next(upTo: 7) {
        case 0:
            let filter = random.pick([
                #"{"field":"stock","lte":{"field":"lowStockThreshold"}}"#,
                #"{"and":[{"field":"active","eq":true},{"field":"stock","lt":4}]}"#,
                #"{"or":[{"field":"price","gt":700},{"field":"name","prefix":"produto 1"}]}"#,
                #"{"field":"category","in":["Salgados","Doces"]}"#,
                #"{"field":"stock","gte":{"field":"lowStockThreshold"}}"#,
            ])
            let order = random.pick(["stock", "price", "name", "id", "updatedAt"])
            text = #"{"collection":"products","filter":\#(filter),"order":{"field":"\#(order)","direction":"\#(random.pick(["asc", "desc"]))"},"limit":\#(limit)}"#
        case 1:
            let filter = random.pick([#"{"field":"total","gte":1000}"#, #"{"field":"at","gte":"2000-01-01T00:00:00Z"}"#, #"{"field":"orderId","eq":null}"#])
            text = #"{"collection":"sales","filter":\#(filter),"order":{"field":"\#(random.pick(["at", "total"]))","direction":"desc"},"limit":\#(limit)}"#
        case 2:
            let filter = random.pick([#"{"field":"state","in":["pending_payment","awaiting_verification"]}"#, #"{"field":"state","eq":"cancelled"}"#, #"{"field":"total","gt":0}"#])
            text = #"{"collection":"orders","filter":\#(filter),"order":{"field":"createdAt","direction":"desc"},"limit":\#(limit)}"#
        case 3:
            text = #"{"collection":"payments","filter":{"field":"amount","gt":\#(random.pick([0, 500]))},"order":{"field":"at","direction":"desc"},"limit":\#(limit)}"#
        case 4:
            text = #"{"collection":"debts","filter":{"field":"amount","gt":0},"order":{"field":"amount","direction":"desc"},"limit":\#(limit)}"#
        case 5:
            text = #"{"collection":"notifications","filter":{"field":"read","eq":false},"order":{"field":"createdAt","direction":"desc"},"limit":\#(limit)}"#
        default:
            text = #"{"collection":"users","filter":{"field":"role","ne":"owner"},"order":{"field":"name"},"limit":\#(limit)}"#
        }
        do {
            return try LiveQuery.parse(json(text))
        } catch {
            Issue.record("a random query did not parse: \(text): \(error)")
            return try! LiveQuery.parse(json(#"{"collection":"products"}"#))
        }
    }
}

/// Random shop commands; refusals (short stock, a cancelled order) are part of the run.
enum RandomCommand {
    static func run(_ random: inout SeededRandom, _ live: LiveShop, products: inout [Product], orders: inout [UInt64], sales: inout [UInt64]) async throws {
        let buyer = random.pick([live.ana, live.bruno])
        let product = random.pick(products)
        do {
            switch random.next(upTo: 12) {
            case 0, 1, 2:
                let sale = try await live.shop.execute(Buy(buyerId: buyer.id, items: [LineItem(productId: product.id, quantity: Int64(1 + random.next(upTo: 3)))]), as: live.asAdmin)
                sales.append(sale.id)
            case 3:
                try await live.shop.execute(Restock(productId: product.id, quantity: Int64(1 + random.next(upTo: 5))), as: live.asAdmin)
            case 4:
                try await live.shop.execute(UpdateProduct(productId: product.id, category: random.pick(["Salgados", "Doces", "Bebidas"]), price: Int64(random.pick([500, 650, 800]))), as: live.asAdmin)
            case 5:
                try await live.shop.execute(SetThreshold(productId: product.id, threshold: Int64(random.next(upTo: 6))), as: live.asAdmin)
            case 6:
                if random.next(upTo: 3) == 0 {
                    try await live.shop.execute(ArchiveProduct(productId: product.id), as: live.asAdmin)
                } else {
                    products.append(try await live.shop.execute(CreateProduct(name: "Produto \(products.count)", emoji: "🥟", category: "Doces", price: 700,
                                                                               stock: Int64(random.next(upTo: 6)), lowStockThreshold: 2), as: live.asAdmin))
                }
            case 7:
                try await live.shop.execute(RecordPayment(userId: buyer.id, amount: Int64(random.pick([300, 650, 2_000]))), as: live.asAdmin)
            case 8:
                let order = try await live.shop.execute(PlaceOrder(items: [LineItem(productId: product.id, quantity: 1)]), as: .user(buyer.id, via: .rest))
                orders.append(order.id)
            case 9:
                if let order = orders.randomElement(using: &random) {
                    try await live.shop.execute(CancelOrder(orderId: order), as: live.asAdmin)
                }
            case 10:
                if let sale = sales.randomElement(using: &random) {
                    try await live.shop.execute(Refund(saleId: sale), as: live.asAdmin)
                }
            default:
                try await live.shop.execute(GrantRole(userId: live.ana.id, role: random.pick([.user, .admin])), as: live.asOwner)
            }
        } catch is ShopError {
            // Refused: nothing was written, and the watches must say so by saying nothing.
        }
    }
}

