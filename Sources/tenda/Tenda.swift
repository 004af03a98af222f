import ArgumentParser

/// The `tenda` executable: one binary for the shop's store, server and bot.
@main
struct Tenda: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "tenda",
        abstract: "A realtime back end for Telegram shop bots and their MiniApps.",
        version: version,
        subcommands: [ServeCommand.self, DatabaseCommand.self, ImportCommand.self, UsersCommand.self, RunCommand.self, DoctorCommand.self]
    )
}
