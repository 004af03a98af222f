import Foundation

/// Something the benchmark itself found wrong (a missing record, a checksum that differs).
public struct BenchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Seconds taken by `body`, and its result.
public func timed<T>(_ body: () throws -> T) rethrows -> (result: T, seconds: Double) {
    let start = ContinuousClock.now
    let result = try body()
    return (result, seconds(since: start))
}

public func timed<T>(_ body: () async throws -> T) async rethrows -> (result: T, seconds: Double) {
    let start = ContinuousClock.now
    let result = try await body()
    return (result, seconds(since: start))
}

private func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// SplitMix64: a small seeded generator, so every run reads the same keys in the same order.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Writes progress to standard error, keeping standard output for the results.
public func progress(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

extension Int {
    /// 1234567 → "1,234,567".
    public var grouped: String { Double(self).grouped }
}

extension Double {
    /// The value rounded to a whole number, with thousands separators.
    public var grouped: String {
        let digits = String(Int(self.rounded()))
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0, i % 3 == 0, c != "-" { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    /// The value with `places` decimals.
    public func fixed(_ places: Int) -> String { String(format: "%.\(places)f", self) }
}
