import Crypto
import Foundation

/// What one backup folder holds and how to check it: the `manifest.json` written beside the
/// copy's `data.mdb` (and the data folder's `token-secret`, when it had one).
///
/// Every figure is read from the copy itself after it was written, never from the live
/// store, so a restore can check the copy against it: the feed head, the records of each
/// collection, and the SHA-256 of `data.mdb`.
///
/// ```json
/// {"format": 1, "createdAt": "2026-12-03T17:45:00.123Z", "feedHead": 1043,
///  "epoch": "9f0c…", "counts": {"products": 12, "sales": 310}, "checksum": "sha256:4be1…"}
/// ```
public struct BackupManifest: Codable, Sendable, Equatable {
    /// The manifest format this code writes and reads.
    public static let currentFormat = 1
    /// The manifest's file name inside a backup folder.
    public static let fileName = "manifest.json"
    /// The store's file name inside a backup folder (LMDB's own name).
    public static let dataFileName = "data.mdb"
    /// The token secret's file name inside a backup folder (as in the data folder), mode 0600.
    public static let tokenSecretFileName = "token-secret"

    /// The manifest format (``currentFormat``).
    public var format: Int
    /// When the copy was taken, UTC; ISO 8601 with milliseconds in JSON.
    public var createdAt: Date
    /// The sequence of the last change in the copy (0 for a store that never changed).
    public var feedHead: UInt64
    /// The epoch of the store the copy was taken from: a backup keeps its source's epoch.
    public var epoch: String
    /// Records per collection in the copy, by collection name.
    public var counts: [String: Int]
    /// `"sha256:<lowercase hex>"` of the copy's `data.mdb`.
    public var checksum: String

    public init(format: Int = BackupManifest.currentFormat, createdAt: Date, feedHead: UInt64, epoch: String,
                counts: [String: Int], checksum: String) {
        self.format = format
        self.createdAt = createdAt
        self.feedHead = feedHead
        self.epoch = epoch
        self.counts = counts
        self.checksum = checksum
    }

    /// Reads `<folder>/manifest.json`.
    ///
    /// Throws ``StoreError/Code/notFound`` when the folder has no manifest, and
    /// ``StoreError/Code/corrupted`` when it is not a manifest this code understands.
    public static func read(from folder: String) throws -> BackupManifest {
        let path = folder + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError(.notFound, "no backup manifest at \(path)")
        }
        let manifest: BackupManifest
        do {
            manifest = try decoder.decode(BackupManifest.self, from: data)
        } catch {
            throw StoreError(.corrupted, "\(path) is not a backup manifest: \(error)")
        }
        guard manifest.format == currentFormat else {
            throw StoreError(.corrupted, "\(path) has manifest format \(manifest.format); this tenda reads format \(currentFormat)")
        }
        return manifest
    }

    /// Reads a manifest from the bytes of a `manifest.json` (a replica reads the one its primary
    /// sends with a snapshot before writing it into its own folder); the same refusals as
    /// ``read(from:)``, naming `source`.
    public static func decode(_ data: Data, source: String = "the manifest") throws -> BackupManifest {
        let manifest: BackupManifest
        do {
            manifest = try decoder.decode(BackupManifest.self, from: data)
        } catch {
            throw StoreError(.corrupted, "\(source) is not a backup manifest: \(error)")
        }
        guard manifest.format == currentFormat else {
            throw StoreError(.corrupted, "\(source) has manifest format \(manifest.format); this tenda reads format \(currentFormat)")
        }
        return manifest
    }

    /// Writes the manifest to `<folder>/manifest.json`, replacing the file whole (a reader
    /// sees the old manifest or the new one, never half of one).
    public func write(to folder: String) throws {
        let path = folder + "/" + Self.fileName
        do {
            try Self.encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw StoreError(.io, "cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// `"sha256:<lowercase hex>"` of the file at `path`, read in 1 MiB pieces.
    public static func checksum(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError(.notFound, "cannot read \(path)")
        }
        defer { try? handle.close() }
        var hash = SHA256()
        do {
            while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {
                hash.update(data: piece)
            }
        } catch {
            throw StoreError(.io, "cannot read \(path): \(error.localizedDescription)")
        }
        return "sha256:" + hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestamp(date))
        }
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = date(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(text) is not an ISO 8601 UTC time")
            }
            return date
        }
        return decoder
    }()

    /// `2026-12-03T17:45:00.123Z`: milliseconds, so backups a second apart still order.
    static func timestamp(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).format(date)
    }

    /// Reads an ISO 8601 UTC time, with or without fractional seconds.
    static func date(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).parse(text))
            ?? (try? Date.ISO8601FormatStyle(timeZone: .gmt).parse(text))
    }
}

/// The dated backup folders inside one backup directory (what `serve --backup-dir`, the
/// bot's `/backup` and the scheduled backups write into).
public enum BackupFolders {
    /// The start of the name of every backup folder this code makes.
    public static let namePrefix = "tenda-backup-"

    /// `tenda-backup-20261203T174500Z`: the folder name for a backup taken at `date` (UTC).
    public static func name(for date: Date) -> String {
        namePrefix + stamp(date)
    }

    /// `20261203T174500Z`: a UTC time to the second, in a form that sorts and fits a file name.
    public static func stamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", c.year ?? 0, c.month ?? 0, c.day ?? 0,
                      c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// Every subfolder of `parent` that holds a readable manifest, oldest first (by
    /// `createdAt`, then feed head, then name). Subfolders without a manifest, or with one
    /// that does not read, are not backups and are left out. A missing `parent` has none.
    public static func all(in parent: String) throws -> [(path: String, manifest: BackupManifest)] {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: parent, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { throw StoreError(.io, "\(parent) is not a folder") }
        let names: [String]
        do {
            names = try fm.contentsOfDirectory(atPath: parent)
        } catch {
            throw StoreError(.io, "cannot list \(parent): \(error.localizedDescription)")
        }
        let found = names.compactMap { name -> (path: String, manifest: BackupManifest)? in
            let path = parent + "/" + name
            guard let manifest = try? BackupManifest.read(from: path) else { return nil }
            return (path, manifest)
        }
        return found.sorted { a, b in
            if a.manifest.createdAt != b.manifest.createdAt { return a.manifest.createdAt < b.manifest.createdAt }
            if a.manifest.feedHead != b.manifest.feedHead { return a.manifest.feedHead < b.manifest.feedHead }
            return a.path < b.path
        }
    }

    /// Deletes the oldest backups in `parent` beyond the newest `keep`, and returns their paths.
    /// Only folders this code made are candidates: named `tenda-backup-…` and holding a
    /// manifest; anything else in `parent` is left alone and not counted.
    @discardableResult
    public static func prune(in parent: String, keep: Int) throws -> [String] {
        let ours = try all(in: parent).filter { ($0.path as NSString).lastPathComponent.hasPrefix(namePrefix) }
        let doomed = ours.dropLast(max(0, keep)).map(\.path)
        for path in doomed {
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                throw StoreError(.io, "cannot remove the old backup \(path): \(error.localizedDescription)")
            }
        }
        return doomed
    }

    /// The newest backup in `parent` (by `createdAt`), or nil when it holds none.
    public static func newest(in parent: String) throws -> (path: String, manifest: BackupManifest)? {
        try all(in: parent).last
    }
}
