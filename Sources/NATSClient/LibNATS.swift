// The functions of nats.c (the official NATS C client, Debian's libnats3.4), resolved at run time.
//
// Why dlopen: the release binary is one self-contained file (liblmdb and the Swift runtime are
// linked statically), and Debian ships libnats only as a shared library. Linking it would make
// every shop's tenda need libnats.so, although most never use NATS. So the CNATS module gives
// Swift the header's types with no `link` line, and this file opens "libnats.so.3.4" (or the
// path in TENDA_LIBNATS) with dlopen and looks up each function with dlsym, once per path, the
// first time a NATS client is created. The typealiases mirror /usr/include/nats/nats.h 3.4.1.
internal import CNATS

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The nats.c functions NATSClient uses, as C function pointers looked up in one place.
struct LibNATS: @unchecked Sendable {
    /// The soname of Debian's libnats3.4 (package libnats3.4; headers in libnats-dev).
    static let defaultPath = "libnats.so.3.4"
    /// The environment variable that may name another library file.
    static let environmentVariable = "TENDA_LIBNATS"

    typealias StatusGetText = @convention(c) (natsStatus) -> UnsafePointer<CChar>?
    typealias GetLastError = @convention(c) (UnsafeMutablePointer<natsStatus>?) -> UnsafePointer<CChar>?

