import Foundation
import NIOSSL
import Testing

/// A certificate authority made for one test with `openssl`, in a temporary folder: a root,
/// an intermediate, and the server certificates the intermediate signs for `localhost` and
/// `127.0.0.1`. Clients trust ``rootFile``; the server serves a chain (leaf, then intermediate).
///
/// openssl runs as a child process, waited for by polling (never blocking a cooperative thread).
struct TestCertificateAuthority {
    let folder: URL

    /// The root certificate clients are told to trust (`curl --cacert`).
    var rootFile: String { folder.appendingPathComponent("root.pem").path }
    private var intermediateFile: String { folder.appendingPathComponent("intermediate.pem").path }

    /// A server certificate chain and key, as files.
    struct Issued {
        /// The leaf then the intermediate, PEM.
        let chainFile: String
        /// The leaf's private key, PEM.
        let keyFile: String
        /// The serial as `openssl x509 -serial` prints it (upper-case hex).
        let serial: String
        /// The SHA-256 of the leaf's public key (SPKI), base64: Chromium's
        /// `--ignore-certificate-errors-spki-list` pins exactly this certificate's key.
        let spkiHash: String
    }

    static func make() async throws -> TestCertificateAuthority {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let authority = TestCertificateAuthority(folder: folder)
        let root = folder.appendingPathComponent("root").path
        let intermediate = folder.appendingPathComponent("intermediate").path
        try await authority.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", root + ".key",
                                     "-out", root + ".pem", "-days", "30", "-subj", "/CN=Tenda Test Root",
                                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try await authority.openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", intermediate + ".key",
                                     "-out", intermediate + ".csr", "-subj", "/CN=Tenda Test Intermediate"])
        try "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n"
            .write(toFile: intermediate + ".ext", atomically: true, encoding: .utf8)
        try await authority.openssl(["x509", "-req", "-in", intermediate + ".csr", "-CA", root + ".pem", "-CAkey", root + ".key",
                                     "-set_serial", "0x1000", "-days", "30", "-extfile", intermediate + ".ext", "-out", intermediate + ".pem"])
        return authority
    }

    /// Issues a server certificate with serial `serial` (hex digits) into `name`.pem and `name`.key.
    func issue(_ name: String, serial: String) async throws -> Issued {
        let base = folder.appendingPathComponent(name).path
        try await openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", base + ".key",
                           "-out", base + ".csr", "-subj", "/CN=localhost"])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
            .write(toFile: base + ".ext", atomically: true, encoding: .utf8)
        try await openssl(["x509", "-req", "-in", base + ".csr", "-CA", intermediateFile, "-CAkey", folder.appendingPathComponent("intermediate.key").path,
                           "-set_serial", "0x" + serial, "-days", "30", "-extfile", base + ".ext", "-out", base + ".leaf.pem"])
        let chain = try String(contentsOfFile: base + ".leaf.pem", encoding: .utf8) + String(contentsOfFile: intermediateFile, encoding: .utf8)
        try chain.write(toFile: base + ".pem", atomically: true, encoding: .utf8)
        try await openssl(["x509", "-in", base + ".leaf.pem", "-pubkey", "-noout", "-out", base + ".pub"])
        try await openssl(["pkey", "-pubin", "-in", base + ".pub", "-outform", "der", "-out", base + ".spki"])
        let spki = try Data(contentsOf: URL(fileURLWithPath: base + ".spki"))
        try await openssl(["dgst", "-sha256", "-binary", "-out", base + ".spki.sha256", base + ".spki"])
        let hash = try Data(contentsOf: URL(fileURLWithPath: base + ".spki.sha256"))
        #expect(!spki.isEmpty && hash.count == 32)
        return Issued(chainFile: base + ".pem", keyFile: base + ".key", serial: serial.uppercased(), spkiHash: hash.base64EncodedString())
    }

    /// Issues a server certificate valid only in January 2020 (expired), into `name`.pem and
    /// `name`.key. `openssl x509` cannot back-date; `openssl ca` can, given its small database.
    func issueExpired(_ name: String) async throws -> Issued {
        let base = folder.appendingPathComponent(name).path
        let database = folder.appendingPathComponent("ca-\(name)").path
        try FileManager.default.createDirectory(atPath: database, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: database + "/index.txt", contents: nil)
        try "01\n".write(toFile: database + "/serial", atomically: true, encoding: .utf8)
        try "[ca]\ndefault_ca=test\n[test]\ndatabase=\(database)/index.txt\nnew_certs_dir=\(database)\nserial=\(database)/serial\ndefault_md=sha256\npolicy=any\n[any]\ncommonName=supplied\n"
            .write(toFile: database + "/ca.cnf", atomically: true, encoding: .utf8)
        try await openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", base + ".key",
                           "-out", base + ".csr", "-subj", "/CN=localhost"])
        try await openssl(["ca", "-batch", "-config", database + "/ca.cnf", "-cert", intermediateFile, "-keyfile", folder.appendingPathComponent("intermediate.key").path,
                           "-in", base + ".csr", "-out", base + ".pem", "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", "-notext"])
        return Issued(chainFile: base + ".pem", keyFile: base + ".key", serial: "01", spkiHash: "")
    }

    /// Copies `issued`'s files over `chainFile` and `keyFile`, each by an atomic rename (as
    /// certbot and most renewal tools replace them).
    func install(_ issued: Issued, chainFile: String, keyFile: String) throws {
        for (from, to) in [(issued.keyFile, keyFile), (issued.chainFile, chainFile)] {
            let staged = to + ".new"
            try? FileManager.default.removeItem(atPath: staged)
            try FileManager.default.copyItem(atPath: from, toPath: staged)
            guard rename(staged, to) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        }
    }

    /// A client TLS configuration that trusts only this CA's root.
    func clientTLS() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(rootFile))
        return tls
    }

    /// curl, trusting only this CA: the status line's code, the headers and the body.
    func curl(_ arguments: [String]) async throws -> (status: Int, headers: String, body: String) {
        let headers = folder.appendingPathComponent("headers-\(UUID().uuidString)").path
        let body = folder.appendingPathComponent("body-\(UUID().uuidString)").path
        defer { [headers, body].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        let output = try await TestCommand.run("/usr/bin/curl", ["-sS", "--cacert", rootFile, "-D", headers, "-o", body] + arguments, in: folder)
        #expect(output.status == 0, "curl \(arguments.joined(separator: " ")): \(output.text)")
        let headerText = (try? String(contentsOfFile: headers, encoding: .utf8)) ?? ""
        let status = headerText.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return (status, headerText, (try? String(contentsOfFile: body, encoding: .utf8)) ?? "")
    }

    /// The serial of the certificate a new TLS connection to `port` is offered, as openssl
    /// prints it (upper-case hex); empty when no handshake was made.
    func servedSerial(port: Int) async throws -> String {
        let output = try await TestCommand.run(
            "/bin/sh", ["-c", "openssl s_client -connect 127.0.0.1:\(port) </dev/null 2>/dev/null | openssl x509 -noout -serial"], in: folder)
        return output.text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
    }

    func remove() {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs openssl with `arguments` and fails with its output unless it exits 0.
    func openssl(_ arguments: [String]) async throws {
        let output = try await TestCommand.run("/usr/bin/openssl", arguments, in: folder)
        guard output.status == 0 else {
            Issue.record("openssl \(arguments.joined(separator: " ")) failed (\(output.status)): \(output.text)")
            throw CancellationError()
        }
    }
}

/// A command-line program run to its end as a child process, its output kept in a file.
enum TestCommand {
    struct Output {
        let status: Int32
        let text: String
    }

    /// Runs `executable` and waits for it by polling, so no cooperative thread is held; a
    /// program that has not exited within `seconds` is killed and fails the test.
    static func run(_ executable: String, _ arguments: [String], in folder: URL, seconds: Double = 60) async throws -> Output {
        let log = folder.appendingPathComponent("command-\(UUID().uuidString).log").path
        let process = try SpawnedProcess(executable, arguments, output: log, errors: log)
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                Issue.record("\(executable) \(arguments.joined(separator: " ")) did not exit within \(seconds) s")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: log)
        return Output(status: process.terminationStatus, text: text)
    }
}

/// Polls `condition` every 20 ms until it holds; fails the test after `seconds` (a deadline for
/// a loaded machine, not a speed check).
func poll(_ what: String, seconds: Double = 30, _ condition: @Sendable () async -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while !(await condition()) {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out after \(seconds) s waiting for \(what)")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
