import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import Shop
import Store

/// A replica's line to its primary: every request carries the shared key, so the primary
/// treats it as a peer (``ReplicationPeerMiddleware``).
///
/// Three things go over it: forwarded writes (``send(_:)``, used only through
/// ``WriteForwarder``), the snapshot a new replica starts from (``fetchSnapshot(into:)``), and
/// the primary's status (``status()``). It holds no connection of its own: requests go through
/// an `HTTPClient`, by default ``defaultClient``.
public struct PrimaryLink: Sendable {
    /// The primary's base address (`http://10.0.0.5:8080`), without a trailing slash.
    public let primary: URL
    let key: String
    let client: HTTPClient
    /// How long one forwarded request may take, the answer included.
    public var requestTimeout: Duration = .seconds(30)

    /// The process's client for links to a primary, never shut down (as `HTTPClient.shared`),
    /// but not configured as that one: a connection the primary refuses fails the request
    /// after `connect` (2 s) instead of being retried until the request's own deadline, so a
    /// primary that is down is a prompt 503 and not a 30-second hang; redirects are not
    /// followed (a write is made where it was sent, or not at all); and up to 64 connections
    /// are kept to the primary, as a busy replica forwards many writes at once.
    public static let defaultClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(2)
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(primary: URL, key: String, client: HTTPClient = PrimaryLink.defaultClient) {
        self.primary = primary
        self.key = key
        self.client = client
    }

    /// Its base address with `path` (which starts with `/`, and may carry a query).
    func url(_ pathAndQuery: String) -> String {
        var base = primary.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return base + pathAndQuery
    }

    // MARK: Forwarded requests

    /// A request to run on the primary, as the replica received it.
    struct Outbound: Sendable {
        var method: HTTPRequest.Method
        /// The path with its query, as the client sent them.
        var pathAndQuery: String
        /// The client's headers; the hop-by-hop ones and the replication headers are not sent on.
        var headers: HTTPFields
        var body: ByteBuffer?
        /// The client's address as this replica found it (through its own trusted proxies).
        var clientAddress: String?
        /// `https` when the client reached this replica over TLS (or a trusted proxy said so).
        var scheme: String = "http"
        /// For a socket command: the user it runs for (`u7`) and the door (`websocket`).
        var principal: (user: String, channel: String)?
    }

    /// The primary's answer, whole.
    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer

