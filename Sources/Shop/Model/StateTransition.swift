import Foundation
import Store

/// One step of a record's life (an order's, a contract's): from which state to which,
/// by whom, when, and with what note.
public struct StateTransition<State: BinaryCodable & Sendable & Equatable>: Sendable, Equatable, BinaryCodable {
    /// Nil for the step that created the record.
    public var from: State?
    public var to: State
    public var actorId: UInt64?
    public var note: String
    public var at: Date

    public init(from: State?, to: State, actorId: UInt64?, note: String, at: Date) {
        self.from = from; self.to = to; self.actorId = actorId; self.note = note; self.at = at
    }

    public func encode(to w: inout BinaryWriter) { w.write(from); w.write(to); w.write(actorId); w.write(note); w.write(at) }
    public init(from r: inout BinaryReader) throws {
        from = try r.read(); to = try r.read(); actorId = try r.read(); note = try r.read(); at = try r.read()
    }
}
