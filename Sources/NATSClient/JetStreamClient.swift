// A small blocking JetStream client over nats.c (the official NATS C client): streams, publishing
// with de-duplication and optimistic concurrency, direct reads and ordered push subscriptions.
//
// libnats is not linked: LibNATS.swift opens it with dlopen when the first client connects, so the
// self-contained release binary (liblmdb and the Swift runtime linked statically; Debian ships
// libnats only shared) runs on machines without libnats until someone configures NATS. Every C
// object made here is freed here, every natsStatus is checked, and a C error is a thrown NATSError.
// The calls block (network round trips): callers run them off the Swift concurrency pool.
internal import CNATS
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The settings of a stream; `ensureStream` creates it, or updates it to these when it exists.
public struct StreamSettings: Sendable, Equatable {
    public var name: String
    public var subjects: [String]
    /// The oldest message kept, in seconds; 0 keeps messages of any age.
    public var maxAge: Int64
    /// The most bytes kept; -1 is no limit.
    public var maxBytes: Int64
    /// How many servers hold the stream (1, 3 or 5 in a cluster).
    public var replicas: Int
    /// How long, in seconds, a message id is remembered for de-duplication; 0 is the server's default (2 min).
    public var duplicateWindow: Int64

    public init(
        name: String, subjects: [String], maxAge: Int64 = 0, maxBytes: Int64 = -1, replicas: Int = 1, duplicateWindow: Int64 = 0
    ) {
        self.name = name
        self.subjects = subjects
        self.maxAge = maxAge
        self.maxBytes = maxBytes
        self.replicas = replicas
        self.duplicateWindow = duplicateWindow
    }
}

/// A stream's sequences and size.
public struct StreamState: Sendable, Equatable {
    public var firstSequence: UInt64
    public var lastSequence: UInt64
    public var messages: UInt64
    public var bytes: UInt64

    public init(firstSequence: UInt64, lastSequence: UInt64, messages: UInt64, bytes: UInt64) {
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.messages = messages
        self.bytes = bytes
    }
}

/// The stream's answer to a publish.
public struct PublishAck: Sendable, Equatable {
    public var stream: String
    public var sequence: UInt64
    /// The message id was seen within the duplicate window: nothing was stored, `sequence` is the first one's.
    public var duplicate: Bool

    public init(stream: String, sequence: UInt64, duplicate: Bool) {
        self.stream = stream
        self.sequence = sequence
        self.duplicate = duplicate
    }
}

/// A message read from a stream by sequence or as a subject's last.
public struct StoredMessage: Sendable, Equatable {
    public var sequence: UInt64
    public var payload: [UInt8]
    public var headers: [String: String]

    public init(sequence: UInt64, payload: [UInt8], headers: [String: String]) {
        self.sequence = sequence
        self.payload = payload
        self.headers = headers
    }
}

/// A message delivered by an ordered subscription.
public struct StreamMessage: Sendable, Equatable {
    public var streamSequence: UInt64
    /// How many messages of the subscription's subject followed this one in the stream when it was sent.
    public var pending: UInt64
    public var payload: [UInt8]
    public var headers: [String: String]

    public init(streamSequence: UInt64, pending: UInt64, payload: [UInt8], headers: [String: String]) {
        self.streamSequence = streamSequence
        self.pending = pending
        self.payload = payload
        self.headers = headers
    }
}

/// C strings that live until `release()`: nats.c reads them during a call.
final class CStrings {
    private var pointers: [UnsafeMutablePointer<CChar>] = []

    func add(_ string: String) throws -> UnsafePointer<CChar> {
        guard let p = strdup(string) else {
            throw NATSError(status: nil, statusText: "out of memory", jetStreamCode: nil, context: "copying a string for nats.c")
        }
        pointers.append(p)
        return UnsafePointer(p)
    }

    func add(_ string: String?) throws -> UnsafePointer<CChar>? {
        guard let string else { return nil }
        return try add(string) as UnsafePointer<CChar>
    }

