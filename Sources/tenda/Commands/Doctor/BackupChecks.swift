import Foundation
import Store

/// The newest backup under the backup folder: that there is one, that it is recent, and that
/// its copy of the store is the one its manifest describes (the SHA-256 it recorded).
struct BackupChecks: CheckFamily {
    /// Where backups are written: `--backup-dir`, by default `DATA_DIR/backups` (the bot's `/backup`).
    let parent: String
    /// The oldest, in seconds, the newest backup may be.
    let maxAge: Double
    let now: Date

    func run() async -> [Check] {
        let subject = "last backup"
        let newest: (path: String, manifest: BackupManifest)?
        do {
            newest = try BackupFolders.newest(in: parent)
        } catch let error as StoreError {
            return [.fail(subject, "cannot read \(parent): \(error.message)")]
        } catch {
            return [.fail(subject, "cannot read \(parent): \(error)")]
        }
        guard let newest else {
            return [.warn(subject, "none under \(parent) (no folder with a \(BackupManifest.fileName)): a lost disk would lose the shop; send /backup to the bot, or give --backup-dir where backups go")]
        }
        return [ageCheck(newest.path, newest.manifest), copyCheck(newest.path, newest.manifest)]
    }

    func ageCheck(_ path: String, _ manifest: BackupManifest) -> Check {
        let age = now.timeIntervalSince(manifest.createdAt)
        let taken = "\(path), taken \(ISO8601DateFormatter().string(from: manifest.createdAt)) (\(Self.duration(max(age, 0))) ago), feed head \(manifest.feedHead)"
        if age > maxAge {
            return .fail("last backup", "\(taken): older than --max-backup-age \(Self.duration(maxAge)); take one now (/backup in the bot) and check that the scheduled ones run")
        }
        if age < -60 {
            return .warn("last backup", "\(taken): stamped in the future; this machine's clock or the one that took it is wrong")
        }
        return .ok("last backup", taken)
    }

    /// The copy's `data.mdb` is there and hashes to the manifest's checksum: a backup that
    /// would restore.
    func copyCheck(_ path: String, _ manifest: BackupManifest) -> Check {
        let file = path + "/" + BackupManifest.dataFileName
        let subject = "backup checksum \(file)"
        guard FileManager.default.fileExists(atPath: file) else {
            return .fail(subject, "missing: the manifest describes a copy that is not there; this backup cannot be restored")
        }
        let actual: String
        do {
            actual = try BackupManifest.checksum(ofFile: file)
        } catch let error as StoreError {
            return .fail(subject, "cannot read it: \(error.message)")
        } catch {
            return .fail(subject, "cannot read it: \(error)")
        }
        guard actual == manifest.checksum else {
            return .fail(subject, "is \(actual), but the manifest recorded \(manifest.checksum): the copy changed or is damaged; take a new backup")
        }
        return .ok(subject, "matches the manifest (\(manifest.checksum.prefix(19))…)")
    }

    /// "3 d 4 h", "5 h 12 min", "42 s".
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        switch s {
        case 86_400...: return "\(s / 86_400) d" + (s % 86_400 >= 3_600 ? " \(s % 86_400 / 3_600) h" : "")
        case 3_600...: return "\(s / 3_600) h" + (s % 3_600 >= 60 ? " \(s % 3_600 / 60) min" : "")
        case 60...: return "\(s / 60) min"
        default: return "\(s) s"
        }
    }
}