    typealias OptionsCreate = @convention(c) (UnsafeMutablePointer<OpaquePointer?>?) -> natsStatus
    typealias OptionsSetServers = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UnsafePointer<CChar>?>?, Int32) -> natsStatus
    typealias OptionsSetName = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> natsStatus
    typealias OptionsSetInt = @convention(c) (OpaquePointer?, Int32) -> natsStatus
    typealias OptionsSetInt64 = @convention(c) (OpaquePointer?, Int64) -> natsStatus
    typealias OptionsSetBool = @convention(c) (OpaquePointer?, Bool) -> natsStatus
    typealias OptionsDestroy = @convention(c) (OpaquePointer?) -> Void

    typealias ConnectionConnect = @convention(c) (UnsafeMutablePointer<OpaquePointer?>?, OpaquePointer?) -> natsStatus
    typealias ConnectionVoid = @convention(c) (OpaquePointer?) -> Void
    typealias ConnectionStatus = @convention(c) (OpaquePointer?) -> natsConnStatus
    typealias ConnectionJetStream = @convention(c) (UnsafeMutablePointer<OpaquePointer?>?, OpaquePointer?, UnsafeMutablePointer<jsOptions>?) -> natsStatus
    typealias JSCtxDestroy = @convention(c) (OpaquePointer?) -> Void

    typealias JSOptionsInit = @convention(c) (UnsafeMutablePointer<jsOptions>?) -> natsStatus
    typealias JSStreamConfigInit = @convention(c) (UnsafeMutablePointer<jsStreamConfig>?) -> natsStatus
    typealias JSPubOptionsInit = @convention(c) (UnsafeMutablePointer<jsPubOptions>?) -> natsStatus
    typealias JSSubOptionsInit = @convention(c) (UnsafeMutablePointer<jsSubOptions>?) -> natsStatus

    typealias JSAddOrUpdateStream = @convention(c) (
        UnsafeMutablePointer<UnsafeMutablePointer<jsStreamInfo>?>?, OpaquePointer?, UnsafeMutablePointer<jsStreamConfig>?,
        UnsafeMutablePointer<jsOptions>?, UnsafeMutablePointer<jsErrCode>?
    ) -> natsStatus
    typealias JSGetStreamInfo = @convention(c) (
        UnsafeMutablePointer<UnsafeMutablePointer<jsStreamInfo>?>?, OpaquePointer?, UnsafePointer<CChar>?,
        UnsafeMutablePointer<jsOptions>?, UnsafeMutablePointer<jsErrCode>?
    ) -> natsStatus
    typealias JSStreamInfoDestroy = @convention(c) (UnsafeMutablePointer<jsStreamInfo>?) -> Void
    typealias JSPurgeStream = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafeMutablePointer<jsOptions>?, UnsafeMutablePointer<jsErrCode>?) -> natsStatus

    typealias JSPublishMsg = @convention(c) (
        UnsafeMutablePointer<UnsafeMutablePointer<jsPubAck>?>?, OpaquePointer?, OpaquePointer?,
        UnsafeMutablePointer<jsPubOptions>?, UnsafeMutablePointer<jsErrCode>?
    ) -> natsStatus
    typealias JSPubAckDestroy = @convention(c) (UnsafeMutablePointer<jsPubAck>?) -> Void
    typealias JSGetMsg = @convention(c) (
        UnsafeMutablePointer<OpaquePointer?>?, OpaquePointer?, UnsafePointer<CChar>?, UInt64,
        UnsafeMutablePointer<jsOptions>?, UnsafeMutablePointer<jsErrCode>?
    ) -> natsStatus
    typealias JSGetLastMsg = @convention(c) (
        UnsafeMutablePointer<OpaquePointer?>?, OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
        UnsafeMutablePointer<jsOptions>?, UnsafeMutablePointer<jsErrCode>?
    ) -> natsStatus
    typealias JSSubscribeSync = @convention(c) (
        UnsafeMutablePointer<OpaquePointer?>?, OpaquePointer?, UnsafePointer<CChar>?,
        UnsafeMutablePointer<jsOptions>?, UnsafeMutablePointer<jsSubOptions>?, UnsafeMutablePointer<jsErrCode>?
    ) -> natsStatus

    typealias SubscriptionNextMsg = @convention(c) (UnsafeMutablePointer<OpaquePointer?>?, OpaquePointer?, Int64) -> natsStatus
    typealias SubscriptionUnsubscribe = @convention(c) (OpaquePointer?) -> natsStatus
    typealias SubscriptionDestroy = @convention(c) (OpaquePointer?) -> Void

    typealias MsgCreate = @convention(c) (
        UnsafeMutablePointer<OpaquePointer?>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32
    ) -> natsStatus
    typealias MsgGetData = @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?
    typealias MsgGetDataLength = @convention(c) (OpaquePointer?) -> Int32
    typealias MsgGetSequence = @convention(c) (OpaquePointer?) -> UInt64
    typealias MsgDestroy = @convention(c) (OpaquePointer?) -> Void
    typealias MsgHeaderSet = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> natsStatus
    typealias MsgHeaderGet = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> natsStatus
    typealias MsgHeaderKeys = @convention(c) (
        OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<UnsafePointer<CChar>?>?>?, UnsafeMutablePointer<Int32>?
    ) -> natsStatus
    typealias MsgGetMetaData = @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<jsMsgMetaData>?>?, OpaquePointer?) -> natsStatus
    typealias MetaDataDestroy = @convention(c) (UnsafeMutablePointer<jsMsgMetaData>?) -> Void

    let statusGetText: StatusGetText
    let getLastError: GetLastError

    let optionsCreate: OptionsCreate
    let optionsSetServers: OptionsSetServers
    let optionsSetName: OptionsSetName
    let optionsSetAllowReconnect: OptionsSetBool
    let optionsDestroy: OptionsDestroy

    let connectionConnect: ConnectionConnect
    let connectionClose: ConnectionVoid
    let connectionDestroy: ConnectionVoid
    let connectionStatus: ConnectionStatus
    let connectionJetStream: ConnectionJetStream
    let jsCtxDestroy: JSCtxDestroy

    let jsOptionsInit: JSOptionsInit
    let jsStreamConfigInit: JSStreamConfigInit
    let jsPubOptionsInit: JSPubOptionsInit
    let jsSubOptionsInit: JSSubOptionsInit

    let jsAddStream: JSAddOrUpdateStream
    let jsUpdateStream: JSAddOrUpdateStream
    let jsGetStreamInfo: JSGetStreamInfo
    let jsStreamInfoDestroy: JSStreamInfoDestroy
    let jsPurgeStream: JSPurgeStream
    let jsPublishMsg: JSPublishMsg
    let jsPubAckDestroy: JSPubAckDestroy
    let jsGetMsg: JSGetMsg
    let jsGetLastMsg: JSGetLastMsg
    let jsSubscribeSync: JSSubscribeSync

    let subscriptionNextMsg: SubscriptionNextMsg
    let subscriptionUnsubscribe: SubscriptionUnsubscribe
    let subscriptionDestroy: SubscriptionDestroy

    let msgCreate: MsgCreate
    let msgGetData: MsgGetData
    let msgGetDataLength: MsgGetDataLength
    let msgGetSequence: MsgGetSequence
    let msgDestroy: MsgDestroy
    let msgHeaderSet: MsgHeaderSet
    let msgHeaderGet: MsgHeaderGet
    let msgHeaderKeys: MsgHeaderKeys
    let msgGetMetaData: MsgGetMetaData
    let metaDataDestroy: MetaDataDestroy

    /// Looks up every function in an opened library; throws naming the first one missing.
    private init(handle: UnsafeMutableRawPointer, path: String) throws {
        func f<T>(_ name: String, _: T.Type = T.self) throws -> T {
            guard let pointer = dlsym(handle, name) else {
                throw NATSError(
                    library: "\(path) has no function \(name): NATS nodes need libnats 3.4 (`apt-get install libnats3.4`)")
            }
            return unsafeBitCast(pointer, to: T.self)
        }
        statusGetText = try f("natsStatus_GetText")
        getLastError = try f("nats_GetLastError")
        optionsCreate = try f("natsOptions_Create")
        optionsSetServers = try f("natsOptions_SetServers")
        optionsSetName = try f("natsOptions_SetName")
        optionsSetAllowReconnect = try f("natsOptions_SetAllowReconnect")
        optionsDestroy = try f("natsOptions_Destroy")
        connectionConnect = try f("natsConnection_Connect")
        connectionClose = try f("natsConnection_Close")
        connectionDestroy = try f("natsConnection_Destroy")
        connectionStatus = try f("natsConnection_Status")
        connectionJetStream = try f("natsConnection_JetStream")
        jsCtxDestroy = try f("jsCtx_Destroy")
        jsOptionsInit = try f("jsOptions_Init")
        jsStreamConfigInit = try f("jsStreamConfig_Init")
        jsPubOptionsInit = try f("jsPubOptions_Init")
        jsSubOptionsInit = try f("jsSubOptions_Init")
        jsAddStream = try f("js_AddStream")
        jsUpdateStream = try f("js_UpdateStream")
        jsGetStreamInfo = try f("js_GetStreamInfo")
        jsStreamInfoDestroy = try f("jsStreamInfo_Destroy")
        jsPurgeStream = try f("js_PurgeStream")
        jsPublishMsg = try f("js_PublishMsg")
        jsPubAckDestroy = try f("jsPubAck_Destroy")
        jsGetMsg = try f("js_GetMsg")
        jsGetLastMsg = try f("js_GetLastMsg")
        jsSubscribeSync = try f("js_SubscribeSync")
        subscriptionNextMsg = try f("natsSubscription_NextMsg")
        subscriptionUnsubscribe = try f("natsSubscription_Unsubscribe")
        subscriptionDestroy = try f("natsSubscription_Destroy")
        msgCreate = try f("natsMsg_Create")
        msgGetData = try f("natsMsg_GetData")
        msgGetDataLength = try f("natsMsg_GetDataLength")
        msgGetSequence = try f("natsMsg_GetSequence")
        msgDestroy = try f("natsMsg_Destroy")
        msgHeaderSet = try f("natsMsgHeader_Set")
        msgHeaderGet = try f("natsMsgHeader_Get")
        msgHeaderKeys = try f("natsMsgHeader_Keys")
        msgGetMetaData = try f("natsMsg_GetMetaData")
        metaDataDestroy = try f("jsMsgMetaData_Destroy")
    }

    /// The libraries opened so far, by path. A handle is never closed: nats.c runs threads of its own.
    private static let opened = Mutex<[String: LibNATS]>([:])

    /// The library named by TENDA_LIBNATS, or libnats.so.3.4; opened on first use.
    static func load() throws -> LibNATS {
        var path = defaultPath
        if let raw = getenv(environmentVariable), let named = String(validatingCString: raw), !named.isEmpty {
            path = named
        }
        return try load(path: path)
    }

    static func load(path: String) throws -> LibNATS {
        try opened.withLock { opened in
            if let lib = opened[path] { return lib }
            guard let handle = dlopen(path, RTLD_NOW) else {
                let reason = dlerror().map { String(cString: $0) } ?? "dlopen failed"
                throw NATSError(library: "\(path) not found: NATS nodes need `apt-get install libnats3.4` (\(reason))")
            }
            let lib = try LibNATS(handle: handle, path: path)
            opened[path] = lib
            return lib
        }
    }

    /// The library's text for a status, e.g. "Timeout" or "Not Found".
    func text(_ status: natsStatus) -> String {
        statusGetText(status).map { String(cString: $0) } ?? "status \(status.rawValue)"
    }

    /// A NATSError for a failed call, with the calling thread's last error text from nats.c when it
    /// says more than the status (e.g. the JetStream API's "wrong last msg ID: …").
    func error(_ status: natsStatus, context: String) -> NATSError {
        error(status, jsErrCode(rawValue: 0), context)
    }

    func error(_ status: natsStatus, _ code: jsErrCode, _ context: String) -> NATSError {
        let statusText = text(status)
        var last = NATS_OK
        var detail: String?
        if let raw = getLastError(&last), last == status {
            var s = Substring(String(cString: raw))
            // "(js.c:535): wrong last msg ID: a": the source position is nats.c's, not the caller's.
            if s.hasPrefix("("), let end = s.firstRange(of: "): ") { s = s[end.upperBound...] }
            if !s.isEmpty && s != statusText { detail = String(s) }
        }
        return NATSError(
            status: Int(status.rawValue), statusText: statusText,
            jetStreamCode: code.rawValue == 0 ? nil : Int(code.rawValue), detail: detail, context: context)
    }
}