    func release() {
        for p in pointers { free(p) }
        pointers.removeAll()
    }
}

/// Seconds as nanoseconds (nats.c's unit for stream ages and windows), 0 for 0 or less, capped rather than overflowing.
func nanoseconds(seconds: Int64) -> Int64 {
    guard seconds > 0 else { return 0 }
    let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    return overflow ? Int64.max : product
}

extension Duration {
    /// Whole milliseconds, at least 0 (nats.c takes time-outs in ms).
    var natsMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        if seconds >= Int64.max / 1000 - 1 { return Int64.max / 1000 }
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

/// A connection to NATS with its JetStream context. Blocking calls; thread-safe (nats.c's connection
/// and JetStream context are). `close()` closes the connection; the C objects are freed on deinit.
public final class JetStreamClient: @unchecked Sendable {
    let lib: LibNATS
    private let connection: OpaquePointer
    private let context: OpaquePointer
    private let closed = Atomic<Bool>(false)

    private init(lib: LibNATS, connection: OpaquePointer, context: OpaquePointer) {
        self.lib = lib
        self.connection = connection
        self.context = context
    }

    deinit {
        lib.jsCtxDestroy(context)
        lib.connectionDestroy(connection)  // closes it first when still open
    }

    /// Connects to one of `servers` (nats://host:port), trying each; throws when none answers, or
    /// when libnats.so.3.4 (or the file TENDA_LIBNATS names) cannot be loaded. A connection that
    /// is lost later is closed (`state` "closed", calls throw), not mended: make a new client.
    public static func connect(servers: [String], name: String) throws -> JetStreamClient {
        let lib = try LibNATS.load()
        var options: OpaquePointer?
        var s = lib.optionsCreate(&options)
        guard s == NATS_OK, let options else { throw lib.error(s, context: "natsOptions_Create") }
        defer { lib.optionsDestroy(options) }
        let strings = CStrings()
        defer { strings.release() }

        var urls: [UnsafePointer<CChar>?] = try servers.map { try strings.add($0) as UnsafePointer<CChar> }
        s = urls.withUnsafeMutableBufferPointer { lib.optionsSetServers(options, $0.baseAddress, Int32($0.count)) }
        guard s == NATS_OK else { throw lib.error(s, context: "natsOptions_SetServers \(servers)") }
        s = lib.optionsSetName(options, try strings.add(name))
        guard s == NATS_OK else { throw lib.error(s, context: "natsOptions_SetName") }
        // No reconnecting inside nats.c: a lost connection closes, and the caller makes a new
        // client. nats.c 3.4.1 (Debian's) can close one socket twice when its reconnect thread
        // and read loop race (fixed upstream later), and in a process with other threads that
        // second close hits whatever descriptor took the number: glibc aborted a test run on
        // it. Making a new connection is cheap and gives the same outcome.
        s = lib.optionsSetAllowReconnect(options, false)
        guard s == NATS_OK else { throw lib.error(s, context: "natsOptions_SetAllowReconnect") }

        var connection: OpaquePointer?
        s = lib.connectionConnect(&connection, options)
        guard s == NATS_OK, let connection else {
            throw lib.error(s, context: "natsConnection_Connect \(servers)")
        }
        var jsOpts = jsOptions()
        s = lib.jsOptionsInit(&jsOpts)
        guard s == NATS_OK else {
            lib.connectionDestroy(connection)
            throw lib.error(s, context: "jsOptions_Init")
        }
        var context: OpaquePointer?
        s = lib.connectionJetStream(&context, connection, &jsOpts)
        guard s == NATS_OK, let context else {
            lib.connectionDestroy(connection)
            throw lib.error(s, context: "natsConnection_JetStream")
        }
        return JetStreamClient(lib: lib, connection: connection, context: context)
    }

