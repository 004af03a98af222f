import BenchSupport
import Foundation
import Store

/// The typed record: a shop product whose encoding is about 100 bytes, decoded with two
/// heap-allocated strings (the name and the category are longer than Swift's 15-byte inline strings).
struct Product: BinaryCodable, Sendable {
    var id: UInt64
    var name: String
    /// In cents.
    var price: Int64
    var stock: Int
    var category: String
    var updatedAt: Date

    init(id: UInt64, name: String, price: Int64, stock: Int, category: String, updatedAt: Date) {
        self.id = id
        self.name = name
        self.price = price
        self.stock = stock
        self.category = category
        self.updatedAt = updatedAt
    }

    func encode(to w: inout BinaryWriter) {
        w.write(id); w.write(name); w.write(price); w.write(stock); w.write(category); w.write(updatedAt)
    }

    init(from r: inout BinaryReader) throws {
        id = try r.read(); name = try r.read(); price = try r.read()
        stock = try r.read(); category = try r.read(); updatedAt = try r.read()
    }

    /// The product stored under `key`. Names and categories come from small pools built once,
    /// so making a product costs two retains, not string formatting.
    static func sample(_ key: UInt64) -> Product {
        Product(
            id: key,
            name: names[Int(key % UInt64(names.count))],
            price: Int64(100 + key % 9_900),
            stock: stock(of: key),
            category: categories[Int(key % UInt64(categories.count))],
            updatedAt: Date(timeIntervalSince1970: 1_750_000_000 + Double(key)))
    }

    /// The stock of the product under `key`: what the typed reads add up, to check they read the right records.
    static func stock(of key: UInt64) -> Int { Int(key % 1_000) }

    private static let names: [String] = {
        let kinds = [
            "Coxinha de frango com catupiry", "Pastel de carne com azeitonas",
            "Empada de palmito bem cremosa", "Kibe frito com hortela fresca",
            "Esfiha aberta de carne moida", "Pao de queijo mineiro grande",
            "Bolinha de queijo empanada", "Enroladinho de salsicha assado",
        ]
        return (0..<1_024).map { i in "\(kinds[i % kinds.count]), 120 g, lote \(1_000 + i)" }
    }()

    private static let categories = [
        "Salgados > Fritos > Tradicionais da casa", "Salgados > Assados > Integrais e leves",
        "Bebidas > Refrigerantes > Lata de 350 ml", "Doces > Brigadeiros > Gourmet sortidos",
        "Congelados > Para fritar > Pacote 1 kg", "Kits festa > Cento misto > Com entrega",
    ]
}

extension BinaryView where Record == Product {
    /// The stock, read in place: the fields before it (id, name, price) are skipped, not decoded.
    var stock: Int {
        get throws {
            var r = reader
            try r.skip(UInt64.self)
            try r.skip(String.self)
            try r.skip(Int64.self)
            return try r.read()
        }
    }
}

typealias BytesCollection = TypedCollection<UInt64Key, BytesCodec>
typealias ProductCollection = TypedCollection<UInt64Key, BinaryCodec<Product>>

/// One data set, stored three times: by raw C in its own environment, and by the Store as raw
/// bytes and as typed products (two collections of one Store environment). Keys are 1...records.
///
/// The raw C environment is separate because one process may open an LMDB environment only once,
/// and the Store holds its own open.
final class DataSet {
    let records: Int
    /// Holds both environments' folders.
    let folder: String
    let raw: RawEnvironment
    let store: Environment
    let bytes: BytesCollection
    let products: ProductCollection
    private init(records: Int, folder: String, raw: RawEnvironment, store: Environment, bytes: BytesCollection, products: ProductCollection) {
        self.records = records
        self.folder = folder
        self.raw = raw
        self.store = store
        self.bytes = bytes
        self.products = products
    }

    /// Creates the (empty) environments and collections under `folder`; ``PutBenchmark`` fills them.
    static func create(records: Int, folder: String) async throws -> DataSet {
        let rawFolder = folder + "/raw"
        try FileManager.default.createDirectory(atPath: rawFolder, withIntermediateDirectories: true)
        // 2 GiB maps: no growth during the workloads, so growth is not what gets measured.
        let mapSize = 2 << 30
        let raw = try RawEnvironment(path: rawFolder, mapSize: mapSize, durable: false)
        var configuration = StoreConfiguration()
        configuration.durability = .noSync
        configuration.mapSize = mapSize
        let store = try await Environment.open(at: folder + "/store", configuration: configuration)
        return DataSet(
            records: records, folder: folder, raw: raw, store: store,
            bytes: try await store.collection("bytes", key: UInt64Key.self, value: BytesCodec.self),
            products: try await store.collection("products", key: UInt64Key.self, value: BinaryCodec<Product>.self))
    }

    /// Closes both environments and deletes their files.
    func discard() async {
        await store.close()
        raw.close()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
