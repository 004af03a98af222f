import Dispatch
import Foundation
import FuzzSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
@testable import Server
import Shop
import TendaApp

// Every command's input as a client sends it, through the real application over a real shop:
// the REST routes (Hummingbird's router in-process, with every middleware, `decodeStrict`,
// the route's own checks, the command's `validate()` and its execution) and the WebSocket's
// command bridge (`{"type":"command","command":…,"params":…}`), which runs every command of the
// command table with the same decoding as the REST doors.
//
// Byte 0 chooses the route or bridge command (see `Targets.all`); byte 1 the id in the path
// (1–8), whether the caller is the owner or a customer (0x40) and whether `If-Match` is sent
// (0x80, with the id as the version); the rest is the body (JSON), or the query string of a GET.

enum Call: Sendable {
    /// A request; `{n}` in the path is replaced with byte 1's id.
    case route(HTTPRequest.Method, String, contentType: String = "application/json")
    /// A query (the body becomes the query string).
    case query(String)
    /// A command through the socket's bridge, the body being its `params`.
    case bridge(String)
}

/// The calls byte 0 chooses from. (Statics, not globals: libFuzzer's `main` replaces this
/// file's top-level code, which therefore never runs; statics are set up on first use.)
enum Targets {
    static let all: [Call] = [
        .route(.post, "/api/products"),
        .route(.patch, "/api/products/p{n}"),
        .route(.put, "/api/products/p{n}"),
        .route(.delete, "/api/products/p{n}"),
        .route(.post, "/api/products/p{n}/stock"),
        .route(.post, "/api/purchases"),
        .route(.post, "/api/payments"),
        .route(.post, "/api/orders"),
        .route(.post, "/api/orders/o{n}/receipt"),
        .route(.post, "/api/orders/o{n}/verify"),
        .route(.post, "/api/orders/o{n}/reject"),
        .route(.post, "/api/orders/o{n}/fulfil"),
        .route(.post, "/api/orders/o{n}/cancel"),
        .route(.post, "/api/contracts"),
        .route(.post, "/api/contracts/c{n}/submit"),
        .route(.post, "/api/contracts/c{n}/confirm"),
        .route(.post, "/api/contracts/c{n}/decline"),
        .route(.post, "/api/contracts/c{n}/cancel"),
        .route(.post, "/api/contracts/c{n}/complete"),
        .route(.patch, "/api/users/u{n}"),
        .route(.post, "/api/notifications"),
        .route(.post, "/api/notifications/n{n}/read"),
        .route(.patch, "/api/inventory/p{n}"),
        .route(.post, "/api/auth/telegram"),
        .route(.post, "/api/auth/widget"),
        .route(.post, "/api/auth/code"),
        .route(.post, "/api/auth/refresh"),
        .route(.post, "/api/commands/execute"),
        .route(.post, "/api/media", contentType: "multipart/form-data; boundary=fuzz"),
        .query("/api/products"),
        .query("/api/sales"),
        .query("/api/payments"),
        .query("/api/orders"),
        .query("/api/contracts"),
        .query("/api/notifications"),
        .query("/api/transactions"),
        .query("/api/audit"),
        .query("/api/users"),
        .query("/api/reports"),
        .query("/api/reports/export.csv"),
    ] + CommandTable.entries.map(\.name).filter { !sessionEnders.contains($0) }.map { .bridge($0) }

    /// Commands that end sessions would end the fuzzing owner's and customer's tokens for every
    /// input after; their decoding is the other commands' (an id), and the Shop's tests cover them.
    static let sessionEnders: Set<String> = ["endSession", "endUserSessions"]