    /// "connected", "connecting", "reconnecting", "disconnected", "draining" or "closed".
    public var state: String {
        switch lib.connectionStatus(connection) {
        case NATS_CONN_STATUS_CONNECTED: "connected"
        case NATS_CONN_STATUS_CONNECTING: "connecting"
        case NATS_CONN_STATUS_RECONNECTING: "reconnecting"
        case NATS_CONN_STATUS_DISCONNECTED: "disconnected"
        case NATS_CONN_STATUS_CLOSED: "closed"
        case NATS_CONN_STATUS_DRAINING_SUBS, NATS_CONN_STATUS_DRAINING_PUBS: "draining"
        default: "unknown"
        }
    }

    /// Closes the connection (idempotent); later calls throw. Subscriptions stop delivering.
    public func close() {
        if !closed.exchange(true, ordering: .acquiringAndReleasing) {
            lib.connectionClose(connection)
        }
    }

    /// Creates the stream, or updates it to `settings` when one of that name exists (file storage).
    public func ensureStream(_ settings: StreamSettings) throws {
        let strings = CStrings()
        defer { strings.release() }
        var config = jsStreamConfig()
        var s = lib.jsStreamConfigInit(&config)
        guard s == NATS_OK else { throw lib.error(s, context: "jsStreamConfig_Init") }
        let subjects = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: max(1, settings.subjects.count))
        defer { subjects.deallocate() }
        for (i, subject) in settings.subjects.enumerated() { subjects[i] = try strings.add(subject) }
        config.Name = try strings.add(settings.name)
        config.Subjects = subjects
        config.SubjectsLen = Int32(settings.subjects.count)
        config.Storage = js_FileStorage
        config.MaxAge = nanoseconds(seconds: settings.maxAge)
        config.MaxBytes = settings.maxBytes
        config.Replicas = Int64(max(1, settings.replicas))
        config.Duplicates = nanoseconds(seconds: settings.duplicateWindow)

        var info: UnsafeMutablePointer<jsStreamInfo>?
        var code = jsErrCode(rawValue: 0)
        s = lib.jsAddStream(&info, context, &config, nil, &code)
        if s == NATS_OK {
            lib.jsStreamInfoDestroy(info)
            return
        }
        guard code == JSStreamNameExistErr else { throw lib.error(s, code, "js_AddStream \(settings.name)") }
        info = nil
        code = jsErrCode(rawValue: 0)
        s = lib.jsUpdateStream(&info, context, &config, nil, &code)
        guard s == NATS_OK else { throw lib.error(s, code, "js_UpdateStream \(settings.name)") }
        lib.jsStreamInfoDestroy(info)
    }

    /// The stream's first and last sequence, message count and bytes; throws (isStreamNotFound) when there is none.
    public func streamState(_ name: String) throws -> StreamState {
        let strings = CStrings()
        defer { strings.release() }
        var info: UnsafeMutablePointer<jsStreamInfo>?
        var code = jsErrCode(rawValue: 0)
        let s = lib.jsGetStreamInfo(&info, context, try strings.add(name), nil, &code)
        guard s == NATS_OK, let info else { throw lib.error(s, code, "js_GetStreamInfo \(name)") }
        defer { lib.jsStreamInfoDestroy(info) }
        let state = info.pointee.State
        return StreamState(firstSequence: state.FirstSeq, lastSequence: state.LastSeq, messages: state.Msgs, bytes: state.Bytes)
    }

    /// Removes every message of the stream (its sequences go on from where they were).
    public func purgeStream(_ name: String) throws {
        let strings = CStrings()
        defer { strings.release() }
        var code = jsErrCode(rawValue: 0)
        let s = lib.jsPurgeStream(context, try strings.add(name), nil, &code)
        guard s == NATS_OK else { throw lib.error(s, code, "js_PurgeStream \(name)") }
    }

