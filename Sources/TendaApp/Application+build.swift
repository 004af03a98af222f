import Bot
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Realtime
import Replication
import Server
import Shop
import Store

/// Builds everything `tenda serve` runs, from one configuration: the store, the shop (with the
/// demo loaded when asked), the hub, the bot's conversation, the bot when it has a token and a
/// connection, the webhook, the routes and the services. `serve` runs it; so do the tests.
///
/// The store is opened here and closed by the application's first service when the service
/// group stops; when building fails half-way, it is closed before the error is thrown.
public func buildApplication(configuration: AppConfiguration) async throws -> TendaApplication {
    // Before the store is opened: a certificate that cannot be served stops `serve` at once.
    let certificate = try configuration.server.tls.map { settings throws(CertificateFileError) in
        try ServingCertificate(settings: settings, logger: configuration.logger)
    }
    let environment = try await Store.Environment.open(at: configuration.dataFolder, configuration: configuration.store)
    do {
        return try await assemble(over: environment, configuration, certificate: certificate)
    } catch {
        await environment.close()
        throw error
    }
}

/// Everything above the store, over the store just opened.
private func assemble(over environment: Store.Environment, _ configuration: AppConfiguration,
                      certificate: ServingCertificate?) async throws -> TendaApplication {
    let logger = configuration.logger
    let shop = try await Shop.open(environment, settings: configuration.shop)
    var demoLogin: DemoLogin?
    if let demoFile = configuration.demoFile {
        // A replica's store is written by replication alone; the demo goes into the primary.
        if case .replica = configuration.replication { throw AppConfigurationError("--demo loads a shop into the primary, not into a replica") }
        demoLogin = try await loadDemo(demoFile, into: shop, configuration)
    }
    let hub = Hub(environment: environment, configuration: configuration.hub, queries: shop)
    let conversation = try await Conversation.open(shop: shop, environment: environment, settings: ConversationSettings(
        publicURL: configuration.linkBase, backupFolder: configuration.backupFolder, tokenSecretFile: configuration.tokenSecretFile))
    var bot: TelegramBot?
    if case .replica = configuration.replication {
        // The bot runs on the primary only (its commands write, and Telegram calls one webhook).
        // After the shop and the bot's collections are open (opening may build an index),
        // only the primary's feed writes this store's records.
        environment.becomeFollower()
    } else {
        bot = try await startBot(conversation, environment, configuration)
    }
    let feedTravel = makeFeedTravel(environment, configuration)
    let replication = configuration.replication.map { role in
        var setup = ReplicationSetup(role: role, tokenSecretFile: configuration.tokenSecretFile, catchUp: configuration.replicaCatchUp,
                                     status: feedTravel?.status)
        setup.catchUpTimeout = configuration.replicaCatchUpTimeout
        return setup
    }
    let webhook = bot?.webhookInbox.map { inbox in TelegramWebhook(secret: inbox.secret, deliver: inbox.deliver) }
    let server = Server.buildApplication(shop: shop, hub: hub, configuration: configuration.server, commandLine: conversation,
                                         telegramWebhook: webhook, certificate: certificate, services: bot?.services ?? [],
                                         replication: replication, logger: logger)
    let backups = configuration.backups.every.map { every in
        BackupService(shop: shop, folder: configuration.backupFolder, tokenSecretFile: configuration.tokenSecretFile,
                      every: every, keep: configuration.backups.keep, logger: logger)
    }
    return TendaApplication(base: server, store: StoreService(environment: environment), backups: backups, feedTravel: feedTravel?.service,
                            environment: environment, shop: shop, hub: hub, conversation: conversation, bot: bot, demoLogin: demoLogin)
}

/// How the change feed travels between nodes through NATS (ARCHITECTURE.md, "Beyond one
/// machine"): a primary given `--nats` ships it, a replica follows it and from here on takes
/// changes from it alone. nil on a single box, or a primary without NATS.
private func makeFeedTravel(_ environment: Store.Environment, _ configuration: AppConfiguration)
    -> (service: any Service, status: ReplicationStatus)? {
    // `tenda serve` refuses a replica without NATS; a test of the HTTP side may build one.
    guard let feed = configuration.feedStream else { return nil }
    switch configuration.replication {
    case .replica(let primary, let key)?:
        let status = ReplicationStatus(role: .replica)
        let link = PrimaryLink(primary: primary, key: key)
        let follower = ReplicaFollower(environment: environment, settings: feed, status: status,
                                       primaryStatus: { let answer = try await link.status(); return (answer.epoch, answer.head) },
                                       logger: configuration.logger)
        return (follower, status)
    case .primary?, nil:
        let status = ReplicationStatus(role: .primary)
        return (FeedShipper(environment: environment, settings: feed, status: status, logger: configuration.logger), status)
    }
}

/// Loads the shop document into a shop with no users yet, then issues its owner a one-time login.
///
/// The demo's history is moved to end at the moment it is loaded: recorded on a fixed past
/// day, it would otherwise show an empty "today" to anyone trying it later. A folder loaded
/// before keeps the times it was given then.
private func loadDemo(_ file: String, into shop: Shop, _ configuration: AppConfiguration) async throws -> DemoLogin? {
    if try shop.users(page: PageRequest(limit: 1), as: .system()).items.isEmpty {
        guard let json = FileManager.default.contents(atPath: file) else { throw AppConfigurationError("cannot read \(file)") }
        let summary = try await ShopImport.run(json, into: shop, timing: .endingAt(Date()))
        configuration.logger.info("demo shop loaded: \(summary.users) users, \(summary.products) products, \(summary.events) events, times moved \(Int(summary.shift)) s to end now")
    }
    guard let owner = try shop.users(page: PageRequest(limit: 200), as: .system()).items.first(where: { $0.value.role == .owner }) else {
        return nil
    }
    let code = try await shop.execute(IssueLoginCode(), as: .user(owner.key, via: .cli))
    return DemoLogin(ownerName: owner.value.name, code: code, publicURL: configuration.linkBase)
}

/// The in-process bot, when there is a token to run it with and a connection to Telegram.
private func startBot(_ conversation: Conversation, _ environment: Store.Environment, _ configuration: AppConfiguration) async throws -> TelegramBot? {
    let logger = configuration.logger
    guard let token = configuration.server.botToken, let connection = configuration.bot else {
        if let botId = configuration.server.botId {
            logger.info("no bot token: the Telegram bot is off; initData sign-in checks Telegram's signature for bot \(botId) (the command bridge still runs the bot's commands)")
        } else if configuration.server.botToken == nil {
            logger.info("no bot token: the Telegram bot and sign-in with initData are off; use login codes (the command bridge still runs the bot's commands)")
        }
        return nil
    }
    return try await TelegramBot.make(
        conversation: conversation, environment: environment,
        settings: BotSettings(token: token, apiBaseURL: connection.apiBaseURL, publicURL: configuration.server.publicURL),
        limits: connection.limits, pollTimeout: connection.pollTimeout, logger: logger)
}

/// A configuration the application cannot be built from (a demo file that cannot be read).
public struct AppConfigurationError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
