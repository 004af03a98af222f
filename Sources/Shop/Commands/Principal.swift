/// Who is asking, and through which door: every command and query takes one.
///
/// The role is not carried here: it is read from the store inside each command, so a
/// role change or a block takes effect at once, whatever token the caller still holds.
public struct Principal: Sendable, Equatable {
    public enum Identity: Sendable, Equatable {
        /// A signed-in user.
        case user(UInt64)
        /// The shop's own machine (the CLI, an import): an owner's rights, no user record.
        case system
        /// Nobody signed in yet (signing in, redeeming a login code).
        case anonymous
    }

    public var identity: Identity
    public var channel: Channel
    public var clientAddress: String?
    public var userAgent: String?

    public init(_ identity: Identity, channel: Channel, clientAddress: String? = nil, userAgent: String? = nil) {
        self.identity = identity
        self.channel = channel
        self.clientAddress = clientAddress
        self.userAgent = userAgent
    }

    public var userId: UInt64? {
        if case .user(let id) = identity { return id }
        return nil
    }

    public static func user(_ id: UInt64, via channel: Channel, clientAddress: String? = nil, userAgent: String? = nil) -> Principal {
        Principal(.user(id), channel: channel, clientAddress: clientAddress, userAgent: userAgent)
    }

    public static func system(_ channel: Channel = .cli) -> Principal {
        Principal(.system, channel: channel)
    }

    public static func anonymous(via channel: Channel, clientAddress: String? = nil, userAgent: String? = nil) -> Principal {
        Principal(.anonymous, channel: channel, clientAddress: clientAddress, userAgent: userAgent)
    }
}