    /// Publishes and waits for the stream's acknowledgement. `messageId` de-duplicates within the
    /// stream's window (a repeat answers duplicate=true and stores nothing); `expectLastMessageId`
    /// makes the stream refuse unless its last message has that id (NATSError.isWrongLastMessageId).
    public func publish(
        subject: String, payload: [UInt8], headers: [String: String] = [:], messageId: String? = nil,
        expectLastMessageId: String? = nil, expectStream: String? = nil, timeout: Duration = .seconds(5)
    ) throws -> PublishAck {
        let strings = CStrings()
        defer { strings.release() }
        guard payload.count <= Int(Int32.max) else {
            throw NATSError(
                status: nil, statusText: "a payload of \(payload.count) bytes is too big", jetStreamCode: nil,
                context: "publish to \(subject)")
        }
        let subjectC = try strings.add(subject)
        var message: OpaquePointer?
        var s = payload.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                lib.msgCreate(&message, subjectC, nil, chars.baseAddress, Int32(chars.count))
            }
        }
        guard s == NATS_OK, let message else { throw lib.error(s, context: "natsMsg_Create \(subject)") }
        defer { lib.msgDestroy(message) }
        for (key, value) in headers.sorted(by: { $0.key < $1.key }) {
            s = lib.msgHeaderSet(message, try strings.add(key), try strings.add(value))
            guard s == NATS_OK else { throw lib.error(s, context: "natsMsgHeader_Set \(key)") }
        }
        var options = jsPubOptions()
        s = lib.jsPubOptionsInit(&options)
        guard s == NATS_OK else { throw lib.error(s, context: "jsPubOptions_Init") }
        options.MaxWait = max(1, timeout.natsMilliseconds)
        options.MsgId = try strings.add(messageId)
        options.ExpectLastMsgId = try strings.add(expectLastMessageId)
        options.ExpectStream = try strings.add(expectStream)

        var ack: UnsafeMutablePointer<jsPubAck>?
        var code = jsErrCode(rawValue: 0)
        s = lib.jsPublishMsg(&ack, context, message, &options, &code)
        guard s == NATS_OK, let ack else { throw lib.error(s, code, "publish to \(subject)") }
        defer { lib.jsPubAckDestroy(ack) }
        return PublishAck(
            stream: ack.pointee.Stream.map { String(cString: $0) } ?? "",
            sequence: ack.pointee.Sequence, duplicate: ack.pointee.Duplicate)
    }

    /// The stream's last message on `subject`; nil when the stream has none. Throws when there is no such stream.
    public func lastMessage(stream: String, subject: String) throws -> StoredMessage? {
        let strings = CStrings()
        defer { strings.release() }
        var message: OpaquePointer?
        var code = jsErrCode(rawValue: 0)
        let s = lib.jsGetLastMsg(&message, context, try strings.add(stream), try strings.add(subject), nil, &code)
        return try stored(s, code, message, "js_GetLastMsg \(stream) \(subject)")
    }

    /// The stream's message at `sequence`; nil when there is none (never stored, deleted or purged).
    public func message(stream: String, sequence: UInt64) throws -> StoredMessage? {
        let strings = CStrings()
        defer { strings.release() }
        var message: OpaquePointer?
        var code = jsErrCode(rawValue: 0)
        let s = lib.jsGetMsg(&message, context, try strings.add(stream), sequence, nil, &code)
        return try stored(s, code, message, "js_GetMsg \(stream) \(sequence)")
    }

    private func stored(_ s: natsStatus, _ code: jsErrCode, _ message: OpaquePointer?, _ what: String) throws -> StoredMessage? {
        if s == NATS_NOT_FOUND && code != JSStreamNotFoundErr {
            if let message { lib.msgDestroy(message) }
            return nil
        }
        guard s == NATS_OK, let message else { throw lib.error(s, code, what) }
        defer { lib.msgDestroy(message) }
        return StoredMessage(sequence: lib.msgGetSequence(message), payload: payload(message), headers: try headers(message))
    }

    /// An ordered consumer of `subject` in `stream` from `startSequence` (0 or 1: the first message):
    /// messages in stream order, no acks; nats.c re-creates the consumer after a gap or a lost server.
    public func subscribeOrdered(stream: String, subject: String, startSequence: UInt64) throws -> OrderedSubscription {
        let strings = CStrings()
        defer { strings.release() }
        var options = jsSubOptions()
        var s = lib.jsSubOptionsInit(&options)
        guard s == NATS_OK else { throw lib.error(s, context: "jsSubOptions_Init") }
        options.Stream = try strings.add(stream)
        options.Ordered = true
        if startSequence > 1 {
            options.Config.DeliverPolicy = js_DeliverByStartSequence
            options.Config.OptStartSeq = startSequence
        } else {
            options.Config.DeliverPolicy = js_DeliverAll
        }
        var subscription: OpaquePointer?
        var code = jsErrCode(rawValue: 0)
        s = lib.jsSubscribeSync(&subscription, context, try strings.add(subject), nil, &options, &code)
        guard s == NATS_OK, let subscription else {
            throw lib.error(s, code, "js_SubscribeSync \(stream) \(subject) from \(startSequence)")
        }
        return OrderedSubscription(client: self, subscription: subscription, what: "\(stream) \(subject)")
    }

    func payload(_ message: OpaquePointer) -> [UInt8] {
        let count = Int(lib.msgGetDataLength(message))
        guard count > 0, let data = lib.msgGetData(message) else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: count) { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }

    /// The message's headers (the first value of each key), e.g. Nats-Msg-Id beside the publisher's own.
    func headers(_ message: OpaquePointer) throws -> [String: String] {
        var keys: UnsafeMutablePointer<UnsafePointer<CChar>?>?
        var count: Int32 = 0
        let s = lib.msgHeaderKeys(message, &keys, &count)
        if s == NATS_NOT_FOUND { return [:] }
        guard s == NATS_OK else { throw lib.error(s, context: "natsMsgHeader_Keys") }
        defer { free(UnsafeMutableRawPointer(keys)) }
        guard let keys else { return [:] }
        var headers: [String: String] = [:]
        for i in 0..<Int(count) {
            guard let key = keys[i] else { continue }
            var value: UnsafePointer<CChar>?
            let v = lib.msgHeaderGet(message, key, &value)
            if v == NATS_OK, let value {
                headers[String(cString: key)] = String(cString: value)
            } else if v != NATS_NOT_FOUND {
                throw lib.error(v, context: "natsMsgHeader_Get")
            }
        }
        return headers
    }
}

