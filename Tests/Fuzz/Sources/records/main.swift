import Bot
import Foundation
import FuzzSupport
@testable import Shop
@testable import Store

// The store's binary records as a corrupted disk, a bad backup or a bug elsewhere could leave
// them: every record type of Store, Shop and Bot decoded from the fuzzer's bytes, the key
// readers, and a stored record (version + value) read, rewritten and deleted through a real
// typed collection with indexes. A bad record must throw `StoreError`, never trap.
//
// Byte 0 chooses the decoder (see `decoders`); the rest is the record. Whatever decodes is
// encoded again, and what the store wrote it must be able to read back.

/// Decodes `bytes` as `T`; when that works, checks the value survives a write and a read.
func roundTrip<T: BinaryCodable>(_: T.Type, _ bytes: UnsafeRawBufferPointer) {
    guard let value = try? T(binary: bytes) else { return }
    let encoded = value.binaryEncoded()
    do {
        _ = try T(binary: encoded)
    } catch {
        fatalError("\(T.self) decoded from \(Array(bytes)) encodes to \(encoded), which does not decode: \(error)")
    }
}

/// The decoders byte 0 chooses from. (A static, not a global: libFuzzer's `main` replaces this
/// file's top-level code, which therefore never runs; statics are set up on first use.)
enum Decoders {
    static let all: [@Sendable (UnsafeRawBufferPointer) -> Void] = [
    { roundTrip(User.self, $0) },
    { roundTrip(Product.self, $0) },
    { roundTrip(StockMovement.self, $0) },
    { roundTrip(Sale.self, $0) },
    { roundTrip(SaleLine.self, $0) },
    { roundTrip(Payment.self, $0) },
    { roundTrip(LedgerEntry.self, $0) },
    { roundTrip(Order.self, $0) },
    { roundTrip(StateTransition<Order.State>.self, $0) },
    { roundTrip(Contract.self, $0) },
    { roundTrip(Contract.Party.self, $0) },
    { roundTrip(StateTransition<Contract.State>.self, $0) },
    { roundTrip(Notice.self, $0) },
    { roundTrip(AuditEntry.self, $0) },
    { roundTrip(Session.self, $0) },
    { roundTrip(LoginCode.self, $0) },
    { roundTrip(IdempotencyRecord.self, $0) },
    { roundTrip(MediaFile.self, $0) },
    { roundTrip(MediaInfo.self, $0) },
    { roundTrip(SessionGrant.self, $0) },
    { roundTrip(RefreshSession.Outcome.self, $0) },
    { roundTrip(Done.self, $0) },
    { roundTrip(Role.self, $0) },
    { roundTrip(OutboxEntry.self, $0) },
    { roundTrip(Dialogue.self, $0) },
    // The generic building blocks, alone.
    { roundTrip([String: String].self, $0) },
    { roundTrip([UInt64].self, $0) },
    { roundTrip([String?].self, $0) },
    { roundTrip(Date.self, $0) },
    { roundTrip(Int32.self, $0) },
    { roundTrip(UInt32.self, $0) },
    { roundTrip(Double.self, $0) },
    { roundTrip(Bool.self, $0) },
    { roundTrip([UInt8].self, $0) },
    changeRecord,
    keys,
    storedRecord,
    ]
}

/// A change feed record, as the hub and the replicas read them.
func changeRecord(_ bytes: UnsafeRawBufferPointer) {
    guard let change = try? ChangeRecord(sequence: 1, body: bytes) else { return }
    let encoded = change.encodedBody(metadata: change.metadata.binaryEncoded())
    do {
        _ = try encoded.withUnsafeBytes { try ChangeRecord(sequence: 1, body: $0) }
    } catch {
        fatalError("a change record decoded from \(Array(bytes)) encodes to \(encoded), which does not decode: \(error)")
    }
}

/// The key codecs, and `OrderedKeyReader` reading components in the order the input's first bytes say.
func keys(_ bytes: UnsafeRawBufferPointer) {
    _ = try? UInt64Key.decode(bytes)
    _ = try? Int64Key.decode(bytes)
    _ = try? StringKey.decode(bytes)
    _ = try? OrderedKeyCodec.decode(bytes)
    guard let plan = bytes.first else { return }
    var reader = OrderedKeyReader(bytes: Array(bytes.dropFirst()))
    var step = plan
    for _ in 0..<4 {
        switch step & 3 {
        case 0: _ = try? reader.readUInt64()
        case 1: _ = try? reader.readInt64()
        case 2: _ = try? reader.readString()
        default: _ = try? reader.readDate()
        }
        _ = try? reader.readBool()
        step >>= 2
    }
    _ = OrderedKey(bytes: Array(bytes)).prefixEnd
}

/// The input as the stored bytes (8-byte version, then the value) of product 1 in a real
/// collection with indexes: read it, overwrite it (which decodes the old value to move its index
/// entries) and delete it, each in its own write so one failure does not hide the next.
func storedRecord(_ bytes: UnsafeRawBufferPointer) {
    let stored = Array(bytes)
    let products = RecordStore.products
    let product = Product(id: 1, name: "Coxinha", emoji: "", description: "", category: "Salgados", price: 650, currency: "BRL",
                          stock: 3, lowStockThreshold: 5, mediaIds: [], active: true, createdAt: Date(timeIntervalSince1970: 0),
                          updatedAt: Date(timeIntervalSince1970: 0))
    let actions: [@Sendable (WriteTransaction) throws -> Void] = [
        { txn in _ = try products.get(txn, 1); _ = try products.record(txn, 1); _ = try products.version(txn, 1) },
        { txn in try products.put(txn, 1, product) },
        { txn in try products.put(txn, 1, product, expecting: .version(2)) },
        { txn in _ = try products.delete(txn, 1) },
        { txn in _ = try products.scan(txn); _ = try products.lookup(txn, index: "category", equals: OrderedKey("Salgados")) },
    ]
    for action in actions {
        waitFor {
            _ = try? await RecordStore.environment.write { txn in
                try txn.rawPut(products.dbi, UInt64Key.encode(1), stored)
                try action(txn)
            }
        }
    }
}

/// A store with a product collection indexed as the shop's is, shared by every input.
enum RecordStore {
    static let environment: Environment = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-fuzz-records-\(UUID().uuidString)").path
        RecordStore.folder = folder
        atexit { if let folder = RecordStore.folder { try? FileManager.default.removeItem(atPath: folder) } }
        return waitFor { try! await Environment.open(at: folder, configuration: .testing) }
    }()
    static let products: TypedCollection<UInt64Key, BinaryCodec<Product>> = waitFor {
        try! await environment.collection("products", key: UInt64Key.self, value: BinaryCodec<Product>.self, indexes: [
            .multi("name") { [OrderedKey($0.name.lowercased())] },
            .multi("category") { [OrderedKey($0.category)] },
            .multi("lowStock") { $0.stock <= $0.lowStockThreshold ? [OrderedKey($0.stock)] : [] },
        ])
    }
    /// Read only by the exit handler.
    nonisolated(unsafe) static var folder: String?
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecords(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    guard let selector = input.first else { return 0 }
    Decoders.all[Int(selector) % Decoders.all.count](UnsafeRawBufferPointer(rebasing: input.dropFirst()))
    return 0
}
