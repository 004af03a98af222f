import BenchSupport
import Store

/// Random point reads, all in one read transaction: raw C, the Store's bytes API, the Store's
/// typed API, and a typed view reading one field from the borrowed bytes.
///
/// Every variant reads the same keys in the same order and touches each value (adds up one
/// byte, or one decoded field), and the sums are checked, so no variant can skip work.
struct ReadBenchmark {
    struct Result {
        /// Reads per second (best run).
        var raw = 0.0, bytes = 0.0, typed = 0.0, view = 0.0
    }

    let set: DataSet
    let keys: [UInt64]

    func run(repeats: Int) throws -> Result {
        let expectedStock = keys.reduce(UInt64(0)) { $0 &+ UInt64(Product.stock(of: $1)) }
        var best = Result()
        // Variants take turns within each round, so a burst of noise hurts all of them alike.
        for _ in 0..<repeats {
            let raw = try timed { try set.raw.randomReads(keys) }
            let bytes = try timed { try readBytes() }
            guard bytes.result == raw.result else {
                throw BenchError("bytes reads summed \(bytes.result), raw C \(raw.result): not the same records")
            }
            let typed = try timed { try readTyped() }
            guard typed.result == expectedStock else {
                throw BenchError("typed reads summed stock \(typed.result), expected \(expectedStock)")
            }
            let view = try timed { try readView() }
            guard view.result == expectedStock else {
                throw BenchError("view reads summed stock \(view.result), expected \(expectedStock)")
            }
            let n = Double(keys.count)
            best.raw = max(best.raw, n / raw.seconds)
            best.bytes = max(best.bytes, n / bytes.seconds)
            best.typed = max(best.typed, n / typed.seconds)
            best.view = max(best.view, n / view.seconds)
        }
        return best
    }

    /// Decodes per second with no LMDB at all: 1,024 encoded products, cache-hot, decoded in turn
    /// `count` times (best of `repeats`). Tells how much of a typed read is the decoding.
    static func decodeOnly(count: Int, repeats: Int) throws -> Double {
        let encoded = (1...UInt64(1_024)).map { Product.sample($0).binaryEncoded() }
        let expected = (0..<count).reduce(UInt64(0)) { $0 &+ UInt64(Product.stock(of: UInt64($1 % encoded.count + 1))) }
        var best = 0.0
        for _ in 0..<repeats {
            let run = try timed { () throws -> UInt64 in
                var sum: UInt64 = 0
                for i in 0..<count {
                    sum &+= UInt64(try encoded[i % encoded.count].withUnsafeBytes { try Product(binary: $0) }.stock)
                }
                return sum
            }
            guard run.result == expected else { throw BenchError("decoding alone summed \(run.result), expected \(expected)") }
            best = max(best, Double(count) / run.seconds)
        }
        return best
    }

    /// `withEncodedValue`: the payload borrowed from the map, no copy; adds up its first byte.
    private func readBytes() throws -> UInt64 {
        let collection = set.bytes
        return try set.store.read { txn in
            var sum: UInt64 = 0
            for key in keys {
                let first = try withUnsafeBytes(of: key.bigEndian) { k in
                    try collection.withEncodedValue(txn, key: k) { value in value.first }
                }
                guard let first, let byte = first else { throw BenchError("no bytes record \(key)") }
                sum &+= UInt64(byte)
            }
            return sum
        }
    }

    /// `get`: looks up and decodes a whole `Product`; adds up its stock.
    private func readTyped() throws -> UInt64 {
        let collection = set.products
        return try set.store.read { txn in
            var sum: UInt64 = 0
            for key in keys {
                guard let product = try collection.get(txn, key) else { throw BenchError("no product \(key)") }
                sum &+= UInt64(product.stock)
            }
            return sum
        }
    }

    /// `withView`: looks up a product and reads its stock from the borrowed bytes, skipping
    /// the fields before it (no `Product`, no strings); adds up its stock.
    private func readView() throws -> UInt64 {
        let collection = set.products
        return try set.store.read { txn in
            var sum: UInt64 = 0
            for key in keys {
                guard let stock = try collection.withView(txn, key, { try $0.stock }) else { throw BenchError("no product \(key)") }
                sum &+= UInt64(stock)
            }
            return sum
        }
    }
}
