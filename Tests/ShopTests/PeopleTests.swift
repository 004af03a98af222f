import Foundation
import Store
import Testing
@testable import Shop

/// The owner's people tools: creating and editing users, a person's own data export, and
/// erasing a customer so that nothing identifies them any more while the books still balance.
@Suite(.timeLimit(.minutes(2))) struct PeopleTests {
    static let zuleica = TelegramIdentity(telegramId: 987_654_321, firstName: "Zuleica", lastName: "Brandão", username: "zuleica_b", languageCode: "pt-br")
    /// What must not survive Zuleica's erasure, byte for byte, anywhere in the store.
    static let traces = ["Zuleica", "Brandão", "zuleica_b", "987654321"]

    /// Zuleica, a customer with a history: she signs in, buys, pays part with a note naming her,
    /// orders, is party to a contract that names her, and is named in notices to others.
    static func customerWithHistory(_ t: TestShop) async throws -> (user: User, tokens: AuthTokens) {
        let tokens = try await t.shop.signIn(zuleica, device: "Zuleica's phone", via: .anonymous(via: .rest, clientAddress: "203.0.113.9"))
        let z = tokens.user
        let asZ = Principal.user(z.id, via: .rest, clientAddress: "203.0.113.9", userAgent: "ZuleicaBrowser/1")
        let coxinha = try await t.product("Coxinha", price: 300, stock: 50)
        try await t.shop.execute(Buy(buyerId: z.id, items: [.init(productId: coxinha.id, quantity: 4)]), as: t.asAdmin)
        try await t.shop.execute(RecordPayment(userId: z.id, amount: 500, note: "Zuleica Brandão paid in cash, @zuleica_b"), as: t.asAdmin)
        try await t.shop.execute(PlaceOrder(items: [.init(productId: coxinha.id, quantity: 1)]), as: asZ)
        let contract = try await t.shop.execute(CreateContract(title: "Festa da Zuleica Brandão", terms: "Zuleica Brandão pays 100 to Bruno",
                                                               amount: 10_000, parties: [.init(userId: z.id, part: "Zuleica Brandão, buyer"), .init(userId: t.bruno.id, part: "seller")],
                                                               requiredConfirmations: 2), as: t.asOwner)
        // Bruno's notice names her (the confirming party's name).
        try await t.shop.execute(ConfirmContract(contractId: contract.id), as: asZ)
        return (z, tokens)
    }

    /// What the books say, per user and in total.
    static func books(_ t: TestShop) throws -> (debts: [UInt64: Int64], ledger: Int64, sales: Int, payments: Int) {
        try t.environment.read { txn in
            var debts: [UInt64: Int64] = [:]
            try t.shop.collections.users.forEach(txn) { user in
                debts[user.key] = try txn.counter(Aggregates.debt(user.key))
                return true
            }
            var ledger: Int64 = 0
            try t.shop.collections.ledger.forEach(txn) { ledger += $0.value.amount; return true }
            return (debts, ledger, try t.shop.collections.sales.count(txn), try t.shop.collections.payments.count(txn))
        }
    }

    @Test func anErasureKeepsTheBooksAndLeavesNoTraceOfThePersonInTheStoreOrTheFeed() async throws {
        let t = try await TestShop.make()
        let (z, tokens) = try await Self.customerWithHistory(t)
        for trace in Self.traces {
            #expect(!(try await t.environment.databases(containing: Array(trace.utf8))).isEmpty, "the history holds \(trace) before")
        }
        try Invariants.check(t.shop, in: t.environment)
        let before = try Self.books(t)
        let head = t.environment.head

        let erased = try await t.shop.execute(EraseUser(userId: z.id), as: t.asOwner)
        #expect(erased.name == "Erased customer \(z.publicId)" && erased.username == nil && erased.language == nil)
        #expect(erased.isErased && erased.blocked && erased.telegramId == -Int64(z.id))

        // The books: every record stays, every balance is the same.
        try Invariants.check(t.shop, in: t.environment)
        let after = try Self.books(t)
        #expect(after.debts == before.debts && after.ledger == before.ledger)
        #expect(after.sales == before.sales && after.payments == before.payments)
        #expect(try t.shop.debt(of: z.id, as: t.asAdmin).amount == 1_200 - 500)

        // No byte of her name, username or Telegram id in any database: records, indexes, the feed.
        for trace in Self.traces {
            #expect(try await t.environment.databases(containing: Array(trace.utf8)) == [], "\(trace) survives")
        }
        // The replayable feed: the same sequences, none of it left.
        let feed = try t.environment.changes(after: 0, limit: 100_000)
        #expect(feed.last?.sequence ?? 0 > head, "the erasure is itself in the feed")
        #expect(Set(feed.map(\.sequence)).count == feed.count && feed.first?.sequence == 1, "no sequence renumbered")
        for record in feed {
            for bytes in [record.value, record.previous].compactMap({ $0 }) {
                for trace in Self.traces { #expect(!PeopleTests.contains(bytes, trace), "seq \(record.sequence) (\(record.collection)) holds \(trace)") }
            }
        }
        // Text that named her now names the erased person.
        let payment = try #require(try t.shop.payments(userId: z.id, as: t.asAdmin).items.first?.value)
        #expect(payment.note == "Erased customer \(z.publicId) paid in cash, Erased customer \(z.publicId)")

        // She is signed out, and her Telegram account signing in again is someone new.
        await #expect(throws: ShopError.self) { _ = try await t.shop.authenticate(tokens.accessToken) }
        let again = try await t.shop.signIn(Self.zuleica, device: "phone", via: .anonymous(via: .rest))
        #expect(again.user.id != z.id && !again.user.isErased && again.user.role == .user)
        await t.discard()
    }

    @Test func erasingTwiceChangesNothingAndAnErasedPersonCannotBeEdited() async throws {
        let t = try await TestShop.make()
        let first = try await t.shop.run(EraseUser(userId: t.ana.id), as: t.asOwner)
        let second = try await t.shop.run(EraseUser(userId: t.ana.id), as: t.asOwner)
        #expect(second.value == first.value && second.version == first.version)
        #expect(try t.shop.user(t.ana.id, as: t.asOwner).version == first.version)
        let edit = await refusal { try await t.shop.execute(UpdateUser(userId: t.ana.id, name: "Ana again"), as: t.asOwner) }
        #expect(edit?.code == .ruleBroken)
        await t.discard()
    }

    @Test func onlyAnOwnerErasesAndOnlyACustomerOtherThanThemself() async throws {
        let t = try await TestShop.make()
        #expect(await refusal { try await t.shop.execute(EraseUser(userId: t.ana.id), as: t.asAdmin) }?.code == .forbidden)
        #expect(await refusal { try await t.shop.execute(EraseUser(userId: t.bruno.id), as: t.asAna) }?.code == .forbidden)
        #expect(await refusal { try await t.shop.execute(EraseUser(userId: t.admin.id), as: t.asOwner) }?.code == .ruleBroken)
        #expect(await refusal { try await t.shop.execute(EraseUser(userId: t.owner.id), as: t.asOwner) }?.code == .ruleBroken)
        #expect(await refusal { try await t.shop.execute(EraseUser(userId: 9_999), as: t.asOwner) }?.code == .notFound)
        #expect(try t.shop.user(t.ana.id, as: t.asOwner).value == t.ana, "nothing changed")
        await t.discard()
    }

    @Test func theOwnerCreatesAndEditsPeopleWithUniqueBoundedTelegramIds() async throws {
        let t = try await TestShop.make()
        let carla = try await t.shop.execute(CreateUser(telegramId: 5_000, name: "  Carla Dias ", username: "@carla_d", role: .admin), as: t.asOwner)
        #expect(carla.name == "Carla Dias" && carla.username == "carla_d" && carla.role == .admin && carla.telegramId == 5_000)
        #expect(try t.shop.user(telegramId: 5_000, as: t.asOwner)?.value == carla)

        #expect(await refusal { try await t.shop.execute(CreateUser(telegramId: 5_000, name: "Other"), as: t.asOwner) }?.code == .alreadyExists)
        for bad: Int64 in [0, -1, Bounds.telegramId.upperBound + 1] {
            #expect(await refusal { try await t.shop.execute(CreateUser(telegramId: bad, name: "X"), as: t.asOwner) }?.field == "telegramId")
        }
        #expect(await refusal { try await t.shop.execute(CreateUser(telegramId: 6_000, name: "  "), as: t.asOwner) }?.field == "name")
        #expect(await refusal { try await t.shop.execute(CreateUser(telegramId: 6_000, name: String(repeating: "a", count: 201)), as: t.asOwner) }?.field == "name")
        #expect(await refusal { try await t.shop.execute(CreateUser(telegramId: 6_000, name: "X", username: "a b"), as: t.asOwner) }?.field == "username")
        #expect(await refusal { try await t.shop.execute(CreateUser(telegramId: 6_000, name: "X"), as: t.asAdmin) }?.code == .forbidden)

        let renamed = try await t.shop.execute(UpdateUser(userId: carla.id, role: .user, name: "Carla D.", telegramId: 5_001), as: t.asOwner)
        #expect(renamed.name == "Carla D." && renamed.telegramId == 5_001 && renamed.role == .user)
        #expect(try t.shop.user(telegramId: 5_000, as: t.asOwner) == nil, "the old id is free again")
        let taken = await refusal { try await t.shop.execute(UpdateUser(userId: carla.id, role: .admin, telegramId: 3_000), as: t.asOwner) }
        #expect(taken?.code == .alreadyExists)
        #expect(try t.shop.user(carla.id, as: t.asOwner).value.role == .user, "all of it or none")
        #expect(await refusal { try await t.shop.execute(UpdateUser(userId: t.owner.id, role: .user), as: t.asOwner) }?.code == .ruleBroken,
                "the last owner stays")
        // Signing in, the person's own Telegram name replaces the typed one.
        let signed = try await t.shop.signIn(TelegramIdentity(telegramId: 5_001, firstName: "Carla", lastName: "Dias"), device: "", via: .anonymous(via: .rest))
        #expect(signed.user.id == carla.id && signed.user.name == "Carla Dias")
        await t.discard()
    }

    @Test func aPersonExportsEverythingTheShopHoldsAboutThem() async throws {
        let t = try await TestShop.make()
        let (z, _) = try await Self.customerWithHistory(t)
        let export = try t.shop.personalData(as: .user(z.id, via: .rest))
        #expect(export.user.id == z.publicId && export.user.telegramId == 987_654_321 && export.user.username == "zuleica_b")
        #expect(export.debt.amount == 700)
        #expect(export.sales.count == 1 && export.payments.count == 1 && export.orders.count == 1 && export.contracts.count == 1)
        #expect(export.ledger.map(\.amount).reduce(0, +) == 700)
        #expect(export.sessions.count == 1 && export.sessions.first?.device == "Zuleica's phone")
        #expect(export.audit.contains { $0.command == "placeOrder" && $0.actorId == z.publicId })
        #expect(export.audit.contains { $0.command == "buy" }, "an admin's act naming her")
        #expect(!export.notifications.isEmpty)
        // Only their own: Bruno's export holds none of hers.
        let bruno = try t.shop.personalData(as: t.asBruno)
        #expect(bruno.sales.isEmpty && bruno.payments.isEmpty && bruno.sessions.isEmpty)
        #expect(await refusal { _ = try t.shop.personalData(as: .system()) }?.code == .ruleBroken)
        #expect(await refusal { _ = try t.shop.personalData(as: .anonymous(via: .rest)) }?.code == .notAuthenticated)
        await t.discard()
    }

    @Test func aFollowerFedThePrimarysFeedForgetsThePersonToo() async throws {
        let t = try await TestShop.make()
        let (z, _) = try await Self.customerWithHistory(t)
        // A follower made from a backup, as a replica is seeded, then fed the primary's feed.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-people-follower-\(UUID().uuidString)").path
        try await t.environment.backup(to: folder + "/store")
        var configuration = StoreConfiguration.testing
        configuration.createIfMissing = false
        let copy = try await Environment.open(at: folder + "/store", configuration: configuration)
        let follower = try await Shop.open(copy, settings: t.shop.settings)
        copy.becomeFollower()
        func ship() async throws {
            while true {
                let transactions = try t.environment.feedTransactions(after: copy.head, maxRecords: 50)
                if transactions.isEmpty { return }
                try await copy.apply(FeedBatch(epoch: t.environment.epoch, transactions: transactions))
            }
        }
        try await t.shop.execute(RecordPayment(userId: z.id, amount: 100, note: "more from Zuleica Brandão"), as: t.asAdmin)
        try await ship()
        #expect(!(try await copy.databases(containing: Array("Zuleica".utf8))).isEmpty, "the follower's history names her")

        try await t.shop.execute(EraseUser(userId: z.id), as: t.asOwner)
        try await ship()
        #expect(try follower.user(z.id, as: .system()).value.isErased)
        for trace in Self.traces {
            #expect(try await copy.databases(containing: Array(trace.utf8)) == [], "\(trace) survives on the follower")
        }
        // The two copies agree database by database, the rewritten feed included.
        let primary = try await t.environment.databaseDigests(), replica = try await copy.databaseDigests()
        for name in primary.keys.sorted() where name != "_meta" {
            #expect(primary[name] == replica[name], "\(name) differs")
        }
        await follower.close()
        try? FileManager.default.removeItem(atPath: folder)
        await t.discard()
    }

    static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { Array(bytes[$0..<($0 + needle.count)]) == needle }
    }
}