        /// The primary's `Feed-Head` after it handled the request (every answer to a peer has one).
        var feedHead: UInt64? { headers[Replication.feedHeadHeader].flatMap { UInt64($0) } }
    }

    /// Request headers not sent on: they belong to the hop (RFC 9110 §7.6.1), are set again
    /// for the new hop (length, host), or are this replica's to answer (CORS, compression:
    /// the replica's own middleware does both on the way back), or are the replication's own,
    /// which only this link may set.
    static let notForwarded: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authorization", "proxy-authenticate", "host", "content-length", "accept-encoding", "origin",
        "x-forwarded-for", "x-forwarded-proto",
        "tenda-replication-key", "tenda-principal", "tenda-channel",
    ]

    /// Answer headers not passed back: the hop's own, the length (the replica frames the body
    /// again), and what the replica's own server and compression set on the way out (`Date`,
    /// `Server`, `Vary`), which would otherwise come twice.
    static let notReturned: Set<String> = ["connection", "keep-alive", "transfer-encoding", "content-length", "trailer", "upgrade",
                                           "date", "server", "vary"]

    /// Sends one request to the primary and reads its whole answer. Any answer, whatever its
    /// status, is the primary's and is returned; failing to get one (refused, reset, timed
    /// out) throws 503 `primary_unavailable`.
    func send(_ outbound: Outbound, bodyLimit: Int = 16 << 20) async throws(APIError) -> Answer {
        var request = HTTPClientRequest(url: url(outbound.pathAndQuery))
        request.method = NIOHTTP1.HTTPMethod(rawValue: outbound.method.rawValue)
        for field in outbound.headers where !Self.notForwarded.contains(field.name.canonicalName) {
            request.headers.add(name: field.name.rawName, value: field.value)
        }
        request.headers.replaceOrAdd(name: Replication.keyHeader.rawName, value: key)
        if let address = outbound.clientAddress { request.headers.replaceOrAdd(name: "X-Forwarded-For", value: address) }
        request.headers.replaceOrAdd(name: "X-Forwarded-Proto", value: outbound.scheme)
        if let principal = outbound.principal {
            request.headers.replaceOrAdd(name: Replication.principalHeader.rawName, value: principal.user)
            request.headers.replaceOrAdd(name: Replication.channelHeader.rawName, value: principal.channel)
        }
        if let body = outbound.body { request.body = .bytes(body) }
        do {
            let response = try await client.execute(request, timeout: TimeAmount(requestTimeout))
            var headers = HTTPFields()
            for (name, value) in response.headers where !Self.notReturned.contains(name.lowercased()) {
                if let name = HTTPField.Name(name) { headers.append(HTTPField(name: name, value: value)) }
            }
            let body = try await response.body.collect(upTo: bodyLimit)
            return Answer(status: HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase),
                          headers: headers, body: body)
        } catch {
            throw APIError(.serviceUnavailable, "primary_unavailable",
                           "the primary (\(primary.absoluteString)) cannot be reached to make this change; reads still work here, try the change again shortly")
        }
    }

    // MARK: Status

    /// What `GET /internal/replication/status` says.
    public struct Status: Codable, Sendable, Equatable {
        /// `primary`.
        public var role: String
        /// The primary store's epoch: a replica of another epoch holds another history.
        public var epoch: String
        /// The primary's feed head.
        public var head: UInt64
    }

    /// The primary's role, epoch and feed head.
    public func status() async throws -> Status {
        let answer = try await send(Outbound(method: .get, pathAndQuery: ReplicationRoutes.statusPath, headers: [:]))
        guard answer.status == .ok else { throw PrimaryLinkError("the primary answered its status with \(answer.status.code): \(String(buffer: answer.body))") }
        do {
            return try JSONDecoder().decode(Status.self, from: Data(buffer: answer.body))
        } catch {
            throw PrimaryLinkError("the primary's status is not the expected JSON: \(error)")
        }
    }

    // MARK: Snapshot

    /// Downloads a snapshot of the primary's store into a new dated folder inside `parent`
    /// (created when missing), exactly as `tenda db backup --into parent` writes one:
    /// `tenda-backup-<UTC stamp of the snapshot>` (with `-2`, `-3`… when taken), holding
    /// `data.mdb`, `token-secret` (mode 0600, when the primary keeps one) and `manifest.json`.
    /// Returns the folder and its manifest. See ``fetchSnapshot(to:)``.
    @discardableResult
    public func fetchSnapshot(into parent: String) async throws -> (path: String, manifest: BackupManifest) {
        try createFolder(parent)
        var result: (path: String, manifest: BackupManifest)?
        try await downloadSnapshot { manifest in
            let name = BackupFolders.name(for: manifest.createdAt)
            var destination = parent + "/" + name
            var suffix = 2
            while FileManager.default.fileExists(atPath: destination) {
                destination = "\(parent)/\(name)-\(suffix)"
                suffix += 1
            }
            result = (destination, manifest)
            return destination
        }
        guard let result else { throw PrimaryLinkError("the snapshot was not written") }
        return result
    }

    /// Downloads a snapshot of the primary's store into the new folder `destination` (which
    /// must not hold a store yet), as a backup folder: `data.mdb`, `token-secret` and, last,
    /// `manifest.json`, so a folder without a manifest is an unfinished download, as with a backup.
    ///
    /// The SHA-256 of the bytes received must be the manifest's checksum; otherwise the folder
    /// is removed and the download refused (``StoreError/Code/corrupted``). `BackupRestore`
    /// can then check and restore the folder like any backup.
    @discardableResult
    public func fetchSnapshot(to destination: String) async throws -> BackupManifest {
        var result: BackupManifest?
        try await downloadSnapshot { manifest in
            result = manifest
            return destination
        }
        guard let result else { throw PrimaryLinkError("the snapshot was not written") }
        return result
    }

    /// How long a snapshot download may take in all.
    public var snapshotTimeout: Duration = .seconds(3_600)

    /// Asks for the snapshot, reads its manifest from the headers, lets `destination` name the
    /// folder, and streams `data.mdb` into it while hashing it.
    private func downloadSnapshot(_ destination: (BackupManifest) throws -> String) async throws {
        var request = HTTPClientRequest(url: url(ReplicationRoutes.snapshotPath))
        request.headers.add(name: Replication.keyHeader.rawName, value: key)
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: TimeAmount(snapshotTimeout))
        } catch {
            throw PrimaryLinkError("the primary (\(primary.absoluteString)) cannot be reached for a snapshot: \(error)")
        }
        guard response.status == .ok else {
            let text = (try? await response.body.collect(upTo: 64 << 10)).map { String(buffer: $0) } ?? ""
            throw PrimaryLinkError("the primary refused the snapshot with \(response.status.code): \(text)")
        }
        guard let manifestText = response.headers.first(name: ReplicationRoutes.manifestHeader.rawName),
              let manifestBytes = Data(base64Encoded: manifestText) else {
            throw PrimaryLinkError("the primary's snapshot came without its manifest (\(ReplicationRoutes.manifestHeader))")
        }
        let manifest = try BackupManifest.decode(manifestBytes, source: "the snapshot's manifest")
        let secret = try response.headers.first(name: ReplicationRoutes.tokenSecretHeader.rawName).map { text in
            guard let bytes = Data(base64Encoded: text) else { throw PrimaryLinkError("the snapshot's token secret is not base64") }
            return bytes
        }
        let folder = try destination(manifest)
        let fm = FileManager.default
        let dataFile = folder + "/" + BackupManifest.dataFileName
        if fm.fileExists(atPath: dataFile) { throw StoreError(.alreadyExists, "\(folder) already holds a store") }
        let createdFolder = !fm.fileExists(atPath: folder)
        try createFolder(folder)
        do {
            guard fm.createFile(atPath: dataFile, contents: nil, attributes: [.posixPermissions: 0o600]),
                  let handle = FileHandle(forWritingAtPath: dataFile) else {
                throw StoreError(.io, "cannot write \(dataFile)")
            }
            var hash = SHA256()
            do {
                for try await piece in response.body {
                    piece.withUnsafeReadableBytes { hash.update(bufferPointer: $0) }
                    try handle.write(contentsOf: Data(buffer: piece))
                }
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw StoreError(.io, "the snapshot's download broke off: \(error)")
            }
            let checksum = "sha256:" + hash.finalize().map { String(format: "%02x", $0) }.joined()
            guard checksum == manifest.checksum else {
                throw StoreError(.corrupted, "the snapshot received does not match its manifest: its checksum is \(checksum), the manifest says \(manifest.checksum)")
            }
            if let secret {
                let path = folder + "/" + BackupManifest.tokenSecretFileName
                guard fm.createFile(atPath: path, contents: secret, attributes: [.posixPermissions: 0o600]) else {
                    throw StoreError(.io, "cannot write \(path)")
                }
            }
            // Last, as a backup's: a folder with a manifest is a finished one.
            try manifestBytes.write(to: URL(fileURLWithPath: folder + "/" + BackupManifest.fileName), options: .atomic)
        } catch {
            if createdFolder {
                try? fm.removeItem(atPath: folder)
            } else {
                for name in [BackupManifest.dataFileName, BackupManifest.tokenSecretFileName, BackupManifest.fileName] {
                    try? fm.removeItem(atPath: folder + "/" + name)
                }
            }
            throw error
        }
    }

    private func createFolder(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.io, "cannot create \(path): \(error.localizedDescription)")
        }
    }
}

/// The primary could not be asked, or its answer was not what a primary says.
public struct PrimaryLinkError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
