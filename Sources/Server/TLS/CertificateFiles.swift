import Foundation
import NIOSSL
import X509

/// A certificate chain and its private key, read from two PEM files and checked to belong
/// together: what the TLS port serves, and what `tenda doctor` inspects.
///
/// ```swift
/// let pair = try CertificatePair.load(certificate: "/etc/tenda/fullchain.pem", key: "/etc/tenda/privkey.pem")
/// print(pair.subject, pair.notValidAfter)
/// ```
///
/// Loading does not judge the validity dates: whether an expired (or not yet valid) pair is
/// refused is the caller's decision (the server refuses it at start and on reload).
public struct CertificatePair: Sendable {
    /// The leaf certificate first, then the intermediates, in the file's order.
    public let chain: [NIOSSLCertificate]
    /// The leaf certificate's private key.
    public let key: NIOSSLPrivateKey
    /// The leaf certificate's first valid moment.
    public let notValidBefore: Date
    /// The leaf certificate's last valid moment.
    public let notValidAfter: Date
    /// The leaf certificate's subject, as a distinguished name (`CN=shop.example.com`).
    public let subject: String
    /// The leaf certificate's serial number, in lower-case hexadecimal with colons (`1a:2b:…`).
    public let serialNumber: String

    /// Reads the chain from `certificate` and the key from `key`, and checks that the key is
    /// the leaf certificate's (their public keys are the same).
    ///
    /// - Throws: ``CertificateFileError`` naming the file and what is wrong with it.
    public static func load(certificate: String, key: String) throws(CertificateFileError) -> CertificatePair {
        let certificateText = try read(certificate, what: "certificate", notPEM: .noCertificate)
        let keyText = try read(key, what: "key", notPEM: .noKey)

        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(certificateText.utf8))
        } catch {
            throw CertificateFileError(.noCertificate, file: certificate,
                                       "no PEM certificate in it (expected \"-----BEGIN CERTIFICATE-----\"): \(error)")
        }
        guard let leafCertificate = chain.first else {
            throw CertificateFileError(.noCertificate, file: certificate, "no PEM certificate in it (expected \"-----BEGIN CERTIFICATE-----\")")
        }
        let leaf: Certificate
        do {
            leaf = try Certificate(derEncoded: leafCertificate.toDERBytes())
        } catch {
            throw CertificateFileError(.noCertificate, file: certificate, "its first certificate cannot be decoded: \(error)")
        }

        guard let keyBlock = privateKeyBlock(in: keyText) else {
            throw CertificateFileError(.noKey, file: key, "no PEM private key in it (expected \"-----BEGIN PRIVATE KEY-----\")")
        }
        if keyBlock.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----") || keyText.contains("Proc-Type: 4,ENCRYPTED") {
            throw CertificateFileError(.noKey, file: key, "the private key is encrypted; give the key without a passphrase")
        }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(bytes: Array(keyBlock.utf8), format: .pem)
        } catch {
            throw CertificateFileError(.noKey, file: key, "the private key cannot be read: \(error)")
        }
        try checkKey(privateKey, pem: keyBlock, matches: leaf, leafCertificate: leafCertificate, certificate: certificate, key: key)

        return CertificatePair(chain: chain, key: privateKey, notValidBefore: leaf.notValidBefore, notValidAfter: leaf.notValidAfter,
                               subject: leaf.subject.description,
                               serialNumber: leaf.serialNumber.bytes.map { hex($0) }.joined(separator: ":"))
    }

    /// Whether `date` lies within the leaf certificate's validity.
    public func isValid(at date: Date = Date()) -> Bool {
        notValidBefore <= date && date <= notValidAfter
    }

    /// Reads a whole PEM file as text.
    private static func read(_ path: String, what: String, notPEM: CertificateFileError.Kind) throws(CertificateFileError) -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
            throw CertificateFileError(.unreadable, file: path, "cannot read the \(what) file: \(reason)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CertificateFileError(notPEM, file: path,
                                       "not a PEM file (the certificate and the key must be PEM text, not DER)")
        }
        return text
    }

    /// The first private-key PEM block (PKCS#8, RSA or EC) in the text, alone: `openssl ecparam
    /// -genkey` writes an `EC PARAMETERS` block before the key.
    private static func privateKeyBlock(in text: String) -> String? {
        for label in ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"] {
            guard let start = text.range(of: "-----BEGIN \(label)-----"),
                  let end = text.range(of: "-----END \(label)-----", range: start.upperBound..<text.endIndex) else { continue }
            return String(text[start.lowerBound..<end.upperBound]) + "\n"
        }
        return nil
    }

    /// Compares the key's public key with the leaf certificate's. swift-certificates reads
    /// RSA, P-256/384/521 and Ed25519 keys; for any other kind BoringSSL's own check (made
    /// when a TLS context is built from the pair) decides.
    private static func checkKey(_ privateKey: NIOSSLPrivateKey, pem: String, matches leaf: Certificate, leafCertificate: NIOSSLCertificate,
                                 certificate: String, key: String) throws(CertificateFileError) {
        let mismatch = CertificateFileError(.keyMismatch, file: key,
                                            "the private key does not match the certificate in \(certificate) (their public keys differ)")
        if let parsed = try? Certificate.PrivateKey(pemEncoded: pem) {
            guard parsed.publicKey == leaf.publicKey else { throw mismatch }
            return
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(leafCertificate)], privateKey: .privateKey(privateKey))
        configuration.minimumTLSVersion = .tlsv12
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw mismatch
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
    }
}

/// Why a certificate or key file cannot be served: the file, and what is wrong with it, in words
/// meant for the person who deploys the shop.
public struct CertificateFileError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, for callers that act on it (`tenda doctor`'s verdicts).
    public enum Kind: Sendable, Equatable {
        /// The file cannot be read (missing, not permitted, a folder).
        case unreadable
        /// The certificate file holds no PEM certificate that can be decoded.
        case noCertificate
        /// The key file holds no PEM private key that can be read (or only an encrypted one).
        case noKey
        /// The key is not the leaf certificate's.
        case keyMismatch
        /// The certificate is expired or not yet valid (raised by callers that refuse such pairs).
        case notValidNow
    }

    /// What went wrong.
    public let kind: Kind
    /// The file the problem is in.
    public let file: String
    /// The reason, without the file's name.
    public let reason: String

    /// Makes an error about `file`.
    public init(_ kind: Kind, file: String, _ reason: String) {
        self.kind = kind
        self.file = file
        self.reason = reason
    }

    /// `<file>: <reason>`.
    public var description: String { "\(file): \(reason)" }
}
