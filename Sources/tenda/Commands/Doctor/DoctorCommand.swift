import ArgumentParser
import Foundation
import Telegram

/// `tenda doctor`: checks a tenda installation and explains, one line each, what is well and
/// what is not; exits non-zero when any check fails.
///
/// Safe beside a serving tenda: it opens the store read-only, takes no lock and changes nothing.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the data folder, the store, backups, the certificate, the bot token and the clock.",
        discussion: "Each line starts with ok, warn, FAIL or skip. The exit status is 1 when any check failed.")

    @Option(name: .long, help: "The store's folder, as tenda serve is given it.")
    var dataDir: String = "./tenda-data"

    @Option(name: .long, help: ArgumentHelp("The folder holding the backups (default: DATA_DIR/backups, where the bot's /backup writes).", valueName: "dir"))
    var backupDir: String?

    @Option(name: .long, help: ArgumentHelp("The oldest the newest backup may be: 36h, 1d, 7d, or seconds.", valueName: "age"))
    var maxBackupAge: String = "1d"

    @Option(name: .long, help: ArgumentHelp("The ceiling tenda serve is given (--max-map-size): bytes, or with K, M, G or T.", valueName: "size"))
    var maxMapSize: String = "1T"

    @Option(name: .long, help: ArgumentHelp("The TLS certificate chain, PEM (or TENDA_TLS_CERT).", valueName: "file"))
    var tlsCert: String?

    @Option(name: .long, help: ArgumentHelp("The TLS certificate's private key, PEM (or TENDA_TLS_KEY).", valueName: "file"))
    var tlsKey: String?

    @Option(name: .long, help: "The Telegram bot's token (or TELEGRAM_BOT_TOKEN); checked with getMe.")
    var botToken: String?

    @Option(name: .long, help: "The Bot API's base URL (or TELEGRAM_API); default: Telegram's.")
    var telegramAPI: String?

    @Option(name: .long, help: ArgumentHelp("An HTTP(S) address whose Date header the clock is read against, instead of the Bot API's answer.", valueName: "url"))
    var clockURL: String?

    func run() async throws {
        let asked = try families(ProcessInfo.processInfo.environment)
        let checks = await Self.runAll(asked)
        // Written straight to the file descriptor: print() is block-buffered when stdout is a file.
        FileHandle.standardOutput.write(Data((checks.map(\.line).joined(separator: "\n") + "\n").utf8))
        if checks.contains(where: { $0.outcome == .fail }) { throw ExitCode(1) }
    }

    /// The checks to run, from the flags and, where a flag is absent, the environment `serve` reads.
    func families(_ environment: [String: String]) throws -> [any CheckFamily] {
        guard let ceiling = ServeCommand.byteCount(maxMapSize) else {
            throw ValidationFailure("--max-map-size must be a size like 512M or 2G")
        }
        guard let maxBackupAge = Self.seconds(maxBackupAge) else {
            throw ValidationFailure("--max-backup-age must be a time like 36h, 1d or 7d")
        }
        return [
            DataFolderChecks(folder: dataDir),
            StoreFileChecks(folder: dataDir, ceiling: ceiling),
            BackupChecks(parent: backupDir ?? dataDir + "/backups", maxAge: maxBackupAge, now: Date()),
            // An empty variable is no setting, as `serve` reads them.
            CertificateChecks(certificate: tlsCert ?? environment["TENDA_TLS_CERT"].flatMap { $0.isEmpty ? nil : $0 },
                              key: tlsKey ?? environment["TENDA_TLS_KEY"].flatMap { $0.isEmpty ? nil : $0 }, now: Date()),
            TelegramChecks(token: botToken ?? environment["TELEGRAM_BOT_TOKEN"],
                           apiURL: telegramAPI ?? environment["TELEGRAM_API"] ?? BotAPIClient.telegramURL, readsClock: clockURL == nil),
        ] + (clockURL.map { [ClockChecks(url: $0)] } ?? [])
    }

    /// Runs the families one after the other, in the order given, so the lines come in that order.
    static func runAll(_ families: [any CheckFamily]) async -> [Check] {
        var checks: [Check] = []
        for family in families { checks += await family.run() }
        return checks
    }

    /// "36h", "1d", "90m", "45s" or plain seconds, as seconds; nil when it is none of these.
    static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 7 * 86_400]
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let last = trimmed.last else { return nil }
        let (number, unit) = units[last].map { (trimmed.dropLast(), $0) } ?? (Substring(trimmed), 1)
        guard let value = Double(number), value.isFinite, value > 0 else { return nil }
        return value * unit
    }
}
