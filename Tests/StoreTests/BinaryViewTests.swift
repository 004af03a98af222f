import Foundation
import Testing
@testable import Store

/// A record with a field of every type the format stores, each read back through a view.
struct Everything: BinaryCodable, Equatable {
    enum Size: UInt8, BinaryCodable, BinarySkippable { case small = 1, large = 2 }

    struct Part: BinaryCodable, BinarySkippable, Equatable {
        var id: UInt64
        var label: String
        func encode(to w: inout BinaryWriter) { w.write(id); w.write(label) }
        init(from r: inout BinaryReader) throws { id = try r.read(); label = try r.read() }
        init(id: UInt64, label: String) { self.id = id; self.label = label }
        static func skip(_ r: inout BinaryReader) throws(StoreError) { try r.skip(UInt64.self); try r.skip(String.self) }
    }

    var flag = true
    var byte: UInt8 = 200
    var int = -123_456_789
    var int64: Int64 = .min
    var int32: Int32 = -7
    var uint64: UInt64 = .max
    var uint32: UInt32 = 70_000
    var double = -12.25
    var at = Date(microsecondsSince1970: 1_795_254_400_123_456)
    var name = "Pão de queijo mineiro grande 🧀"
    var note: String? = "sem glúten"
    var quantities: [Int64] = [3, -1, 0, 1 << 40]
    var size = Size.large
    var parts = [Part(id: 1, label: "massa"), Part(id: 300, label: "")]
    var last: Int64 = 42

    func encode(to w: inout BinaryWriter) {
        w.write(flag); w.write(byte); w.write(int); w.write(int64); w.write(int32); w.write(uint64); w.write(uint32)
        w.write(double); w.write(at); w.write(name); w.write(note); w.write(quantities); w.write(size); w.write(parts)
        w.write(last)
    }

    init(from r: inout BinaryReader) throws {
        flag = try r.read(); byte = try r.read(); int = try r.read(); int64 = try r.read(); int32 = try r.read()
        uint64 = try r.read(); uint32 = try r.read(); double = try r.read(); at = try r.read(); name = try r.read()
        note = try r.read(); quantities = try r.read(); size = try r.read(); parts = try r.read(); last = try r.read()
    }

    init() {}
}

/// The view's accessors: each walks to its field by skipping the ones before it.
extension BinaryView where Record == Everything {
    /// A reader past the first `count` fields.
    private func reader(skipping count: Int) throws -> BinaryReader {
        var r = reader
        for field in 0..<count {
            switch field {
            case 0: try r.skip(Bool.self)
            case 1: try r.skip(UInt8.self)
            case 2: try r.skip(Int.self)
            case 3: try r.skip(Int64.self)
            case 4: try r.skip(Int32.self)
            case 5: try r.skip(UInt64.self)
            case 6: try r.skip(UInt32.self)
            case 7: try r.skip(Double.self)
            case 8: try r.skip(Date.self)
            case 9: try r.skip(String.self)
            case 10: try r.skip(String?.self)
            case 11: try r.skip([Int64].self)
            case 12: try r.skip(Everything.Size.self)
            default: try r.skip([Everything.Part].self)
            }
        }
        return r
    }

    func field<T: BinaryCodable>(_ index: Int, as _: T.Type = T.self) throws -> T {
        var r = try reader(skipping: index)
        return try r.read()
    }

    /// The parts, lent: the reader is left past them, at `last`.
    func partsAndLast() throws -> (parts: BinaryArrayView<Everything.Part>, last: Int64) {
        var r = try reader(skipping: 13)
        let parts = try r.readArrayView(of: Everything.Part.self)
        return (parts, try r.read())
    }

    var name: BinaryStringView {
        get throws { var r = try reader(skipping: 9); return try r.readStringView() }
    }
}

