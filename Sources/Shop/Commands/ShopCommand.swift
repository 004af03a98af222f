import Store

/// Who may run a command at all (finer rules, such as "only the order's customer", are
/// checked by the command against the records it touches).
public enum Access: Sendable, Equatable {
    /// Anyone, signed in or not (signing in, redeeming a login code).
    case anyone
    /// Signed-in users holding at least this role.
    case role(Role)
}

/// One business action: the only way anything in the shop changes.
///
/// A command is plain input. ``Shop/execute(_:as:idempotencyKey:at:)`` validates it, then
/// runs it in one store write with the principal's current role checked, writes an audit
/// entry, and, with an idempotency key, keeps its answer for replays.
public protocol ShopCommand: Sendable {
    associatedtype Result: BinaryCodable & Sendable

    /// The command's name in the audit trail and the command bridge ("buy", "verifyOrder").
    static var name: String { get }
    static var access: Access { get }

    /// Checks the input alone, before the store is touched: field-level errors.
    func validate() throws(ShopError)

    /// Does the work inside the write transaction. Throwing rolls back everything it wrote.
    func execute(_ context: CommandContext) throws -> Result

    /// What the audit trail keeps of the input: ids and amounts, never secrets.
    var summary: String { get }
}

extension ShopCommand {
    public func validate() throws(ShopError) {}
}

/// A command's answer when there is nothing to return but success.
public struct Done: Sendable, Equatable, BinaryCodable {
    public init() {}
    public func encode(to w: inout BinaryWriter) {}
    public init(from r: inout BinaryReader) throws {}
}
