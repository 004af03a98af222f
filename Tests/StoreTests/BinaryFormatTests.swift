import Foundation
import Testing
@testable import Store

@Suite(.timeLimit(.minutes(1))) struct BinaryFormatTests {
    @Test func valuesRoundTrip() throws {
        let item = Item(name: "Pão de queijo 🧀", category: "", price: -9_223_372_036_854_775_807,
                        at: Date(timeIntervalSince1970: -86_400.25), tags: ["a", "", "ç"])
        #expect(try Item(binary: item.binaryEncoded()) == item)
        for n in [0, 1, -1, 63, -64, 64, 127, 128, 300, -300, Int.max, Int.min] {
            #expect(try Int(binary: n.binaryEncoded()) == n)
        }
        for n: UInt64 in [0, 127, 128, 16_383, 16_384, .max] {
            #expect(try UInt64(binary: n.binaryEncoded()) == n)
        }
        let optional: String? = nil
        #expect(try String?(binary: optional.binaryEncoded()) == nil)
        #expect(try [String: Int64](binary: ["b": 2, "a": -1].binaryEncoded()) == ["a": -1, "b": 2])
        #expect(try Double(binary: 12.5.binaryEncoded()) == 12.5)
    }

    /// Found by the `commands` and `records` fuzz targets: a stored `Int64.max` microseconds read
    /// back and written again (or a date far outside any calendar) trapped in the conversion.
    @Test func datesPastWhatMicrosecondsHoldAreKeptAtTheEndsNotTrapped() {
        #expect(Date(microsecondsSince1970: .max).microsecondsSince1970 == .max)
        #expect(Date(microsecondsSince1970: .min).microsecondsSince1970 == .min)
        #expect(Date(timeIntervalSince1970: 1e300).microsecondsSince1970 == .max)
        #expect(Date(timeIntervalSince1970: -.infinity).microsecondsSince1970 == .min)
        #expect(Date(timeIntervalSince1970: .nan).microsecondsSince1970 == 0)
        #expect(Date(microsecondsSince1970: 1_795_254_400_123_456).microsecondsSince1970 == 1_795_254_400_123_456)
        _ = OrderedKey(Date(microsecondsSince1970: .max))
    }

    @Test func smallIntegersTakeOneByte() {
        #expect(5.binaryEncoded().count == 1)
        #expect(UInt64(127).binaryEncoded().count == 1)
        #expect(UInt64(128).binaryEncoded().count == 2)
    }

    @Test func truncatedOrCorruptBytesAreADecodingErrorNotACrash() {
        let bytes = Item(name: "coxinha", tags: ["x"]).binaryEncoded()
        for cut in 0..<bytes.count {
            #expect(throws: StoreError.self) { try Item(binary: Array(bytes.prefix(cut))) }
        }
        #expect(throws: StoreError(.decodingFailed, "")) { try Bool(binary: [2]) }
        #expect(throws: StoreError(.decodingFailed, "")) { try String(binary: [2, 0xFF, 0xFE]) }
        #expect(throws: StoreError(.decodingFailed, "")) { try UInt64(binary: [UInt8](repeating: 0xFF, count: 11)) }
        // A huge element count is refused before any allocation.
        #expect(throws: StoreError(.decodingFailed, "")) { try [Int](binary: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) }
    }

    /// Found by the `records` fuzz target (Tests/Fuzz): a length or element count above
    /// `Int.max` trapped when it was turned into an `Int`, for strings, byte arrays, arrays and
    /// dictionaries alike. The first input is the fuzzer's own, for `[UInt8]`.
    @Test func aLengthOrCountBeyondIntIsADecodingErrorNotACrash() throws {
        #expect(throws: StoreError(.decodingFailed, "")) { try [UInt8](binary: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x09]) }
        let largest: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]  // 2⁶⁴ − 1
        let justAboveInt: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]  // 2⁶³
        for count in [largest, justAboveInt] {
            #expect(throws: StoreError(.decodingFailed, "")) { try String(binary: count + Array("abc".utf8)) }
            #expect(throws: StoreError(.decodingFailed, "")) { try [UInt8](binary: count + [1, 2, 3]) }
            #expect(throws: StoreError(.decodingFailed, "")) { try [Int](binary: count + [1, 2, 3]) }
            #expect(throws: StoreError(.decodingFailed, "")) { try [String: Int64](binary: count + [0, 2]) }
            #expect(throws: StoreError(.decodingFailed, "")) { try Item(binary: count) }
        }
        // The largest count that fits is still read.
        #expect(try [UInt8](binary: [3, 1, 2, 3]) == [1, 2, 3])
    }
}
