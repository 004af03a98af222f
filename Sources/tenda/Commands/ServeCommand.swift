import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Replication
import Server
import Shop
import Store
import TendaApp

/// `tenda serve`: the shop's REST API and live hub, on one port.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the REST API and the WebSocket hub over the shop in the data folder.")

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on (0 picks a free one).")
    var port: Int = 8080

    @Option(name: .long, help: "The store's folder (created when missing).")
    var dataDir: String = "./tenda-data"

    @Option(name: .long, help: ArgumentHelp(
        "The most the store's file may grow to (bytes, or with K, M, G or T: 2G). Writes beyond it are refused with 507 storage_full, as on a full disk.",
        valueName: "size"))
    var maxMapSize: String = "1T"

    @Option(name: .long, help: "The Telegram bot's token (or TELEGRAM_BOT_TOKEN).")
    var botToken: String?

    @Option(name: .long, help: ArgumentHelp(
        "The id of a bot whose token this server does not hold (or TELEGRAM_BOT_ID): its MiniApp's initData is accepted on Telegram's Ed25519 signature.",
        valueName: "id"))
    var botId: Int64?

    @Flag(name: .long, help: "The MiniApp runs in Telegram's test environment: check --bot-id signatures with Telegram's test key, not the production key.")
    var telegramTestEnvironment = false

    @Option(name: .long, help: ArgumentHelp(
        "Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed, as CIDR ranges (10.0.0.0/8,::1/128); repeatable (or TENDA_TRUSTED_PROXY). Others' are ignored.",
        valueName: "ranges"))
    var trustedProxy: [String] = []

    @Option(name: .long, help: "A Telegram user id that becomes owner on first sight; repeatable (or TENDA_OWNERS, comma-separated).")
    var owner: [Int64] = []

    @Option(name: .long, help: "The address people open the MiniApp at, for login links.")
    var publicURL: String?

    @Option(name: .long, help: "Oldest Telegram initData accepted, in seconds; 0 for no limit.")
    var initdataMaxAge: Double = 86_400

    @Option(name: .long, help: ArgumentHelp(
        "How long an access token is good for, in seconds (\(Int(ServeCommand.accessTokenLifetimes.lowerBound))–\(Int(ServeCommand.accessTokenLifetimes.upperBound))).",
        discussion: "Live connections are warned ahead of it and re-authenticate in place; a shorter life ends a stolen token sooner."))
    var accessTokenLifetime: Double = 15 * 60

    /// From a few seconds (to try the re-authentication) to a day.
    static let accessTokenLifetimes: ClosedRange<Double> = 5...86_400

    @Option(name: .long, help: "The access-token secret, 32 bytes or more (or TENDA_JWT_SECRET); made once and kept in the data folder when absent.")
    var jwtSecret: String?

    @Option(name: .long, help: "Browser origins allowed to call the API (the MiniApp's), comma-separated; \"*\" for any.")
    var allowedOrigins: String = ""

    @Option(name: .long, help: "Requests per second a signed-in user may make (bursts of 4× that).")
    var userRateLimit: Double = 50

    @Option(name: .long, help: "Requests per second an address without a token may make (bursts of 6× that).")
    var addressRateLimit: Double = 10

    @Option(name: .long, help: "The Bot API's base URL (or TELEGRAM_API): Telegram's, a local Bot API server, or a test stand-in.")
    var telegramAPI: String?

    @Option(name: .long, help: "A folder served at / instead of the MiniApp built into tenda, read on each request, for development (or TENDA_WEB_ROOT).")
    var webRoot: String?

    @Option(name: .long, help: "Who may read /metrics: public, owner (an owner's bearer token) or off (or TENDA_METRICS).")
    var metrics: String?

    @Option(name: .long, help: "Open connections at most, HTTP and WebSocket together; default: the open-file limit (ulimit -n) less 128.")
    var maxConnections: Int?

    @Option(name: .long, help: "Where backups go (the bot's /backup and --backup-every), each in a dated folder; default: DATA_DIR/backups.")
    var backupDir: String?

    @Option(name: .long, help: ArgumentHelp(
        "Take a backup this often while serving: a number with s, m, h or d (30m, 6h, 1d), from 1s to 30d. Default: none.",
        valueName: "interval"))
    var backupEvery: String?

    @Option(name: .long, help: "Keep this many backups in the backup folder (1 to 10000), deleting the oldest of tenda's own; default: all.")
    var backupKeep: Int?

    @Option(name: .long, help: ArgumentHelp(
        "Serve HTTPS with this PEM certificate chain (or TENDA_TLS_CERT); needs --tls-key. Reloaded on SIGHUP and when the file changes.",
        valueName: "file"))
    var tlsCert: String?

    @Option(name: .long, help: ArgumentHelp("The PEM private key of --tls-cert (or TENDA_TLS_KEY).", valueName: "file"))
    var tlsKey: String?

    @Option(name: .long, help: ArgumentHelp(
        "With TLS, also listen for plain HTTP on this port (80, say) and redirect every request to HTTPS.", valueName: "port"))
    var httpRedirectPort: Int?

    @Option(name: .long, help: ArgumentHelp(
        "The secret a primary shares with its replicas, \(ReplicationRole.minimumKeyLength) characters or more (or TENDA_REPLICATION_KEY). Alone: this node is a primary that answers replicas; with --replica-of: the key this replica sends.",
        valueName: "key"))
    var replicationKey: String?

    @Option(name: .long, help: ArgumentHelp(
        "Serve as a replica of the primary at this address (or TENDA_REPLICA_OF): reads here, every write forwarded there. Needs --replication-key.",
        valueName: "url"))
    var replicaOf: String?

    @Option(name: .long, help: ArgumentHelp(
        "NATS servers the change feed travels through, comma-separated (nats://10.0.0.7:4222,…; or TENDA_NATS): a primary ships its feed there, a replica follows it. Needs libnats3.4 and --replication-key.",
        valueName: "urls"))
    var nats: String?

    @Option(name: .long, help: "The JetStream stream that holds the feed.")
    var natsStream: String = "TENDA_FEED"

    @Option(name: .long, help: ArgumentHelp(
        "How long the stream keeps the feed (s, m, h or d, up to 30d): a replica away longer starts over from a snapshot.", valueName: "age"))
    var natsMaxAge: String = "7d"

    @Option(name: .long, help: ArgumentHelp(
        "How much of the feed the stream keeps at most (bytes, or with K, M, G or T), the oldest going first.", valueName: "size"))
    var natsMaxBytes: String = "1G"

    @Option(name: .long, help: "Copies of the stream in a NATS cluster: 1, or 3 (or 5) to outlive a server.")
    var natsReplicas: Int = 1

    @Flag(name: .long, help: "On an empty data folder, load fixtures/demo-shop.json and print a one-time owner login link.")
    var demo = false

    @Option(name: .long, help: "The demo shop document used by --demo.")
    var demoFile: String = "fixtures/demo-shop.json"

    /// Numbers from the command line are bounded here, before any arithmetic on them.
    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard initdataMaxAge.isFinite, initdataMaxAge >= 0 else { throw ValidationError("--initdata-max-age must be 0 (no limit) or more seconds") }
        guard accessTokenLifetime.isFinite, Self.accessTokenLifetimes.contains(accessTokenLifetime) else {
            throw ValidationError("--access-token-lifetime must be \(Int(Self.accessTokenLifetimes.lowerBound)) to \(Int(Self.accessTokenLifetimes.upperBound)) seconds")
        }
        if let backupEvery, Self.interval(backupEvery) == nil {
            throw ValidationError("--backup-every must be a number with s, m, h or d, from 1s to 30d (like 30m or 6h)")
        }
        if let backupKeep, !(1...10_000).contains(backupKeep) { throw ValidationError("--backup-keep must be 1 to 10000") }
        if let httpRedirectPort, !(0...65_535).contains(httpRedirectPort) { throw ValidationError("--http-redirect-port must be 0 to 65535") }
        if Self.interval(natsMaxAge) == nil { throw ValidationError("--nats-max-age must be a number with s, m, h or d, from 1s to 30d (like 7d)") }
        if Self.byteCount(natsMaxBytes) == nil { throw ValidationError("--nats-max-bytes must be a size, like 512M or 1G") }
        if ![1, 3, 5].contains(natsReplicas) { throw ValidationError("--nats-replicas must be 1, 3 or 5") }
        for (name, rate) in [("--user-rate-limit", userRateLimit), ("--address-rate-limit", addressRateLimit)] {
            guard rate.isFinite, rate >= 0.01, rate <= 1_000_000 else { throw ValidationError("\(name) must be 0.01 to 1000000 per second") }
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        // A replica's folder first: an empty or stale one gets a snapshot of the primary, whose
        // token secret the configuration then reads.
        if case .replica(let primary, let key)? = try replicationRole(environment), let feed = try feedStream(environment) {
            var logger = Logger(label: "tenda")
            logger.logLevel = .info
            try await DataFolder.explainingLock(dataDir) {
                try await ReplicaSeed.prepare(dataFolder: dataDir, primary: PrimaryLink(primary: primary, key: key), feed: feed, logger: logger)
            }
        }
        let configuration = try appConfiguration(environment)
        let app = try await DataFolder.explainingLock(dataDir) { try await buildApplication(configuration: configuration) }
        if let login = app.demoLogin {
            // Written straight to the file descriptor: print() is block-buffered when stdout is a file.
            FileHandle.standardOutput.write(Data("""
                one-time login for \(login.ownerName) (owner): \(login.link)
                  or: curl \(login.publicURL)/api/auth/code -H 'Content-Type: application/json' -d '{"code":"\(login.code)"}'

                """.utf8))
        }
        try await app.runService()
    }

    /// What this command was told, by flags and by the process's environment, as the one
    /// configuration the application is built from. Refuses what cannot be served.
    func appConfiguration(_ environment: [String: String]) throws -> AppConfiguration {
        guard let metricsAccess = MetricsAccess(rawValue: metrics ?? environment["TENDA_METRICS"] ?? "public") else {
            throw ValidationFailure("--metrics must be public, owner or off")
        }
        let botToken = botToken ?? environment["TELEGRAM_BOT_TOKEN"]
        let botId = try botId ?? environment["TELEGRAM_BOT_ID"].map { text in
            guard let id = Int64(text.trimmingCharacters(in: .whitespaces)) else { throw ValidationFailure("TELEGRAM_BOT_ID must be a bot's numeric id") }
            return id
        }
        if let botId, botId <= 0 { throw ValidationFailure("--bot-id must be a bot's id, a positive number") }
        let trustedProxies: TrustedProxies
        let (proxySource, proxyList) = trustedProxy.isEmpty
            ? ("TENDA_TRUSTED_PROXY", environment["TENDA_TRUSTED_PROXY"] ?? "") : ("--trusted-proxy", trustedProxy.joined(separator: ","))
        do {
            trustedProxies = try TrustedProxies(parsing: proxyList)
        } catch {
            throw ValidationFailure("\(proxySource): \(error)")
        }
        // Before the token secret is made: a refused setting leaves the data folder untouched.
        let replication = try replicationRole(environment)
        let feed = try feedStream(environment)
        if case .replica? = replication, demo { throw ValidationFailure("--demo loads a shop into the primary, not into a replica (--replica-of)") }
        let owners = Set(owner + (environment["TENDA_OWNERS"] ?? "").split(separator: ",").compactMap { Int64($0.trimmingCharacters(in: .whitespaces)) })
        let secret = try DataFolder.tokenSecret(dataDir, given: jwtSecret ?? environment["TENDA_JWT_SECRET"])
        var logger = Logger(label: "tenda")
        logger.logLevel = .info

        var store = StoreConfiguration()
        guard let ceiling = Self.byteCount(maxMapSize), ceiling >= 1 << 20 else {
            throw ValidationFailure("--max-map-size must be a size of 1M or more, like 512M or 2G")
        }
        store.maxMapSize = ceiling
        // Reconnecting clients resume from the feed; a month of history is plenty for that.
        store.feedRetention = FeedRetention(maxAge: 30 * 86_400)

        var server = ServerConfiguration(
            host: host, port: port, botToken: botToken, initDataMaxAge: initdataMaxAge, publicURL: publicURL,
            allowedOrigins: Set(allowedOrigins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }),
            userRateLimit: (burst: userRateLimit * 4, perSecond: userRateLimit),
            addressRateLimit: (burst: addressRateLimit * 6, perSecond: addressRateLimit))
        server.metricsAccess = metricsAccess
        server.botId = botId
        server.telegramEnvironment = telegramTestEnvironment ? .test : .production
        server.trustedProxies = trustedProxies
        if !trustedProxies.isEmpty { logger.info("X-Forwarded-For and X-Forwarded-Proto are believed from \(trustedProxies) (--trusted-proxy)") }
        if let maxConnections {
            guard maxConnections > 0 else { throw ValidationFailure("--max-connections must be at least 1") }
            server.maxConnections = maxConnections
        }
        logger.info("at most \(server.maxConnections) connections (--max-connections)")
        server.tls = try tlsSettings(environment)
        if let httpRedirectPort {
            guard server.tls != nil else { throw ValidationFailure("--http-redirect-port redirects to HTTPS: give --tls-cert and --tls-key too") }
            server.httpRedirectPort = httpRedirectPort
        }
        // The MiniApp is built into the binary; a folder is read only when one is named.
        server.webRoot = webRoot ?? environment["TENDA_WEB_ROOT"]
        if let folder = server.webRoot {
            guard FileManager.default.fileExists(atPath: folder + "/index.html") else {
                throw ValidationFailure("--web-root (or TENDA_WEB_ROOT) \(folder) has no index.html")
            }
            logger.info("serving the MiniApp from \(folder) (--web-root), not the copy built into tenda")
        }

        var configuration = AppConfiguration(
            dataFolder: dataDir,
            shop: ShopSettings(ownerTelegramIds: owners, tokenSecret: secret, accessTokenLifetime: accessTokenLifetime),
            store: store, demoFile: demo ? demoFile : nil, server: server, logger: logger)
        configuration.backups = AppConfiguration.BackupSchedule(
            folder: backupDir, every: backupEvery.flatMap(Self.interval), keep: backupKeep)
        if let every = configuration.backups.every {
            logger.info("a backup every \(every) into \(configuration.backups.folder ?? dataDir + "/backups") (--backup-every)")
        }
        configuration.replication = replication
        configuration.feedStream = feed
        if let feed {
            logger.info("change feed through NATS \(feed.servers.joined(separator: ",")), stream \(feed.stream) (--nats)")
        }
        switch replication {
        case .primary?: logger.info("primary: replicas that send the replication key are answered (--replication-key)")
        case .replica(let primary, _)?:
            logger.info("replica of \(primary.absoluteString): reads are served here, writes are forwarded there; the bot runs on the primary only (--replica-of)")
        case nil: break
        }
        if botToken != nil {
            var connection = AppConfiguration.BotConnection()
            if let api = telegramAPI ?? environment["TELEGRAM_API"] { connection.apiBaseURL = api }
            configuration.bot = connection
        }
        return configuration
    }

    /// This node among several, from `--replication-key` and `--replica-of` (or the environment); nil for a single box.
    func replicationRole(_ environment: [String: String]) throws -> ReplicationRole? {
        do {
            return try ReplicationRole.from(key: replicationKey ?? environment["TENDA_REPLICATION_KEY"],
                                            replicaOf: replicaOf ?? environment["TENDA_REPLICA_OF"])
        } catch {
            throw ValidationFailure(error.description)
        }
    }

    /// The stream the feed travels through, from `--nats` (or TENDA_NATS) and its settings; nil
    /// without NATS. A replica needs it; NATS needs the replication key (replicas take their
    /// first copy from the primary with it).
    func feedStream(_ environment: [String: String]) throws -> FeedStreamSettings? {
        let servers = (nats ?? environment["TENDA_NATS"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let role = try replicationRole(environment)
        guard !servers.isEmpty else {
            if case .replica? = role { throw ValidationFailure("--replica-of follows the primary's change feed through NATS: give --nats (or TENDA_NATS)") }
            return nil
        }
        guard role != nil else {
            throw ValidationFailure("--nats needs --replication-key (or TENDA_REPLICATION_KEY): replicas take their first copy from the primary with it")
        }
        for server in servers where !(server.hasPrefix("nats://") || server.hasPrefix("tls://")) {
            throw ValidationFailure("--nats takes NATS addresses like nats://10.0.0.7:4222; got \(server)")
        }
        return FeedStreamSettings(servers: servers, stream: natsStream, maxAge: Self.interval(natsMaxAge),
                                  maxBytes: Self.byteCount(natsMaxBytes).map(Int64.init), replicas: natsReplicas)
    }

    /// HTTPS's two files, from the flags or the environment; nil when neither is given.
    func tlsSettings(_ environment: [String: String]) throws -> TLSSettings? {
        let certificate = tlsCert ?? environment["TENDA_TLS_CERT"].flatMap { $0.isEmpty ? nil : $0 }
        let key = tlsKey ?? environment["TENDA_TLS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        switch (certificate, key) {
        case (nil, nil): return nil
        case let (certificate?, key?): return TLSSettings(certificateFile: certificate, keyFile: key)
        case (nil, _?): throw ValidationFailure("--tls-key needs --tls-cert (or TENDA_TLS_CERT): the certificate chain to serve")
        case (_?, nil): throw ValidationFailure("--tls-cert needs --tls-key (or TENDA_TLS_KEY): the certificate's private key")
        }
    }

    /// "512M", "2G", "1048576": a size in bytes, with an optional binary K, M, G or T suffix.
    static func byteCount(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let shifts: [Character: Int] = ["K": 10, "M": 20, "G": 30, "T": 40]
        var digits = Substring(trimmed)
        var shift = 0
        if let last = digits.last, let unit = shifts[last] {
            digits = digits.dropLast()
            shift = unit
        }
        guard let value = Int(digits), value > 0, value <= Int.max >> shift else { return nil }
        return value << shift
    }

    /// "90s", "30m", "6h", "1d": a whole number of seconds, minutes, hours or days, from one
    /// second to thirty days; nil for anything else.
    static func interval(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        guard let unit = trimmed.last.flatMap({ units[$0] }), let count = Int64(trimmed.dropLast()), count > 0,
              count <= 30 * 86_400 / unit else { return nil }
        return .seconds(count * unit)
    }
}
