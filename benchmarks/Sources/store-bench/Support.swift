import BenchSupport
import Foundation
import RawLMDB

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

