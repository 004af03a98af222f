import Foundation
import Store

/// The store's map (how close it is to the most it may hold) and its reader table (slots a
/// dead process left behind). Opens the file read-only, clearing nothing and taking no lock,
/// so it runs beside a serving tenda.
struct StoreFileChecks: CheckFamily {
    let folder: String
    /// The ceiling the map may grow to: `tenda serve --max-map-size`.
    let ceiling: Int

    /// Above this share of the room the map has left to grow into, a warning; above the next, a failure.
    static let warnShare = 0.80
    static let failShare = 0.95

    func run() async -> [Check] {
        let inspection: StoreInspection
        do {
            inspection = try StoreInspection.inspect(at: folder)
        } catch {
            return [.fail("store \(folder)", "cannot be opened read-only: \(error.message)"),
                    .skip("reader slots", "the store could not be opened")]
        }
        return [mapCheck(inspection, diskFree: Self.diskFree(folder)), readerCheck(inspection)]
    }

    /// Used against what the file may still grow to. The map itself grows by doubling as it
    /// fills (the writer does so ahead of need), so its current size says nothing; the limits are
    /// the ceiling and the free disk, whichever is nearer.
    func mapCheck(_ inspection: StoreInspection, diskFree: Int?) -> Check {
        let subject = "store map \(folder)/data.mdb"
        let ceiling = max(ceiling, inspection.mapSize)
        var limit = ceiling
        var limitName = "the \(Self.bytes(ceiling)) ceiling (--max-map-size)"
        if let diskFree, inspection.mapUsed + diskFree < ceiling {
            limit = inspection.mapUsed + diskFree
            limitName = "the disk's \(Self.bytes(diskFree)) free"
        }
        let share = Double(inspection.mapUsed) / Double(max(limit, 1))
        let detail = "\(Self.bytes(inspection.mapUsed)) used, \(Int((share * 100).rounded(.down))) % of what it may grow to (\(limitName)); the map is \(Self.bytes(inspection.mapSize)) now and doubles as it fills"
        if share > Self.failShare {
            return .fail(subject, detail + ": writes will soon be refused with 507 storage_full; free disk space or raise --max-map-size")
        }
        if share > Self.warnShare {
            return .warn(subject, detail + ": make room (free disk space, raise --max-map-size) before writes are refused")
        }
        return .ok(subject, detail)
    }

    func readerCheck(_ inspection: StoreInspection) -> Check {
        let subject = "reader slots \(folder)/lock.mdb"
        let stale = inspection.staleReaders
        let inUse = inspection.readers.count - stale.count
        guard !stale.isEmpty else {
            return .ok(subject, "\(inUse) in use of \(inspection.maxReaders), none stale")
        }
        let processes = stale.map { String($0.processIdentifier) }.joined(separator: ", ")
        let detail = "\(stale.count) stale (left by process\(stale.count == 1 ? "" : "es") \(processes), now gone), \(inUse) in use, of \(inspection.maxReaders): a stale slot keeps old pages from reuse, so the file grows; `mdb_stat -rr \(folder)` clears them safely beside a running tenda, and so does the next tenda serve start (tenda doctor only looks)"
        if inspection.readers.count >= inspection.maxReaders {
            return .fail(subject, detail + "; the table is full, so new reads are refused")
        }
        return .warn(subject, detail)
    }

    /// Bytes free to an unprivileged writer on the folder's file system.
    static func diskFree(_ folder: String) -> Int? {
        guard let attributes = try? FileManager.default.attributesOfFileSystem(forPath: folder),
              let free = attributes[.systemFreeSize] as? NSNumber else { return nil }
        return free.intValue
    }

    static func bytes(_ n: Int) -> String { DatabaseCommand.Stats.bytes(n) }
}
