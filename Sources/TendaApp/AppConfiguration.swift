import Bot
import Logging
import Realtime
import Replication
import Server
import Shop
import Store

/// Everything `tenda serve` is configured by, in one value: `serve` builds it from its flags and
/// environment, the tests build it for a temporary folder, and ``buildApplication(configuration:)``
/// builds the same application from either.
public struct AppConfiguration: Sendable {
    /// The store's folder (created when missing, unless ``store`` says otherwise).
    public var dataFolder: String
    /// How the store is opened: the map's ceiling, how much change feed is kept, durability.
    public var store: StoreConfiguration
    /// The owners named ahead, the access-token secret and lifetimes, the currency.
    public var shop: ShopSettings
    /// The live hub's limits (slow consumers, replay pages).
    public var hub: HubConfiguration
    /// A shop document loaded when the shop has no users yet (`--demo`); with it, a one-time
    /// login code for the owner is issued (``TendaApplication/demoLogin``). nil loads nothing.
    public var demoFile: String?
    /// The HTTP server: address, limits, the MiniApp's folder, who may read `/metrics`, and
    /// Telegram's sign-in (bot token, bot id, test environment). Its `publicURL` is the address
    /// as given (nil when none was): login links then point at `http://host:port` (`https` with
    /// `server.tls`), and the bot takes updates by webhook only when it is an `https` address.
    public var server: ServerConfiguration
    /// How the in-process bot reaches Telegram. The bot runs when this and `server.botToken`
    /// are both given; with a token and no connection, the token only checks sign-ins.
    public var bot: BotConnection?
    /// Where the application logs, at the level it was given.
    public var logger: Logger
    /// Where backups go (the bot's `/backup` and the scheduled ones) and how often they are taken.
    public var backups = BackupSchedule()
    /// This node among several (`--replication-key`, `--replica-of`): a primary that answers
    /// its replicas, or a replica that forwards every write to its primary; nil is a single
    /// box. See ``Server/ReplicationRole``.
    public var replication: ReplicationRole?
    /// How a replica waits for its copy of the store to hold a write it forwarded; nil polls
    /// the feed head every 2 ms (``Server/PollingFeedHead``). For the store's follower mode to
    /// bring a notification, and for tests whose replica is not fed.
    public var replicaCatchUp: (any FeedHeadWaiting)?
    /// The longest a replica's forwarded answer waits for its copy to catch up; past it the
    /// answer goes out with `Replica-Caught-Up: false`.
    public var replicaCatchUpTimeout: Duration = .seconds(10)
    /// The NATS JetStream stream the change feed travels through (`--nats` and its settings):
    /// a primary ships its feed there, a replica follows it. Needed by a replica; nil on a single box.
    public var feedStream: FeedStreamSettings?

    /// Backups of the running store: the folder the bot's `/backup` writes into, and, with an
    /// interval, a backup every so often into the same folder, keeping the newest few.
    public struct BackupSchedule: Sendable {
        /// The backup folder; nil for `<data folder>/backups`.
        public var folder: String?
        /// How often to take a backup; nil for none but the bot's `/backup`.
        public var every: Duration?
        /// How many scheduled backups to keep (older ones of ours are deleted); nil keeps all.
        public var keep: Int?

        public init(folder: String? = nil, every: Duration? = nil, keep: Int? = nil) {
            self.folder = folder
            self.every = every
            self.keep = keep
        }
    }

    /// The backup folder in use: the one configured, else `<data folder>/backups`.
    var backupFolder: String { backups.folder ?? dataFolder + "/backups" }
    /// The token secret file `serve` keeps in the data folder (absent when the secret was given).
    var tokenSecretFile: String { dataFolder + "/" + BackupManifest.tokenSecretFileName }

    /// A configuration with `serve`'s defaults for everything but the folder and the shop's settings.
    public init(dataFolder: String, shop: ShopSettings, store: StoreConfiguration = StoreConfiguration(),
                hub: HubConfiguration = HubConfiguration(), demoFile: String? = nil, server: ServerConfiguration = ServerConfiguration(),
                bot: BotConnection? = nil, logger: Logger = Logger(label: "tenda")) {
        self.dataFolder = dataFolder
        self.shop = shop
        self.store = store
        self.hub = hub
        self.demoFile = demoFile
        self.server = server
        self.bot = bot
        self.logger = logger
    }

    /// How the in-process bot talks to the Bot API.
    public struct BotConnection: Sendable {
        /// Telegram's Bot API, a local Bot API server, or a test stand-in.
        public var apiBaseURL: String
        /// How fast the outbox may send (Telegram's published limits unless told otherwise).
        public var limits: SendingLimits
        /// How long one `getUpdates` long poll waits, in seconds.
        public var pollTimeout: Int

        /// Telegram's own Bot API, its published limits and 30-second long polls, unless told otherwise.
        public init(apiBaseURL: String = BotSettings.telegramAPI, limits: SendingLimits = .telegram, pollTimeout: Int = 30) {
            self.apiBaseURL = apiBaseURL
            self.limits = limits
            self.pollTimeout = pollTimeout
        }
    }

    /// Where login links and the bot's buttons point: the public address as given, else the
    /// address the server listens on (`https` when it serves TLS).
    var linkBase: String { server.publicURL ?? "\(server.tls == nil ? "http" : "https")://\(server.host):\(server.port)" }
}