/// An ordered push subscription. `next` from one thread at a time; `close` from any.
public final class OrderedSubscription: @unchecked Sendable {
    private let client: JetStreamClient
    private let subscription: OpaquePointer
    private let what: String
    private let closed = Atomic<Bool>(false)

    init(client: JetStreamClient, subscription: OpaquePointer, what: String) {
        self.client = client
        self.subscription = subscription
        self.what = what
    }

    deinit {
        client.lib.subscriptionDestroy(subscription)
    }

    /// The next message, or nil when none came within `timeout`.
    public func next(timeout: Duration) throws -> StreamMessage? {
        let lib = client.lib
        var message: OpaquePointer?
        let s = lib.subscriptionNextMsg(&message, subscription, max(1, timeout.natsMilliseconds))
        if s == NATS_TIMEOUT { return nil }
        guard s == NATS_OK, let message else { throw lib.error(s, context: "natsSubscription_NextMsg \(what)") }
        defer { lib.msgDestroy(message) }
        var meta: UnsafeMutablePointer<jsMsgMetaData>?
        let m = lib.msgGetMetaData(&meta, message)
        guard m == NATS_OK, let meta else { throw lib.error(m, context: "natsMsg_GetMetaData \(what)") }
        defer { lib.metaDataDestroy(meta) }
        return StreamMessage(
            streamSequence: meta.pointee.Sequence.Stream, pending: meta.pointee.NumPending,
            payload: client.payload(message), headers: try client.headers(message))
    }

    /// Unsubscribes (idempotent); `next` then throws.
    public func close() {
        if !closed.exchange(true, ordering: .acquiringAndReleasing) {
            _ = client.lib.subscriptionUnsubscribe(subscription)
        }
    }
}
