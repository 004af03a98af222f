import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The plain-HTTP port beside the TLS one (`--http-redirect-port`): every request, whatever
/// its method and path, is answered `308 Permanent Redirect` to the same path and query on
/// HTTPS, so links to `http://shop…` keep working and the method and body are kept.
///
/// The HTTPS address is `publicURL`'s scheme, host and port when it is an `https` address,
/// else the request's `Host` with the TLS port.
struct HTTPSRedirect: Sendable {
    /// The public address, when it is an `https` one: `https://shop.example.com`.
    let publicBase: String?
    /// The TLS port as bound (known once the server runs, when it was asked for port 0).
    let tlsPort: BoundPort

    init(publicURL: String?, tlsPort: BoundPort) {
        if let publicURL, let components = URLComponents(string: publicURL), components.scheme?.lowercased() == "https",
           let host = components.host, !host.isEmpty {
            let hostPart = host.contains(":") ? "[\(host)]" : host
            publicBase = "https://\(hostPart)" + (components.port.map { ":\($0)" } ?? "")
        } else {
            publicBase = nil
        }
        self.tlsPort = tlsPort
    }

    /// Where a request for `target` (path and query) that named `host` goes on HTTPS; nil for a
    /// `Host` that is not a host name or address (answered 400).
    func location(host: String?, target: String) -> String? {
        let path = target.hasPrefix("/") ? target : "/" + target
        if let publicBase { return publicBase + path }
        guard let name = Self.hostName(host) else { return nil }
        let port = tlsPort.value
        return "https://\(name)" + (port == 443 ? "" : ":\(port)") + path
    }

    /// The host of a `Host` field, without its port: `shop.example.com`, `127.0.0.1`, `[::1]`.
    static func hostName(_ field: String?) -> String? {
        guard let field = field?.trimmingCharacters(in: .whitespaces), !field.isEmpty else { return nil }
        let name: Substring
        if field.hasPrefix("[") {
            guard let close = field.firstIndex(of: "]") else { return nil }
            name = field[...close]
        } else {
            name = field.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-[]:")
        guard !name.isEmpty, name.unicodeScalars.allSatisfy(allowed.contains) else { return nil }
        return String(name)
    }

    /// The redirecting server on `host:port`, as a service of the main application.
    func application(host: String, port: Int, logger: Logger) -> some Service {
        let redirect = self
        let responder = CallbackResponder { (request: Request, _: BasicRequestContext) -> Response in
            guard let location = redirect.location(host: request.head.authority, target: request.uri.string) else {
                return Response(status: .badRequest, headers: [.contentType: "text/plain; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: "a Host header naming this server is needed\n")))
            }
            return Response(status: .permanentRedirect, headers: [.location: location, .contentLength: "0"])
        }
        return Application(responder: responder, configuration: .init(address: .hostname(host, port: port), serverName: "tenda"),
                           logger: logger)
    }
}

/// A listening port learnt when the server starts (it may have been asked for port 0).
final class BoundPort: Sendable {
    /// Guards the port: set once by the server's `onServerRunning`, read by each redirect.
    private let port: Mutex<Int>

    init(_ configured: Int) {
        port = Mutex(configured)
    }

    var value: Int { port.withLock { $0 } }

    func set(_ value: Int) { port.withLock { $0 = value } }
}
