import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Shop
import Store

/// On a primary, for its replicas only (a request without the replication key is 401; a node
/// that is not a primary does not have these routes, so 404). They are not in `/openapi.json`:
/// they are no part of the API a MiniApp or a script uses.
///
/// - `GET /internal/replication/snapshot`: a consistent copy of the store, for a new replica
///   to start from. It is the program's one backup (``Shop/backup(to:tokenSecretFile:at:)``)
///   taken into a temporary folder: the body is its `data.mdb`, streamed; `Tenda-Backup-Manifest`
///   carries its `manifest.json` and `Tenda-Token-Secret` its `token-secret` (both base64), so
///   the replica writes the same backup folder (``PrimaryLink/fetchSnapshot(into:)``). The
///   temporary folder is removed once the body is sent (or the sending failed).
/// - `GET /internal/replication/status`: `{"role": "primary", "epoch", "head"}`.
struct ReplicationRoutes {
    let shop: Shop
    /// The data folder's `token-secret`, copied into the snapshot when it exists.
    let tokenSecretFile: String?

    static let snapshotPath = "/internal/replication/snapshot"
    static let statusPath = "/internal/replication/status"
    static let manifestHeader = HTTPField.Name("Tenda-Backup-Manifest")!
    static let tokenSecretHeader = HTTPField.Name("Tenda-Token-Secret")!

    struct Status: Encodable, Sendable {
        let role: String
        let epoch: String
        let head: UInt64
    }

    func add(to router: Router<AppRequestContext>) {
        router.get("/internal/replication/status") { _, context -> JSON<Status> in
            try Self.requirePeer(context)
            return JSON(Status(role: "primary", epoch: shop.epoch, head: shop.feedHead))
        }
        router.get("/internal/replication/snapshot") { _, context -> Response in
            try Self.requirePeer(context)
            return try await snapshot(context)
        }
    }

    static func requirePeer(_ context: AppRequestContext) throws {
        guard context.isReplicationPeer else {
            throw APIError(.unauthorized, "not_authenticated", "this route is for this primary's replicas: send Tenda-Replication-Key")
        }
    }

    private func snapshot(_ context: AppRequestContext) async throws -> Response {
        let fm = FileManager.default
        let folder = fm.temporaryDirectory.appendingPathComponent("tenda-snapshot-\(UUID().uuidString)").path
        do {
            try await shop.backup(to: folder, tokenSecretFile: tokenSecretFile)
            let dataFile = folder + "/" + BackupManifest.dataFileName
            let attributes = try fm.attributesOfItem(atPath: dataFile)
            guard let manifest = fm.contents(atPath: folder + "/" + BackupManifest.fileName),
                  let size = (attributes[.size] as? NSNumber)?.intValue ?? (attributes[.size] as? Int),
                  let handle = FileHandle(forReadingAtPath: dataFile) else {
                throw APIError(.internalServerError, "internal", "the snapshot could not be read back")
            }
            var headers: HTTPFields = [.contentType: "application/octet-stream", .contentLength: String(size), .cacheControl: "no-store"]
            headers[Self.manifestHeader] = manifest.base64EncodedString()
            if let secret = fm.contents(atPath: folder + "/" + BackupManifest.tokenSecretFileName) {
                headers[Self.tokenSecretHeader] = secret.base64EncodedString()
            }
            context.logger.info("a snapshot goes to a replica", metadata: ["bytes": "\(size)", "peer": "\(context.remoteAddress ?? "?")"])
            return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: size) { writer in
                defer {
                    try? handle.close()
                    try? FileManager.default.removeItem(atPath: folder)
                }
                while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {
                    try await writer.write(ByteBuffer(bytes: piece))
                }
                try await writer.finish(nil)
            })
        } catch {
            try? fm.removeItem(atPath: folder)
            throw error
        }
    }
}
