import Foundation
import Logging
import Replication
import Server
import Store

/// A replica's data folder before it serves: its own copy when that copy can still follow the
/// primary, else a fresh snapshot of the primary (the store and its token secret, so the
/// primary's access tokens are good here), put in place by the restore code in the primary's
/// epoch. `tenda serve --replica-of` runs it before it reads the token secret.
///
/// A copy is stale when it is of another epoch than the primary's (the primary was restored),
/// or when the stream no longer holds the changes right after it (it was away longer than the
/// stream's retention). A stale copy is moved aside (`<folder>.before-restore-<stamp>`), never
/// deleted. When the primary or NATS cannot be asked, the copy it has is served as it is; the
/// follower finds out later and says so on `/health`.
public enum ReplicaSeed {
    public static func prepare(dataFolder: String, primary: PrimaryLink, feed: FeedStreamSettings, logger: Logger) async throws {
        let dataFile = dataFolder + "/" + BackupManifest.dataFileName
        if FileManager.default.fileExists(atPath: dataFile) {
            guard let reason = try await staleness(of: dataFolder, primary: primary, feed: feed, logger: logger) else { return }
            logger.warning("replica: \(reason); taking a fresh snapshot of the primary")
        } else {
            logger.info("replica: \(dataFolder) holds no store yet; taking a snapshot of the primary")
        }
        let parent = dataFolder.hasSuffix("/") ? String(dataFolder.dropLast()) + ".snapshot" : dataFolder + ".snapshot"
        try? FileManager.default.removeItem(atPath: parent)
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let (path, manifest) = try await primary.fetchSnapshot(into: parent)
        let outcome = try await BackupRestore.restore(from: path, into: dataFolder, force: true, newEpoch: false)
        if let aside = outcome.movedAside { logger.notice("replica: the stale copy was moved to \(aside)") }
        logger.info("replica: snapshot of the primary at feed sequence \(manifest.feedHead), epoch \(manifest.epoch)")
    }

    /// Why the copy in `folder` cannot follow the primary any more; nil when it can (or when
    /// the primary or NATS cannot tell now).
    static func staleness(of folder: String, primary: PrimaryLink, feed: FeedStreamSettings, logger: Logger) async throws -> String? {
        var configuration = StoreConfiguration()
        configuration.createIfMissing = false
        configuration.access = .readOnly
        configuration.mapSize = 1 << 20  // adopts the file's own size
        let copy = try await Environment.open(at: folder, configuration: configuration)
        let (head, epoch) = (copy.head, copy.epoch)
        await copy.close()
        do {
            let status = try await primary.status()
            if status.epoch != epoch { return "this copy is of epoch \(epoch), the primary's is \(status.epoch)" }
        } catch {
            logger.warning("replica: the primary cannot be asked now (\(error)); serving this copy (feed sequence \(head)) as it is")
            return nil
        }
        do {
            if let firstKept = try await feed.firstKeptSequence(ifNotContinuing: head) {
                return "the stream keeps the feed from sequence \(firstKept) on, and this copy ends at \(head)"
            }
        } catch {
            logger.warning("replica: NATS cannot be asked now (\(error)); following from feed sequence \(head) when it can")
            return nil
        }
        logger.info("replica: continuing from its own copy at feed sequence \(head), epoch \(epoch)")
        return nil
    }
}
