import Store

/// The one error type of the shop: a code the edges map to HTTP statuses and bot replies.
public struct ShopError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// Input that breaks a field's rule (400); ``ShopError/field`` names the field.
        case invalidInput = "invalid_input"
        /// No signed-in user, or a token or code that is not valid (401).
        case notAuthenticated = "not_authenticated"
        /// The access token's session was ended: logout, ended from the sessions list, or its
        /// refresh family revoked (401): sign in again.
        case sessionEnded = "session_ended"
        /// The access token expired while a live connection used it (401): refresh, reconnect.
        case tokenExpired = "token_expired"
        /// The caller's role or relation to the record does not allow it (403).
        case forbidden
        /// The caller is blocked (403).
        case userBlocked = "user_blocked"
        case notFound = "not_found"
        /// A purchase or order asks for more than is in stock (409); ``ShopError/shortItems`` says what.
        case insufficientStock = "insufficient_stock"
        /// The record was changed since the version the caller had (412).
        case versionConflict = "version_conflict"
        /// A record with that identity exists already (409).
        case alreadyExists = "already_exists"
        /// The record's state does not allow this step (409), e.g. verifying a cancelled order.
        case invalidTransition = "invalid_transition"
        /// A business rule refuses it (422), e.g. paying more than is owed.
        case ruleBroken = "rule_broken"
        /// A total the command would build (a debt, a stock level, a figure) does not fit in
        /// 64 bits (422): refused, nothing written, instead of stopping the process.
        case outOfRange = "out_of_range"
        /// The same idempotency key was sent with different input (422).
        case idempotencyKeyReused = "idempotency_key_reused"
        /// The store failed (500); nothing was written.
        case storeFailure = "store_failure"
        /// No room to store the change (507): the disk is full or the store at its size limit.
        /// Nothing was written; reads go on, and the same request succeeds once there is room.
        case storageFull = "storage_full"
    }

    /// A line of a purchase or order that stock cannot cover.
    public struct ShortItem: Sendable, Equatable {
        public let productId: UInt64
        public let requested: Int64
        public let available: Int64

        public init(productId: UInt64, requested: Int64, available: Int64) {
            self.productId = productId
            self.requested = requested
            self.available = available
        }
    }

    public let code: Code
    public let message: String
    /// The input field at fault ("items[1].quantity"), when one is.
    public let field: String?
    public let shortItems: [ShortItem]

    public init(_ code: Code, _ message: String, field: String? = nil, shortItems: [ShortItem] = []) {
        self.code = code
        self.message = message
        self.field = field
        self.shortItems = shortItems
    }

    public var description: String { "ShopError.\(code.rawValue): \(message)" + (field.map { " (\($0))" } ?? "") }

    static func invalid(_ field: String, _ message: String) -> ShopError { ShopError(.invalidInput, message, field: field) }
    static func notFound(_ what: String) -> ShopError { ShopError(.notFound, "\(what) not found") }
    static let forbidden = ShopError(.forbidden, "your role does not allow this")
    static func outOfRange(_ field: String) -> ShopError {
        ShopError(.outOfRange, "\(field) would pass the largest number the shop keeps", field: field)
    }

    /// Equal when the codes and fields are: the message is for people.
    public static func == (lhs: ShopError, rhs: ShopError) -> Bool {
        lhs.code == rhs.code && lhs.field == rhs.field
    }

    /// A store error seen by the shop: version conflicts and unique violations keep their meaning.
    public init(_ error: StoreError) {
        switch error.code {
        case .versionConflict: self.init(.versionConflict, "the record was changed by someone else")
        case .uniqueViolation, .alreadyExists: self.init(.alreadyExists, error.message)
        case .outOfRange: self.init(.outOfRange, error.message)
        case .storageFull: self.init(.storageFull, "the shop's storage is full: nothing was written; reads go on, try again later")
        default: self.init(.storeFailure, error.message)
        }
    }
}