@Suite(.timeLimit(.minutes(1))) struct BinaryViewTests {
    private let value = Everything()

    @Test func everyFieldTypeReadsBackThroughAView() throws {
        let bytes = value.binaryEncoded()
        try bytes.withUnsafeBytes { raw throws in
            let view = BinaryView<Everything>(raw)
            #expect(try view.field(0, as: Bool.self) == value.flag)
            #expect(try view.field(1, as: UInt8.self) == value.byte)
            #expect(try view.field(2, as: Int.self) == value.int)
            #expect(try view.field(3, as: Int64.self) == value.int64)
            #expect(try view.field(4, as: Int32.self) == value.int32)
            #expect(try view.field(5, as: UInt64.self) == value.uint64)
            #expect(try view.field(6, as: UInt32.self) == value.uint32)
            #expect(try view.field(7, as: Double.self) == value.double)
            #expect(try view.field(8, as: Date.self) == value.at)
            #expect(try view.field(9, as: String.self) == value.name)
            #expect(try view.field(10, as: String?.self) == value.note)
            #expect(try view.field(11, as: [Int64].self) == value.quantities)
            #expect(try view.field(12, as: Everything.Size.self) == value.size)
            #expect(try view.field(13, as: [Everything.Part].self) == value.parts)
            #expect(try view.field(14, as: Int64.self) == value.last)
            #expect(try view.decode() == value)
        }
    }

    @Test func anArrayIsWalkedElementByElementWithoutBuildingIt() throws {
        try value.binaryEncoded().withUnsafeBytes { raw throws in
            var (parts, last) = try BinaryView<Everything>(raw).partsAndLast()
            #expect(parts.count == value.parts.count)
            #expect(last == value.last)
            var walked: [Everything.Part] = []
            while let part = try parts.next() { walked.append(try part.decode()) }
            #expect(walked == value.parts)
            #expect(try parts.next() == nil)
        }
    }

    @Test func aNilOptionalAndEmptyArraysAreSkipped() throws {
        var value = Everything()
        value.note = nil
        value.quantities = []
        value.parts = []
        let bytes = value.binaryEncoded()
        try bytes.withUnsafeBytes { raw throws in
            let view = BinaryView<Everything>(raw)
            #expect(try view.field(10, as: String?.self) == nil)
            #expect(try view.field(14, as: Int64.self) == value.last)
        }
    }

    @Test func aStringIsComparedInPlaceAndCopiedOnlyWhenAsked() throws {
        try value.binaryEncoded().withUnsafeBytes { raw throws in
            let name = try BinaryView<Everything>(raw).name
            #expect(name.equals(value.name))
            #expect(!name.equals("Pão de queijo"))
            #expect(!name.equals(value.name + "!"))
            #expect(name.compare(value.name) == 0)
            #expect(name.compare("Pão") > 0)
            #expect(name.compare("Q") < 0)
            #expect(name.compare(value.name + " ") < 0)
            #expect(try name.string() == value.name)
        }
        // Lent bytes that are not UTF-8 compare bytewise but are refused as a String.
        var w = BinaryWriter()
        w.writeBytes([0x61, 0xFF])
        try w.bytes.withUnsafeBytes { raw throws in
            var r = BinaryReader(raw)
            let garbled = try r.readStringView()
            #expect(!garbled.equals("a"))
            #expect(garbled.compare("a") > 0)
            #expect(throws: StoreError(.decodingFailed, "")) { try garbled.string() }
        }
    }

    /// Every cut of a record, and bytes that are not a record at all, give a decoding error
    /// from every accessor: never a trap, never a read past the bytes.
    @Test func truncatedOrGarbledBytesAreAnErrorNotATrap() throws {
        let bytes = value.binaryEncoded()
        for cut in 0..<bytes.count {
            let prefix = Array(bytes.prefix(cut))
            prefix.withUnsafeBytes { raw in
                let view = BinaryView<Everything>(raw)
                #expect(throws: StoreError.self) { try view.field(14, as: Int64.self) }
                #expect(throws: StoreError.self) { try view.partsAndLast() }
                #expect(throws: StoreError.self) { try view.decode() }
            }
        }
        // A varint that never ends, an Optional tag that is neither 0 nor 1, a string length
        // past the end, an element count past the end.
        let upToName: [UInt8] = [1, 1] + [UInt8](repeating: 0, count: 14)  // fields 0...8, all zero
        let upToNote = upToName + [0]  // an empty name
        let garbled: [(bytes: [UInt8], field: Int)] = [
            ([1, 1] + [UInt8](repeating: 0xFF, count: 12), 3),
            (upToName + [0x7F, 0x61], 10),
            (upToNote + [7, 0], 11),
            (upToNote + [0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1], 12),
        ]
        for (bytes, field) in garbled {
            bytes.withUnsafeBytes { raw in
                #expect(throws: StoreError(.decodingFailed, "")) { try BinaryView<Everything>(raw).field(field, as: Int64.self) }
            }
        }
    }

    @Test func collectionsLendViewsByKeyAndInScans() async throws {
        let store = try await TemporaryStore.make()
        let env = store.environment
        let items = try await env.items()
        let stored = [
            Item(name: "coxinha", category: "salgados", price: 650),
            Item(name: "brigadeiro", category: "doces", price: 300),
            Item(name: "empada", category: "salgados", price: 700),
        ]
        try await env.write { txn in
            for (i, item) in stored.enumerated() { try items.put(txn, UInt64(i + 1), item) }
        }
        try env.read { txn throws in
            #expect(try items.withView(txn, 2) { try $0.price } == 300)
            #expect(try items.withView(txn, 2) { try $0.decode() } == stored[1])
            #expect(try items.withView(txn, 9) { try $0.price } == nil)

            var prices: [Int64] = []
            try items.forEachView(txn) { _, view in prices.append(try view.price); return true }
            #expect(prices == [650, 300, 700])

            var salgados: [UInt64] = []
            try items.forEachView(txn, index: "category", from: OrderedKey("salgados"), to: OrderedKey("salgados").prefixEnd) { key, view in
                #expect(try view.price >= 650)
                salgados.append(try UInt64Key.decode(key))
                return true
            }
            #expect(salgados == [1, 3])
        }
        await store.discard()
    }
}

extension BinaryView where Record == Item {
    /// Item writes name, category, then price.
    var price: Int64 {
        get throws { var r = reader; try r.skip(String.self); try r.skip(String.self); return try r.read() }
    }
}
