import Foundation
import Store

/// One Bot API call waiting in the outbox: what to send, to which chat, and when it may go.
public struct OutboxEntry: BinaryCodable, Sendable, Equatable {
    /// The chat the call is about: calls to one chat go in the order they were queued.
    public var chatId: Int64
    /// The Bot API method (`sendMessage`).
    public var method: String
    /// The call's JSON body, exactly as it will be sent.
    public var payload: [UInt8]
    public var enqueuedAt: Date
    /// Sends that failed so far (network failures, 429s, 5xx).
    public var attempts: Int
    /// Not to be sent before this time (a 429's `retry_after`, or the backoff after a failure).
    public var notBefore: Date
    /// Whether Telegram's message limits apply: true for messages and edits, false for
    /// answers to button taps, which are not messages and must not wait behind them.
    public var paced: Bool
    /// Why the last attempt failed, for whoever looks at a stuck outbox.
    public var lastError: String?

    public init(chatId: Int64, method: String, payload: [UInt8], enqueuedAt: Date, attempts: Int = 0,
                notBefore: Date? = nil, paced: Bool = true, lastError: String? = nil) {
        self.chatId = chatId
        self.method = method
        self.payload = payload
        self.enqueuedAt = enqueuedAt
        self.attempts = attempts
        self.notBefore = notBefore ?? enqueuedAt
        self.paced = paced
        self.lastError = lastError
    }

    /// The layout's version, written first so that a later layout can still read this one.
    private static let layout: UInt8 = 1

    public func encode(to w: inout BinaryWriter) {
        w.writeByte(Self.layout)
        w.write(chatId)
        w.write(method)
        w.writeBytes(payload)
        w.write(enqueuedAt)
        w.write(attempts)
        w.write(notBefore)
        w.write(paced)
        w.write(lastError)
    }

    public init(from r: inout BinaryReader) throws {
        let layout = try r.readByte()
        guard layout == Self.layout else { throw StoreError(.decodingFailed, "outbox entry layout \(layout) is unknown") }
        chatId = try r.read()
        method = try r.read()
        payload = try r.readBytes()
        enqueuedAt = try r.read()
        attempts = try r.read()
        notBefore = try r.read()
        paced = try r.read()
        lastError = try r.read()
    }
}
