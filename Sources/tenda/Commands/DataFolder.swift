import Foundation
import Shop
import Store

/// The shop's data folder as the executable opens it: the store, and the token secret kept beside it.
enum DataFolder {
    /// The HS256 secret kept in `<dataDir>/token-secret` (32 random bytes, created on first use, mode 0600),
    /// unless one is given.
    static func tokenSecret(_ dataDir: String, given: String? = nil) throws -> [UInt8] {
        if let given {
            guard given.utf8.count >= 32 else { throw ValidationFailure("the token secret must be at least 32 bytes") }
            return Array(given.utf8)
        }
        let path = dataDir + "/token-secret"
        if let existing = FileManager.default.contents(atPath: path), existing.count >= 32 {
            return Array(existing)
        }
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data(secret), attributes: [.posixPermissions: 0o600]) else {
            throw ValidationFailure("cannot write \(path)")
        }
        return secret
    }

    /// Runs `body`, which opens the store in `dataDir` to write it; when another process
    /// writes the folder (the store holds one writer per folder), says so in the command
    /// line's words.
    static func explainingLock<T>(_ dataDir: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StoreError where error.code == .locked {
            throw ValidationFailure("another tenda is writing \(dataDir) (\(dataDir)/tenda.lock is locked); stop it first")
        }
    }

    /// Opens the store and the shop in `dataDir`; `create` allows a new, empty folder.
    /// `durability` is `.noSync` only for a bulk load that syncs once at its end.
    static func openShop(_ dataDir: String, create: Bool, currency: String = "BRL", owners: Set<Int64> = [],
                         durability: StoreConfiguration.Durability = .full) async throws -> Shop {
        if !create, !FileManager.default.fileExists(atPath: dataDir + "/data.mdb") {
            throw StoreError(.notFound, "no store at \(dataDir)")
        }
        var configuration = StoreConfiguration()
        configuration.createIfMissing = create
        configuration.durability = durability
        let environment = try await explainingLock(dataDir) { try await Environment.open(at: dataDir, configuration: configuration) }
        do {
            return try await Shop.open(environment, settings: ShopSettings(
                currency: currency, ownerTelegramIds: owners, tokenSecret: try tokenSecret(dataDir)))
        } catch {
            await environment.close()
            throw error
        }
    }
}

/// A refusal of the command line's input, printed as the error.
struct ValidationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
