import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Store
import Telegram
import Testing

/// `tenda doctor` run as the built binary against installations made whole here and then
/// broken one way at a time: each breakage must be the one line that fails, and say why.
@Suite(.timeLimit(.minutes(5))) struct DoctorCommandTests {
    /// What one run printed, line by line, with its exit status.
    struct Report {
        let status: Int32
        let lines: [String]
        let errors: String

        /// The line about `subject` ("data folder", "bot token", "clock" …).
        func line(_ subject: String) -> String {
            lines.first { String($0.dropFirst(5)).hasPrefix(subject) } ?? "(no line about \(subject) in:\n\(lines.joined(separator: "\n"))\n\(errors))"
        }

        /// `ok`, `warn`, `FAIL` or `skip` for `subject`.
        func outcome(_ subject: String) -> String {
            line(subject).prefix(5).trimmingCharacters(in: .whitespaces)
        }

        var text: String { lines.joined(separator: "\n") + "\n" + errors }
    }

    /// A data folder as `tenda serve` leaves it, with its mode and its token secret's set as they
    /// should be. Removed by ``discard()``.
    struct Installation {
        let folder: String

        /// The newest backup's folder, when one was taken.
        var backup: String? {
            try? FileManager.default.contentsOfDirectory(atPath: folder + "/backups").sorted().last.map { folder + "/backups/" + $0 }
        }

        /// A data folder with one product, and a backup taken `backupAge` seconds ago (none when nil)
        /// in `backups/` as the bot's `/backup` lays it out: the copy and its manifest.
        static func make(backupAge: Double? = 0) async throws -> Installation {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-doctor-\(UUID().uuidString)").path
            let env = try await Environment.open(at: folder, configuration: .testing)
            let products = try await env.collection("products", key: UInt64Key.self, value: BinaryCodec<DatabaseCommandTests.Product>.self)
            try await env.write { txn in try products.put(txn, 1, DatabaseCommandTests.Product(name: "coxinha")) }
            if let backupAge {
                let taken = Date().addingTimeInterval(-backupAge)
                let copy = folder + "/backups/" + BackupFolders.name(for: taken)
                try await env.backup(to: copy)
                try BackupManifest(createdAt: taken, feedHead: env.head, epoch: "0123456789abcdef0123456789abcdef",
                                   counts: ["products": 1], checksum: BackupManifest.checksum(ofFile: copy + "/data.mdb")).write(to: copy)
            }
            await env.close()
            let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max) }
            #expect(FileManager.default.createFile(atPath: folder + "/token-secret", contents: Data(secret), attributes: [.posixPermissions: 0o600]))
            try DoctorCommandTests.setMode(folder, 0o700)
            return Installation(folder: folder)
        }

        func discard() {
            _ = Glibc.chmod(folder, 0o700)
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    static func setMode(_ path: String, _ mode: mode_t) throws {
        guard Glibc.chmod(path, mode) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Runs `tenda doctor` with `arguments` and the environment given (and none of the caller's
    /// TELEGRAM_* or TENDA_* variables), polling for its exit without holding a thread: the
    /// Bot API stand-in it talks to answers on this process's threads.
    func doctor(_ arguments: [String], environment: [String: String] = [:]) async throws -> Report {
        let files = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-doctor-run-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: files + ".out"); try? FileManager.default.removeItem(atPath: files + ".err") }
        let inherited = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TELEGRAM_") && !$0.key.hasPrefix("TENDA_") }
        let process = try SpawnedProcess(DatabaseCommandTests.tendaBinary.path, ["doctor"] + arguments,
                                         environment: inherited.merging(environment) { $1 }, output: files + ".out", errors: files + ".err")
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.terminate()
                Issue.record("tenda doctor did not finish within 120 s")
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let output = (try? String(contentsOfFile: files + ".out", encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: files + ".err", encoding: .utf8)) ?? ""
        return Report(status: process.terminationStatus, lines: output.split(separator: "\n").map(String.init), errors: errors)
    }

    // MARK: Healthy

    @Test func aHealthyInstallationIsAllOkAndExitsZero() async throws {
        let installation = try await Installation.make()
        defer { installation.discard() }
        let telegram = try await StandInBotAPI.start()
        defer { Task { await telegram.stop() } }

        let pair = try await Self.certificate(in: installation.folder)

        // The token, the API's address and the certificate come from the environment, as tenda serve reads them.
        let report = try await doctor(["--data-dir", installation.folder],
                                      environment: ["TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API": telegram.baseURL,
                                                    "TENDA_TLS_CERT": pair.certificate, "TENDA_TLS_KEY": pair.key])
        #expect(report.status == 0, "\(report.text)")
        for subject in ["data folder", "store file", "token secret", "store map", "reader slots", "last backup", "backup checksum",
                        "certificate", "bot token", "clock"] {
            #expect(report.outcome(subject) == "ok", "\(report.line(subject))")
        }
        #expect(report.line("data folder").hasSuffix("mode 0700"))
        #expect(report.line("token secret").contains("mode 0600"))
        #expect(report.line("bot token").contains("@\(StandInBotAPI.bot.username ?? "")"))
        #expect(report.line("reader slots").contains("none stale"))
        #expect(report.line("certificate").contains("CN=shop.example, key \(pair.key) matches, valid until"))
        #expect(telegram.calls(of: "getMe").count == 1)
    }

    @Test func checksNotAskedForAreSkippedWithAReason() async throws {
        let installation = try await Installation.make()
        defer { installation.discard() }
        let report = try await doctor(["--data-dir", installation.folder])
        #expect(report.status == 0, "\(report.text)")
        #expect(report.outcome("bot token") == "skip")
        #expect(report.line("bot token").contains("no --bot-token"))
        #expect(report.outcome("clock") == "skip")
        #expect(report.outcome("certificate") == "skip")
        #expect(report.line("certificate").contains("no --tls-cert"))
    }

    // MARK: The data folder

    @Test func aFolderEveryoneMayWriteAndAReadableTokenSecretFail() async throws {
        let installation = try await Installation.make()
        defer { installation.discard() }
        try Self.setMode(installation.folder, 0o777)
        try Self.setMode(installation.folder + "/token-secret", 0o644)

        let report = try await doctor(["--data-dir", installation.folder])
        #expect(report.status == 1, "\(report.text)")
        #expect(report.outcome("data folder") == "FAIL")
        #expect(report.line("data folder").contains("mode 0777: everyone on this machine may write it"))
        #expect(report.outcome("token secret") == "FAIL")
        #expect(report.line("token secret").contains("mode 0644"))
        #expect(report.line("token secret").contains("chmod 0600"))
        // Only what is broken fails.
        #expect(report.outcome("store file") == "ok")
        #expect(report.outcome("store map") == "ok")
    }

    @Test func aStoreFileEveryoneMayReadFails() async throws {
        let installation = try await Installation.make()
        defer { installation.discard() }
        try Self.setMode(installation.folder + "/data.mdb", 0o644)
        let report = try await doctor(["--data-dir", installation.folder])
        #expect(report.status == 1)
        #expect(report.outcome("store file") == "FAIL")
        #expect(report.line("store file").contains("everyone on this machine may read the whole shop"))
    }

    @Test func aMissingFolderIsOneClearFailure() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-doctor-none-\(UUID().uuidString)").path
        let report = try await doctor(["--data-dir", folder])
        #expect(report.status == 1)
        #expect(report.outcome("data folder") == "FAIL")
        #expect(report.line("data folder").contains("does not exist"))
        #expect(!FileManager.default.fileExists(atPath: folder))
    }

    // MARK: The store

    @Test func aStoreAtItsCeilingFails() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-doctor-full-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var configuration = StoreConfiguration.testing
        configuration.mapSize = 1 << 20
        configuration.maxMapSize = 1 << 20
        let env = try await Environment.open(at: folder, configuration: configuration)
        let products = try await env.collection("products", key: UInt64Key.self, value: BinaryCodec<DatabaseCommandTests.Product>.self)
        // Fill the 1 MiB map until it refuses a write, first in large writes, then one record at a
        // time: then it is within a few pages of full, as a busy shop's would be.
        var id: UInt64 = 0
        for perWrite in [16, 1] {
            while true {
                do {
                    try await env.write { [id] txn in
                        for i in 0..<perWrite { try products.put(txn, id + UInt64(i), DatabaseCommandTests.Product(name: String(repeating: "x", count: 1_000))) }
                    }
                    id += UInt64(perWrite)
                } catch let error as StoreError where error.code == .storageFull {
                    break
                }
            }
        }
        await env.close()

        let report = try await doctor(["--data-dir", folder, "--max-map-size", "1M"])
        #expect(report.status == 1, "\(report.text)")
        #expect(report.outcome("store map") == "FAIL", "\(report.line("store map"))")
        #expect(report.line("store map").contains("storage_full"))
    }

    @Test func aStaleReaderSlotIsCountedAndLeftForMdbStatToClear() async throws {
        let installation = try await Installation.make()
        defer { installation.discard() }
        // A serving tenda keeps the store open; without an opener LMDB would start the reader
        // table afresh and no slot could be stale. This test process plays that part.
        let serving = try await Environment.open(at: installation.folder, configuration: .testing)

        // Another process opens a read transaction through LMDB's C library and is killed in it.
        let files = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-reader-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: files + ".out"); try? FileManager.default.removeItem(atPath: files + ".err") }
        let script = """
            import ctypes, signal, sys
            lmdb = ctypes.CDLL("liblmdb.so.0")
            env, txn = ctypes.c_void_p(), ctypes.c_void_p()
            MDB_RDONLY = 0x20000
            assert lmdb.mdb_env_create(ctypes.byref(env)) == 0
            assert lmdb.mdb_env_open(env, sys.argv[1].encode(), MDB_RDONLY, 0o640) == 0
            assert lmdb.mdb_txn_begin(env, None, MDB_RDONLY, ctypes.byref(txn)) == 0
            print("reading", flush=True)
            signal.pause()
            """
        let reader = try SpawnedProcess("/usr/bin/env", ["python3", "-c", script, installation.folder], output: files + ".out", errors: files + ".err")
        let deadline = ContinuousClock.now + .seconds(60)
        while !((try? String(contentsOfFile: files + ".out", encoding: .utf8)) ?? "").contains("reading") {
            guard reader.isRunning, ContinuousClock.now < deadline else {
                Issue.record("the reader did not start: \((try? String(contentsOfFile: files + ".err", encoding: .utf8)) ?? "")")
                kill(reader.processIdentifier, SIGKILL)
                await serving.close()
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        // While it lives, its slot is in use, not stale.
        let live = try await doctor(["--data-dir", installation.folder])
        #expect(live.line("reader slots").contains("1 in use"), "\(live.line("reader slots"))")
        #expect(live.outcome("reader slots") == "ok")

        kill(reader.processIdentifier, SIGKILL)
        while reader.isRunning { try await Task.sleep(for: .milliseconds(20)) }

        let report = try await doctor(["--data-dir", installation.folder])
        #expect(report.status == 0, "a stale slot is a warning: \(report.text)")
        #expect(report.outcome("reader slots") == "warn")
        #expect(report.line("reader slots").contains("1 stale (left by process \(reader.processIdentifier), now gone)"))
        #expect(report.line("reader slots").contains("mdb_stat -rr"))
        // The doctor only looks: a second run finds the same slot.
        let again = try await doctor(["--data-dir", installation.folder])
        #expect(again.line("reader slots").contains("1 stale"))

        // What the line advises clears it, beside the open store. (mdb_stat exits 1 after a
        // reader check whatever it found, so its words are what tell.)
        let cleared = try SpawnedProcess("/usr/bin/env", ["mdb_stat", "-rr", installation.folder], output: files + ".clear", errors: files + ".clear")
        defer { try? FileManager.default.removeItem(atPath: files + ".clear") }
        while cleared.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(((try? String(contentsOfFile: files + ".clear", encoding: .utf8)) ?? "").contains("1 stale readers cleared"))
        let after = try await doctor(["--data-dir", installation.folder])
        #expect(after.outcome("reader slots") == "ok", "\(after.line("reader slots"))")
        await serving.close()
    }

    // MARK: Backups

    @Test func aBackupOlderThanTheLimitFails() async throws {
        let installation = try await Installation.make(backupAge: 3 * 86_400)
        defer { installation.discard() }
        let report = try await doctor(["--data-dir", installation.folder])
        #expect(report.status == 1, "\(report.text)")
        #expect(report.outcome("last backup") == "FAIL")
        #expect(report.line("last backup").contains("(3 d ago)"))
        #expect(report.line("last backup").contains("older than --max-backup-age 1 d"))
        // The same backup is young enough for a week's limit, and its copy is whole.
        let week = try await doctor(["--data-dir", installation.folder, "--max-backup-age", "7d"])
        #expect(week.status == 0, "\(week.text)")
        #expect(week.outcome("last backup") == "ok")
        #expect(week.outcome("backup checksum") == "ok")
    }

    @Test func aDamagedBackupCopyFailsItsChecksum() async throws {
        let installation = try await Installation.make()
        defer { installation.discard() }
        let copy = try #require(installation.backup) + "/data.mdb"
        let file = try #require(FileHandle(forUpdatingAtPath: copy))
        try file.seek(toOffset: 100)
        try file.write(contentsOf: Data([0xFF, 0xEE]))
        try file.close()

        let report = try await doctor(["--data-dir", installation.folder])
        #expect(report.status == 1, "\(report.text)")
        #expect(report.outcome("last backup") == "ok")
        #expect(report.outcome("backup checksum") == "FAIL")
        #expect(report.line("backup checksum").contains("the copy changed or is damaged"))
    }

    @Test func noBackupIsAWarningThatSaysWhereItLooked() async throws {
        let installation = try await Installation.make(backupAge: nil)
        defer { installation.discard() }
        let elsewhere = installation.folder + "/elsewhere"
        let report = try await doctor(["--data-dir", installation.folder, "--backup-dir", elsewhere])
        #expect(report.status == 0, "\(report.text)")
        #expect(report.outcome("last backup") == "warn")
        #expect(report.line("last backup").contains("none under \(elsewhere)"))
    }

    // MARK: The certificate

    /// A certificate and key made by `openssl` in `folder`: a fresh self-signed pair valid for
    /// `days`, or, with `start` and `end` (`YYYYMMDDHHMMSSZ`), one signed by `openssl ca` over
    /// exactly that span (`req -x509` cannot date a certificate in the past before OpenSSL 3.4).
    static func certificate(in folder: String, days: Int = 90, start: String? = nil, end: String? = nil) async throws -> (certificate: String, key: String) {
        let certificate = folder + "/cert-\(UUID().uuidString).pem"
        let key = folder + "/key-\(UUID().uuidString).pem"
        if let start, let end {
            let request = folder + "/request.csr"
            try await openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                               "-keyout", key, "-out", request, "-subj", "/CN=shop.example"], in: folder)
            try "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n"
                .write(toFile: folder + "/ca.cnf", atomically: true, encoding: .utf8)
            try "".write(toFile: folder + "/index.txt", atomically: true, encoding: .utf8)
            try "01\n".write(toFile: folder + "/serial", atomically: true, encoding: .utf8)
            try await openssl(["ca", "-config", "ca.cnf", "-batch", "-selfsign", "-keyfile", key, "-in", request,
                               "-startdate", start, "-enddate", end, "-notext", "-out", certificate], in: folder)
        } else {
            try await openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                               "-keyout", key, "-out", certificate, "-days", String(days), "-subj", "/CN=shop.example"], in: folder)
        }
        return (certificate, key)
    }

    /// Runs `openssl` in `folder`, polling for its exit; fails the test with its errors when it fails.
    static func openssl(_ arguments: [String], in folder: String) async throws {
        let log = folder + "/openssl-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let process = try SpawnedProcess("/usr/bin/env", ["-C", folder, "openssl"] + arguments, output: log, errors: log)
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        guard process.terminationStatus == 0 else {
            Issue.record("openssl \(arguments.joined(separator: " ")) failed: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            throw CancellationError()
        }
    }

    @Test func aCertificateWhoseKeyIsAnothersFails() async throws {
        let installation = try await Installation.make()
        defer { installation.discard() }
        let first = try await Self.certificate(in: installation.folder)
        let second = try await Self.certificate(in: installation.folder)
        let report = try await doctor(["--data-dir", installation.folder, "--tls-cert", first.certificate, "--tls-key", second.key])
        #expect(report.status == 1, "\(report.text)")
        #expect(report.outcome("certificate") == "FAIL", "\(report.line("certificate"))")
    }

    @Test func anExpiredCertificateFailsAndOneAboutToExpireWarns() async throws {
        let installation = try await Installation.make()
        defer { installation.discard() }
        let expired = try await Self.certificate(in: installation.folder, start: "20200101000000Z", end: "20200201000000Z")
        let report = try await doctor(["--data-dir", installation.folder, "--tls-cert", expired.certificate, "--tls-key", expired.key])
        #expect(report.status == 1, "\(report.text)")
        #expect(report.outcome("certificate") == "FAIL")
        #expect(report.line("certificate").contains("expired 2020-02-01T00:00:00Z"))

        let soon = try await Self.certificate(in: installation.folder, days: 7)
        let warned = try await doctor(["--data-dir", installation.folder], environment: ["TENDA_TLS_CERT": soon.certificate, "TENDA_TLS_KEY": soon.key])
        #expect(warned.status == 0, "\(warned.text)")
        #expect(warned.outcome("certificate") == "warn")
        #expect(warned.line("certificate").contains("shop.example"))
        #expect(warned.line("certificate").contains("renew it before then"))
    }

    // MARK: Telegram

    @Test func aTokenTelegramRefusesIsAClearFailure() async throws {
        let installation = try await Installation.make()
        defer { installation.discard() }
        let telegram = try await StandInBotAPI.start()
        defer { Task { await telegram.stop() } }

        let report = try await doctor(["--data-dir", installation.folder, "--bot-token", "123456:WRONG", "--telegram-api", telegram.baseURL])
        #expect(report.status == 1, "\(report.text)")
        #expect(report.outcome("bot token") == "FAIL")
        #expect(report.line("bot token").contains("401"))
        #expect(report.line("bot token").contains("wrong or was revoked"))
        #expect(!report.text.contains("123456:WRONG"), "the token is never printed")
        // Telegram's refusal is still dated: the clock is read from it.
        #expect(report.outcome("clock") == "ok")
    }

    @Test func aBotAPINobodyAnswersIsAFailureNotAHang() async throws {
        let installation = try await Installation.make()
        defer { installation.discard() }
        // A port this test holds without listening on it: every connection to it is refused
        // (a port merely free could be taken by another test's server meanwhile).
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var bound = sockaddr_in()
        bound.sin_family = sa_family_t(AF_INET)
        bound.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &bound) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                guard bind(socket, address, length) == 0, getsockname(socket, address, &length) == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
            }
        }
        let address = "http://127.0.0.1:\(UInt16(bigEndian: bound.sin_port))"
        let report = try await doctor(["--data-dir", installation.folder, "--bot-token", StandInBotAPI.defaultToken, "--telegram-api", address])
        #expect(report.status == 1, "\(report.text)")
        #expect(report.line("bot token").contains("no answer from \(address)"))
        #expect(report.outcome("clock") == "skip")
    }

    @Test(arguments: [(offset: 3_600.0, outcome: "FAIL", status: Int32(1)), (offset: -3_600.0, outcome: "FAIL", status: 1),
                      (offset: 120.0, outcome: "warn", status: 0)])
    func aClockFarFromTelegramsIsCalledOut(offset: Double, outcome: String, status: Int32) async throws {
        let installation = try await Installation.make()
        defer { installation.discard() }
        // Telegram's clock `offset` seconds from ours looks, from here, like ours off by as much.
        let telegram = try await StandInBotAPI.start(channelHandlers: { [ServerClock(offset: offset)] })
        defer { Task { await telegram.stop() } }

        let report = try await doctor(["--data-dir", installation.folder, "--bot-token", telegram.token, "--telegram-api", telegram.baseURL])
        #expect(report.status == status, "\(report.text)")
        #expect(report.outcome("clock") == outcome, "\(report.line("clock"))")
        let seconds = Int(offset.magnitude)
        #expect(report.line("clock").contains(offset > 0 ? "behind" : "ahead of"))
        #expect(report.line("clock").contains("--initdata-max-age"))
        // Within a second or two of the offset, whatever the run's own delays.
        let found = report.line("clock").components(separatedBy: "clock: ").last?.split(separator: " ").first.flatMap { Int($0) } ?? -1
        #expect(abs(found - seconds) <= 2, "\(report.line("clock"))")
        #expect(report.outcome("bot token") == "ok")
    }

    @Test func theClockCanBeReadFromAnotherServer() async throws {
        let installation = try await Installation.make()
        defer { installation.discard() }
        let server = try await StandInBotAPI.start(channelHandlers: { [ServerClock(offset: 600)] })
        defer { Task { await server.stop() } }

        // No bot token: the clock is still checked, against the server named.
        let report = try await doctor(["--data-dir", installation.folder, "--clock-url", server.baseURL + "/"])
        #expect(report.status == 1, "\(report.text)")
        #expect(report.outcome("bot token") == "skip")
        #expect(report.outcome("clock") == "FAIL", "\(report.line("clock"))")
        #expect(report.line("clock").contains("behind \(server.baseURL)/"))
        #expect(report.lines.filter { $0.dropFirst(5).hasPrefix("clock") }.count == 1)
    }
}
