import Bot
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Realtime
import Server
import ServiceLifecycle
import Shop
import Store

/// What ``buildApplication(configuration:)`` builds: the HTTP server over the shop, its hub and
/// bot, with the store's service first among its services so that it stops last.
///
/// A wrapper around the server's application rather than that application itself, so that
/// what was built can be reached from the value that runs it: `serve` prints ``demoLogin``,
/// and tests seed data through ``shop`` or wait on ``hub``. Read-only properties of the one
/// thing built, not a second way of building it.
public struct TendaApplication: ApplicationProtocol {
    public typealias Responder = RouterResponder<AppRequestContext>

    let base: Application<Responder>
    let store: StoreService
    /// The scheduled backups, when an interval was configured.
    let backups: BackupService?
    /// The feed's shipping to NATS (a primary with `--nats`) or following from it (a replica).
    let feedTravel: (any Service)?
    /// The store the application opened (and closes when its services stop).
    public let environment: Store.Environment
    /// The shop over ``environment``, as the routes and the bot use it.
    public let shop: Shop
    /// The live hub (a service of the application), whose subscribers the sockets are.
    public let hub: Hub
    /// The bot's commands; they answer `/api/commands/execute` and the socket's command
    /// messages whether or not the bot itself runs.
    public let conversation: Conversation
    /// The Telegram bot, when it runs (a token and a connection to Telegram were configured).
    public let bot: TelegramBot?
    /// The demo owner's one-time login, when a demo file was given and the shop has an owner.
    public let demoLogin: DemoLogin?

    public var responder: Responder { base.responder }
    public var server: HTTPServerBuilder { base.server }
    public var eventLoopGroup: any EventLoopGroup { base.eventLoopGroup }
    public var configuration: ApplicationConfiguration { base.configuration }
    public var logger: Logger { base.logger }
    @Sendable public func onServerRunning(_ channel: any NIOCore.Channel) async { await base.onServerRunning(channel) }
    /// The store's service first: the group stops services in reverse order, and the HTTP
    /// server (which Hummingbird adds after these) first of all; the scheduled backups next to
    /// last, so that a backup under way finishes before the store closes.
    public var services: [any Service] { [store] + (backups.map { [$0] } ?? []) + (feedTravel.map { [$0] } ?? []) + base.services }
    public var processesRunBeforeServerStart: [@Sendable () async throws -> Void] { base.processesRunBeforeServerStart }
}
