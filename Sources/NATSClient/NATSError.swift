// The error every NATSClient call throws: a nats.c status, the JetStream API's error code when the
// server gave one, and what was being done. NATSClient resolves libnats at run time with dlopen
// (the release binary is one self-contained file; Debian ships libnats only shared), so a missing
// library is an error of this type too, never a crash.
internal import CNATS

/// A failed NATS or JetStream call, or a missing libnats.
public struct NATSError: Error, CustomStringConvertible, Sendable {
    /// The natsStatus value (0 is NATS_OK); nil when the error is NATSClient's own (libnats missing, a payload too big).
    public let status: Int?
    /// The library's text for the status, e.g. "Timeout", "Not Found".
    public let statusText: String
    /// The JetStream API error code, e.g. 10070 (wrong last msg ID), when the server answered with one.
    public let jetStreamCode: Int?
    /// nats.c's own last error text, when it says more than `statusText`.
    public let detail: String?
    /// What NATSClient was doing, e.g. "publish to orders.1".
    public let context: String
    /// libnats.so.3.4 (or the file TENDA_LIBNATS names) could not be opened, or lacks a function.
    public let isLibraryMissing: Bool

    public init(status: Int?, statusText: String, jetStreamCode: Int?, detail: String? = nil, context: String) {
        self.status = status
        self.statusText = statusText
        self.jetStreamCode = jetStreamCode
        self.detail = detail
        self.context = context
        self.isLibraryMissing = false
    }

    /// libnats.so could not be opened or lacks a function: `message` says which package to install.
    init(library message: String) {
        self.status = nil
        self.statusText = message
        self.jetStreamCode = nil
        self.detail = nil
        self.context = "loading libnats"
        self.isLibraryMissing = true
    }

    /// JSStreamWrongLastMsgIDErr: the stream's last message id is not `expectLastMessageId`.
    public var isWrongLastMessageId: Bool { jetStreamCode == 10070 }
    /// JSStreamWrongLastSequenceErr: the stream's last sequence is not the one expected.
    public var isWrongLastSequence: Bool { jetStreamCode == 10071 }
    /// JSStreamNotFoundErr.
    public var isStreamNotFound: Bool { jetStreamCode == 10059 }
    /// NATS_TIMEOUT: no answer in time (a publish may still have been stored; repeat it with the same message id).
    public var isTimeout: Bool { status == Int(NATS_TIMEOUT.rawValue) }

    public var description: String {
        if isLibraryMissing { return statusText }
        var s = "\(context): \(statusText)"
        if let jetStreamCode { s += " (JetStream error \(jetStreamCode))" }
        if let detail { s += ": \(detail)" }
        return s
    }
}
