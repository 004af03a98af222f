import BenchSupport
import Store

/// A full range scan in key order: raw C cursor, the Store's `forEachEncoded` on bytes, `forEach` decoding products.
struct ScanBenchmark {
    struct Result {
        /// Rows per second (best run).
        var raw = 0.0, bytes = 0.0, typed = 0.0
    }

    let set: DataSet

    func run(repeats: Int) throws -> Result {
        let expectedStock = (1...UInt64(set.records)).reduce(UInt64(0)) { $0 &+ UInt64(Product.stock(of: $1)) }
        var best = Result()
        for _ in 0..<repeats {
            let raw = try timed { try set.raw.scan() }
            let bytes = try timed { try scanBytes() }
            let typed = try timed { try scanTyped() }
            guard raw.result.rows == UInt64(set.records), bytes.result.rows == raw.result.rows, typed.result.rows == raw.result.rows else {
                throw BenchError("scans saw \(raw.result.rows) raw, \(bytes.result.rows) bytes, \(typed.result.rows) typed rows; expected \(set.records)")
            }
            guard bytes.result.checksum == raw.result.checksum, typed.result.checksum == expectedStock else {
                throw BenchError("scan checksums differ from what was stored")
            }
            let n = Double(set.records)
            best.raw = max(best.raw, n / raw.seconds)
            best.bytes = max(best.bytes, n / bytes.seconds)
            best.typed = max(best.typed, n / typed.seconds)
        }
        return best
    }

    /// `forEachEncoded` lends each value's bytes from the map, as raw C does.
    private func scanBytes() throws -> (rows: UInt64, checksum: UInt64) {
        let collection = set.bytes
        return try set.store.read { txn in
            var rows: UInt64 = 0
            var sum: UInt64 = 0
            try collection.forEachEncoded(txn) { _, value in
                rows += 1
                sum &+= UInt64(value.first ?? 0)
                return true
            }
            return (rows, sum)
        }
    }

    private func scanTyped() throws -> (rows: UInt64, checksum: UInt64) {
        let collection = set.products
        return try set.store.read { txn in
            var rows: UInt64 = 0
            var sum: UInt64 = 0
            try collection.forEach(txn) { record in
                rows += 1
                sum &+= UInt64(record.value.stock)
                return true
            }
            return (rows, sum)
        }
    }
}
