import ArgumentParser
import Foundation
import Server
import Shop
import Store

/// `tenda run buy '{"buyerId": "u7", "items": [...]}'`: any command of the command table, on the
/// shop's own machine, through the same table as the REST routes and the socket.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one command of the shop (buy, recordPayment, createProduct…) on the data folder, with its JSON input.",
        discussion: "The input is the command's REST body, with the record's id where REST has it in the path (productId, orderId…). " +
            "It runs as the system (with an owner's rights) unless --as names a user; either way it is audited with the cli channel. " +
            "Prints the answer as JSON: the record under its name and id. Stop `tenda serve` on the folder first: one process writes it.")

    @Option(name: .long, help: "The store's folder.")
    var dataDir: String = "./tenda-data"

    @Option(name: .customLong("as"), help: "Run as this user (an id like u7), with their role.")
    var actor: String?

    @Flag(name: .long, help: "List the commands and exit.")
    var list = false

    @Argument(help: "The command's name.")
    var command: String?

    @Argument(help: "Its input, a JSON object (default {}).")
    var input: String = "{}"

    func run() async throws {
        if list {
            print(tableCommandNames.joined(separator: "\n"))
            return
        }
        guard let command else { throw ValidationFailure("name a command (tenda run --list shows them)") }
        var principal = Principal.system(.cli)
        if let actor {
            guard let id = EntityKind.user.parse(actor) else { throw ValidationFailure("--as must be a user's id, like u7") }
            principal = .user(id, via: .cli)
        }
        let shop = try await DataFolder.openShop(dataDir, create: false)
        let answer: (data: Data, sequence: UInt64?)
        do {
            answer = try await runTableCommand(command, params: Data(input.utf8), shop: shop, as: principal)
        } catch {
            await shop.close()
            throw ValidationFailure("\(command) refused: \(Self.describe(error))")
        }
        await shop.close()
        FileHandle.standardOutput.write(answer.data + Data("\n".utf8))
    }

    /// The refusal in the contract's words: its code and message.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as ShopError: "\(error.code.rawValue): \(error.message)"
        case let error as APIError: "\(error.code): \(error.message)"
        case let error as DecodingError: "invalid_input: the input does not match the command (\(error))"
        default: "\(error)"
        }
    }
}
