import BenchSupport
import Foundation
import RawLMDB
import Store

/// Puts in large batches, `batch` per write transaction: the fill of a data set, timed per variant.
///
/// Keys are new and go in ascending order. Every variant writes the same keys and the same
/// number of value bytes; the Store also keeps its change feed, which raw C does not have.
struct PutBenchmark {
    struct Result {
        /// Puts per second (one run: a fill cannot be repeated on the same data).
        var raw = 0.0, bytes = 0.0, typed = 0.0
    }

    let set: DataSet
    let batch: Int

    func run() async throws -> Result {
        let records = set.records, store = set.store
        var rates = Result()
        let keys = Array(1...UInt64(records))
        // Each fill starts with no dirty pages left by the one before: the kernel writing those
        // back would slow the next fill's writes down.
        sync()
        rates.raw = Double(records) / (try timed { try set.raw.putBatches(keys, batch: batch) }.seconds)

        let bytes = set.bytes
        sync()
        rates.bytes = Double(records) / (try await timed {
            for start in stride(from: 1, through: records, by: batch) {
                let range = UInt64(start)...UInt64(min(start + batch - 1, records))
                try await store.write { txn in
                    // One buffer, rewritten in place for each key: put copies it, so no array is allocated per put.
                    var value = [UInt8](repeating: 0, count: payloadSize)
                    for key in range {
                        value.withUnsafeMutableBufferPointer { raw_fill_payload(key, $0.baseAddress, payloadSize) }
                        try bytes.put(txn, key, value)
                    }
                }
            }
        }.seconds)

        let products = set.products
        sync()
        rates.typed = Double(records) / (try await timed {
            for start in stride(from: 1, through: records, by: batch) {
                let range = UInt64(start)...UInt64(min(start + batch - 1, records))
                try await store.write { txn in
                    for key in range { try products.put(txn, key, Product.sample(key)) }
                }
            }
        }.seconds)

        let (bytesCount, productCount) = try store.read { txn in (try bytes.count(txn), try products.count(txn)) }
        guard bytesCount == records, productCount == records else {
            throw BenchError("filled \(bytesCount) byte records and \(productCount) products, expected \(records) each")
        }
        return rates
    }
}
