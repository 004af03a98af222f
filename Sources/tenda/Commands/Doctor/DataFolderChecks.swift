import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The data folder and the files in it that hold secrets: who owns them and who else may read
/// or change them.
///
/// The store file holds the whole shop (customers, debts, sessions), and whoever reads
/// `token-secret` can sign access tokens as any user, owners included; whoever may write the
/// folder may replace either.
struct DataFolderChecks: CheckFamily {
    let folder: String

    func run() async -> [Check] {
        guard let status = Self.status(folder) else {
            return [.fail("data folder \(folder)", "does not exist; give --data-dir the folder tenda serve uses (by default ./tenda-data)")]
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            return [.fail("data folder \(folder)", "is not a folder")]
        }
        var checks = [folderCheck(status)]
        let store = folder + "/data.mdb"
        if let file = Self.status(store) {
            checks.append(storeFileCheck(store, file))
        } else {
            checks.append(.fail("store file \(store)", "missing: no store in this folder (tenda serve --demo or tenda import makes one)"))
        }
        let secret = folder + "/token-secret"
        if let file = Self.status(secret) {
            checks.append(secretCheck(secret, file))
        } else {
            checks.append(.ok("token secret \(secret)", "none yet: tenda serve makes it, mode 0600, on first start (unless TENDA_JWT_SECRET gives one)"))
        }
        return checks
    }

    private func folderCheck(_ status: stat) -> Check {
        let subject = "data folder \(folder)"
        let mode = Self.octal(status.st_mode)
        if status.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            return .fail(subject, "mode \(mode): \(Self.whoMayWrite(status.st_mode)) may write it and so replace the store or the token secret; chmod 0700 \(folder)")
        }
        let owner = Self.userName(status.st_uid)
        let me = geteuid()
        if status.st_uid == me {
            return .ok(subject, "owned by \(owner), mode \(mode)")
        }
        if me == 0 {
            return .ok(subject, "owned by \(owner), mode \(mode) (checked as root)")
        }
        return .warn(subject, "owned by \(owner), mode \(mode), but this check runs as \(Self.userName(me)): tenda serve must run as \(owner) to write it; run tenda doctor as \(owner) too")
    }

    private func storeFileCheck(_ path: String, _ status: stat) -> Check {
        let subject = "store file \(path)"
        let mode = Self.octal(status.st_mode)
        if status.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            return .fail(subject, "mode \(mode): \(Self.whoMayWrite(status.st_mode)) may change the shop's records; chmod 0600 \(path)")
        }
        if status.st_mode & S_IROTH != 0 {
            return .fail(subject, "mode \(mode): everyone on this machine may read the whole shop (customers, debts, sessions); chmod 0600 \(path)")
        }
        return .ok(subject, "owned by \(Self.userName(status.st_uid)), mode \(mode)")
    }

    private func secretCheck(_ path: String, _ status: stat) -> Check {
        let subject = "token secret \(path)"
        let mode = Self.octal(status.st_mode)
        if status.st_mode & 0o077 != 0 {
            return .fail(subject, "mode \(mode): whoever reads it can sign access tokens as any user, owners included; chmod 0600 \(path), and delete it (tenda serve makes a new one, ending every session) if it may have been read")
        }
        if status.st_size < 32 {
            return .fail(subject, "only \(status.st_size) bytes; tenda serve would replace it with a new one, ending every session")
        }
        return .ok(subject, "owned by \(Self.userName(status.st_uid)), mode \(mode)")
    }

    /// `lstat` of a path, or nil when it does not exist (a symbolic link is judged as itself).
    static func status(_ path: String) -> stat? {
        var result = stat()
        return lstat(path, &result) == 0 ? result : nil
    }

    static func octal(_ mode: mode_t) -> String {
        let text = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }

    static func whoMayWrite(_ mode: mode_t) -> String {
        mode & S_IWOTH != 0 ? "everyone on this machine" : "the group"
    }

    /// The user's name, or `uid N` when the system has none for it.
    static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return String(cString: name)
    }
}
