import Foundation
import RawLMDB

/// Something the benchmark itself found wrong (a missing record, a checksum that differs).
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Seconds taken by `body`, and its result.
func timed<T>(_ body: () throws -> T) rethrows -> (result: T, seconds: Double) {
    let start = ContinuousClock.now
    let result = try body()
    return (result, seconds(since: start))
}

func timed<T>(_ body: () async throws -> T) async rethrows -> (result: T, seconds: Double) {
    let start = ContinuousClock.now
    let result = try await body()
    return (result, seconds(since: start))
}

private func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// SplitMix64: a small seeded generator, so every run reads the same keys in the same order.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `count` keys drawn from `1...records`: whole shuffled permutations of the keys, one after
/// another, so each key is read equally often and every run of every variant gets the same order.
func randomReadKeys(records: Int, count: Int, seed: UInt64 = 0x7E4D_A5EE_D000_0001) -> [UInt64] {
    var rng = SplitMix64(seed: seed)
    var keys: [UInt64] = []
    keys.reserveCapacity(count)
    var permutation = Array(1...UInt64(records))
    while keys.count < count {
        permutation.shuffle(using: &rng)
        keys.append(contentsOf: permutation.prefix(count - keys.count))
    }
    return keys
}

/// Bytes in every value's payload (the raw baseline stores 8 more: the version prefix).
let payloadSize = 100

/// The bytes-API payload of `key`, built by the same C function the raw baseline uses.
func payload(for key: UInt64) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: payloadSize) { buffer, count in
        raw_fill_payload(key, buffer.baseAddress, payloadSize)
        count = payloadSize
    }
}

/// Writes progress to standard error, keeping standard output for the results.
func progress(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

extension Int {
    /// 1234567 → "1,234,567".
    var grouped: String { Double(self).grouped }
}

extension Double {
    /// The value rounded to a whole number, with thousands separators.
    var grouped: String {
        let digits = String(Int(self.rounded()))
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0, i % 3 == 0, c != "-" { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    /// The value with `places` decimals.
    func fixed(_ places: Int) -> String { String(format: "%.\(places)f", self) }
}