    /// The application `tenda serve` builds (its composition root), over a new store.
    static let app: TendaApplication = {
        var server = ServerConfiguration(botToken: FuzzShop.botToken, initDataMaxAge: 0,
                                         userRateLimit: (1e9, 1e9), addressRateLimit: (1e9, 1e9))
        server.chartJSFile = nil
        var logger = Logger(label: "tenda-fuzz")
        logger.logLevel = .critical
        let configuration = AppConfiguration(dataFolder: FuzzShop.newFolder(), shop: FuzzShop.settings, store: FuzzShop.storeConfiguration,
                                             server: server, logger: logger)
        return waitFor { try! await buildApplication(configuration: configuration) }
    }()
    static let shop: FuzzShop = {
        let shop = waitFor { try! await FuzzShop.seed(app.shop, store: app.environment, hub: app.hub, folder: app.environment.path) }
        shop.removeAtExit()
        return shop
    }()
    static let router = RouterDriver(app: app)
    static let bridge = CommandBridge(shop: shop.shop, commandLine: nil)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCommands(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard input.count >= 2 else { return 0 }
    let fuzzShop = Targets.shop
    let id = Int(input[1] & 0x07) + 1
    let asCustomer = input[1] & 0x40 != 0
    let body = Array(input[2...])
    waitFor { await fuzzShop.restoreOwner() }
    switch Targets.all[Int(input[0]) % Targets.all.count] {
    case .route(let method, let path, let contentType):
        var headers: HTTPFields = [.contentType: contentType]
        headers[.authorization] = "Bearer " + (asCustomer ? fuzzShop.customerToken : fuzzShop.ownerToken)
        if input[1] & 0x80 != 0 { headers[.ifMatch] = "\"\(id)\"" }
        Targets.router.send(method, path.replacingOccurrences(of: "{n}", with: String(id)), headers: headers, body: body)
    case .query(let path):
        let headers: HTTPFields = [.authorization: "Bearer " + (asCustomer ? fuzzShop.customerToken : fuzzShop.ownerToken)]
        Targets.router.send(.get, path + "?" + queryText(body), headers: headers, body: [])
    case .bridge(let command):
        let principal = Principal.user(asCustomer ? fuzzShop.customer : fuzzShop.owner, via: .ws)
        waitFor { _ = try? await Targets.bridge.run(command, params: Data(body), principal: principal, idempotencyKey: nil) }
    }
    return 0
}

/// The bytes as a query string a client could send: the characters that give a query its
/// structure (`&`, `=`, `%`, `+`) and unreserved ones as they are, anything else percent-encoded.
func queryText(_ bytes: [UInt8]) -> String {
    var text = ""
    for byte in bytes {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "&"), UInt8(ascii: "="),
             UInt8(ascii: "%"), UInt8(ascii: "+"), UInt8(ascii: ":"), UInt8(ascii: ","):
            text.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            text += String(format: "%%%02X", byte)
        }
    }
    return text
}

/// The application `tenda serve` builds, run by Hummingbird's in-process router test framework
/// for the whole fuzzing session (the inputs' shop seeded into it first); each input is one
/// request, answered before the next.
final class RouterDriver: Sendable {
    private struct Job: Sendable {
        let method: HTTPRequest.Method
        let uri: String
        let headers: HTTPFields
        let body: [UInt8]
        let done: DispatchSemaphore
    }

    private let jobs: AsyncStream<Job>.Continuation

    init(app: TendaApplication) {
        let (stream, jobs) = AsyncStream.makeStream(of: Job.self)
        self.jobs = jobs
        let started = DispatchSemaphore(value: 0)
        Task {
            try! await app.test(.router) { client in
                started.signal()
                for await job in stream {
                    _ = try? await client.execute(uri: job.uri, method: job.method, headers: job.headers,
                                                  body: ByteBuffer(bytes: job.body)) { $0.status }
                    job.done.signal()
                }
            }
        }
        started.wait()
    }

    /// Sends one request and returns once it is answered.
    func send(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields, body: [UInt8]) {
        let done = DispatchSemaphore(value: 0)
        jobs.yield(Job(method: method, uri: uri, headers: headers, body: body, done: done))
        done.wait()
    }
}
