import Foundation
import Logging
import ServiceLifecycle
import Shop
import Store

/// The scheduled backups of `serve --backup-every`: one every `every`, into a dated folder of
/// the backup folder, with the same backup as the bot's `/backup` and `tenda db backup`
/// (``Shop/backup(into:tokenSecretFile:at:)``); then the oldest beyond `keep` are deleted.
///
/// A backup that fails (a full disk, a folder that cannot be written) is logged and the next
/// one is tried on time: the server goes on serving. On shutdown the wait ends at once; a
/// backup under way finishes first (the store closes after this service).
struct BackupService: Service {
    let shop: Shop
    let folder: String
    let tokenSecretFile: String
    let every: Duration
    let keep: Int?
    let logger: Logger

    func run() async {
        await cancelWhenGracefulShutdown {
            while true {
                do {
                    try await Task.sleep(for: every)
                } catch {
                    return  // shutting down
                }
                await takeOne()
            }
        }
    }

    /// Takes one backup and prunes the old ones, logging what happened.
    func takeOne() async {
        do {
            let (path, manifest) = try await shop.backup(into: folder, tokenSecretFile: tokenSecretFile)
            logger.info("backup written to \(path) (feed head \(manifest.feedHead))")
            if let keep {
                for removed in try BackupFolders.prune(in: folder, keep: keep) {
                    logger.info("old backup \(removed) removed (--backup-keep \(keep))")
                }
            }
        } catch {
            logger.error("scheduled backup into \(folder) failed: \(error)")
        }
    }
}
