import Foundation
import Testing
@testable import Store

@Suite(.timeLimit(.minutes(1))) struct IndexTests {
    @Test func aUniqueViolationIsRefusedAndWritesNothing() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        try await env.write { txn in try items.put(txn, 1, Item(name: "coxinha", category: "salgados")) }
        let headBefore = env.head

        // The same name under another key: refused, even when the caller catches the error
        // and goes on in the same transaction.
        let caught = try await env.write { txn -> Bool in
            do {
                try items.put(txn, 2, Item(name: "coxinha", category: "doces"))
                return false
            } catch let error as StoreError where error.code == .uniqueViolation {
                return true
            }
        }
        #expect(caught)
        try env.read { txn throws in
            #expect(try items.get(txn, 2) == nil)
            #expect(try items.count(txn) == 1)
            #expect(try items.lookup(txn, index: "category", equals: OrderedKey("doces")).items.isEmpty)
            #expect(try items.indexEntryCount(txn, index: "category") == 1)
        }
        #expect(env.head == headBefore)

        // Updating the holder itself with its own name is not a violation.
        try await env.write { txn in try items.put(txn, 1, Item(name: "coxinha", price: 700)) }
        await store.discard()
    }

    @Test func updatesMoveIndexEntriesAndDeletesRemoveThem() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        try await env.write { txn in
            try items.put(txn, 1, Item(name: "pastel", category: "salgados", tags: ["frito", "quente"]))
            try items.put(txn, 2, Item(name: "brigadeiro", category: "doces", tags: ["frio"]))
        }
        try await env.write { txn in
            try items.put(txn, 1, Item(name: "pastel de queijo", category: "lanches", tags: ["quente", "novo"]))
        }
        try env.read { txn throws in
            #expect(try items.first(txn, index: "name", equals: OrderedKey("pastel")) == nil)
            #expect(try items.first(txn, index: "name", equals: OrderedKey("pastel de queijo"))?.key == 1)
            #expect(try items.lookup(txn, index: "category", equals: OrderedKey("salgados")).items.isEmpty)
            #expect(try items.lookup(txn, index: "category", equals: OrderedKey("lanches")).items.map(\.key) == [1])
            #expect(try items.lookup(txn, index: "tags", equals: OrderedKey("frito")).items.isEmpty)
            #expect(try items.lookup(txn, index: "tags", equals: OrderedKey("novo")).items.map(\.key) == [1])
            #expect(try items.lookup(txn, index: "tags", equals: OrderedKey("quente")).items.map(\.key) == [1])
            #expect(try items.indexEntryCount(txn, index: "tags") == 3)
        }
        // A freed unique key can be taken by another record.
        try await env.write { txn in try items.put(txn, 3, Item(name: "pastel")) }
        try await env.write { txn in _ = try items.delete(txn, 1) }
        try env.read { txn throws in
            #expect(try items.first(txn, index: "name", equals: OrderedKey("pastel"))?.key == 3)
            #expect(try items.lookup(txn, index: "tags", equals: OrderedKey("quente")).items.isEmpty)
            #expect(try items.indexEntryCount(txn, index: "name") == 2)
            #expect(try items.indexEntryCount(txn, index: "tags") == 1)
        }
        await store.discard()
    }

    @Test func compositeAndTimeRangesSortByValueNotByText() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        let base = Date(timeIntervalSince1970: 1_763_700_000)  // 2025-11-21
        // Prices that sort wrongly as text or as little-endian bytes, negative ones included.
        let prices: [Int64] = [1_000, -5, 9, 100, 0, -300, 256, 65_536]
        try await env.write { txn in
            for (i, price) in prices.enumerated() {
                try items.put(txn, UInt64(i + 1), Item(
                    name: "n\(i)", category: i % 2 == 0 ? "a" : "b", price: price,
                    at: base.addingTimeInterval(Double(i) * -3_600)))  // later ids are earlier in time
            }
        }
        try env.read { txn throws in
            let byPrice = try items.scan(txn, index: "categoryPrice", from: OrderedKey("a"), to: OrderedKey("a").prefixEnd)
            #expect(byPrice.items.map(\.value.price) == prices.enumerated().filter { $0.offset % 2 == 0 }.map(\.element).sorted())
            let band = try items.scan(txn, index: "categoryPrice", from: OrderedKey("b", Int64(-5)), to: OrderedKey("b", Int64(257)))
            #expect(band.items.map(\.value.price) == [-5, 100])  // b holds -5, 100, -300, 65536

            // The last three hours, newest first.
            let recent = try items.scan(txn, index: "time", from: OrderedKey(base.addingTimeInterval(-3 * 3_600 + 1)),
                                        to: OrderedKey(base.addingTimeInterval(1)), options: ScanOptions(reverse: true))
            #expect(recent.items.map(\.key) == [1, 2, 3])
            // All in time order, two per page.
            var keys: [UInt64] = []
            var cursor: PageCursor?
            repeat {
                let page = try items.scan(txn, index: "time", from: nil, to: nil, options: ScanOptions(limit: 2, after: cursor))
                keys += page.items.map(\.key)
                cursor = page.next
            } while cursor != nil
            #expect(keys == Array((1...UInt64(prices.count)).reversed()))
        }
        await store.discard()
    }

    @Test func stringKeysSortByteWiseAndEmbeddedNulsDoNotConfusePrefixes() throws {
        let words = ["b", "a", "ab", "a\u{0}", "a\u{0}b", "", "á", "Z"]
        let sorted = words.map { OrderedKey($0) }.sorted()
        #expect(sorted.map { k -> String in var r = OrderedKeyReader(k); return (try? r.readString()) ?? "?" }
                == ["", "Z", "a", "a\u{0}", "a\u{0}b", "ab", "b", "á"])
        // "a" as a whole component is not a prefix of "ab".
        #expect(!OrderedKey("ab").bytes.starts(with: OrderedKey("a").bytes))
        var reader = OrderedKeyReader(OrderedKey("x\u{0}y", Int64(-42), UInt64(7), Date(timeIntervalSince1970: 12.5), true))
        #expect(try reader.readString() == "x\u{0}y")
        #expect(try reader.readInt64() == -42)
        #expect(try reader.readUInt64() == 7)
        #expect(try reader.readDate() == Date(timeIntervalSince1970: 12.5))
        #expect(try reader.readBool())
        #expect(reader.isAtEnd)
    }

    @Test func anIndexAddedLaterIsBuiltFromExistingRecords() async throws {
        let folder = makeTemporaryFolder()
        let env = try await Environment.open(at: folder, configuration: .testing)
        let plain = try await env.collection("things", key: UInt64Key.self, value: BinaryCodec<Item>.self)
        try await env.write { txn in
            for i in 1...20 { try plain.put(txn, UInt64(i), Item(name: "t\(i)", category: i <= 5 ? "few" : "many")) }
        }
        let indexed = try await env.collection("things", key: UInt64Key.self, value: BinaryCodec<Item>.self,
                                                indexes: [.multi("category") { [OrderedKey($0.category)] }])
        try env.read { txn throws in
            #expect(try indexed.lookup(txn, index: "category", equals: OrderedKey("few")).items.map(\.key) == [1, 2, 3, 4, 5])
            #expect(try indexed.indexEntryCount(txn, index: "category") == 20)
        }
        await env.close()
        try? FileManager.default.removeItem(atPath: folder)
    }

    @Test func badNamesAreRefused() async throws {
        let store = try await TemporaryStore.make()
        await #expect(throws: StoreError(.invalidArgument, "")) {
            _ = try await store.environment.collection("a:b", key: UInt64Key.self, value: BytesCodec.self)
        }
        await #expect(throws: StoreError(.invalidArgument, "")) {
            _ = try await store.environment.collection("dup", key: UInt64Key.self, value: BinaryCodec<Item>.self,
                                                       indexes: [.multi("x") { _ in [] }, .multi("x") { _ in [] }])
        }
        let items = try await store.environment.items()
        #expect(throws: StoreError(.notFound, "")) {
            try store.environment.read { txn in try items.lookup(txn, index: "nope", equals: OrderedKey("x")) }
        }
        await store.discard()
    }
}
