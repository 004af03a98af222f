import Foundation
import Logging
import NIOSSL
import Synchronization

/// The certificate the TLS port serves now: read from ``TLSSettings``' files at start and
/// replaced by ``reload(reason:)`` when the files are renewed.
///
/// Each accepted connection takes the current TLS context (``context``) once, for its whole
/// life: a reload changes what new connections are offered, never an open connection, so
/// WebSockets stay connected across a renewal. A new pair that cannot be served (unreadable, a
/// key of another certificate, expired, not yet valid) is refused with an error in the log and
/// the one in use is kept.
public final class ServingCertificate: Sendable {
    /// What is served, and the files' identity when it was read.
    private struct Current {
        var pair: CertificatePair
        var context: NIOSSLContext
        var files: [FileIdentity]
    }

    /// A file's identity as `stat` gives it: a renewal replaces the file (a new inode) or
    /// rewrites it (a new modification time or size).
    struct FileIdentity: Equatable {
        let inode: Int
        let size: Int
        let modified: Date

        init?(_ path: String) {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
            inode = (attributes[.systemFileNumber] as? Int) ?? 0
            size = (attributes[.size] as? Int) ?? 0
            modified = (attributes[.modificationDate] as? Date) ?? .distantPast
        }
    }

    /// The files read, and how often they are looked at.
    public let settings: TLSSettings
    private let logger: Logger
    /// Guards the pair and context in use: read once per accepted connection (on an event
    /// loop), replaced by a reload (on the reload service's task).
    private let current: Mutex<Current>

    /// Reads and checks the pair in `settings`' files.
    ///
    /// - Throws: ``CertificateFileError`` when the pair cannot be served: the server does not
    ///   start without a certificate it can offer.
    public init(settings: TLSSettings, logger: Logger) throws(CertificateFileError) {
        self.settings = settings
        self.logger = logger
        let files = Self.identities(settings)
        let pair = try Self.load(settings)
        let context = try Self.context(for: pair, settings)
        current = Mutex(Current(pair: pair, context: context, files: files))
        logger.info("TLS: serving \(pair.subject), serial \(pair.serialNumber), valid until \(Self.format(pair.notValidAfter))",
                    metadata: ["certificate": "\(settings.certificateFile)"])
    }

    /// The TLS context new connections are given.
    public var context: NIOSSLContext { current.withLock { $0.context } }

    /// The pair in use.
    public var pair: CertificatePair { current.withLock { $0.pair } }

    /// Reads the files again and serves the pair in them from the next connection on; keeps
    /// the pair in use, and says why in the log, when the new one cannot be served.
    ///
    /// - Returns: whether the new pair is now served.
    @discardableResult
    public func reload(reason: String) -> Bool {
        let files = Self.identities(settings)
        do throws(CertificateFileError) {
            let pair = try Self.load(settings)
            let context = try Self.context(for: pair, settings)
            let previous = current.withLock { current in
                defer { current = Current(pair: pair, context: context, files: files) }
                return current.pair
            }
            logger.notice("TLS: certificate reloaded (\(reason)): now serving \(pair.subject), serial \(pair.serialNumber), valid until \(Self.format(pair.notValidAfter)); was serial \(previous.serialNumber)")
            return true
        } catch {
            // Remember these files, so an unchanged bad pair is not reported again every few seconds.
            current.withLock { $0.files = files }
            logger.error("TLS: new certificate refused (\(reason)), still serving serial \(pair.serialNumber): \(error)")
            return false
        }
    }

    /// Whether either file differs from when it was last read (replaced, rewritten, appeared).
    public var filesChanged: Bool {
        let now = Self.identities(settings)
        return current.withLock { $0.files != now }
    }

    private static func identities(_ settings: TLSSettings) -> [FileIdentity] {
        [settings.certificateFile, settings.keyFile].compactMap { FileIdentity($0) }
    }

    /// Loads the pair and refuses one outside its validity dates.
    private static func load(_ settings: TLSSettings) throws(CertificateFileError) -> CertificatePair {
        let pair = try CertificatePair.load(certificate: settings.certificateFile, key: settings.keyFile)
        let now = Date()
        if now > pair.notValidAfter {
            throw CertificateFileError(.notValidNow, file: settings.certificateFile,
                                       "the certificate expired on \(format(pair.notValidAfter)); renew it")
        }
        if now < pair.notValidBefore {
            throw CertificateFileError(.notValidNow, file: settings.certificateFile,
                                       "the certificate is not valid before \(format(pair.notValidBefore)) (is the clock right?)")
        }
        return pair
    }

    /// A server context for the pair: TLS 1.2 and 1.3, HTTP/1.1 offered by ALPN.
    private static func context(for pair: CertificatePair, _ settings: TLSSettings) throws(CertificateFileError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: pair.chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(pair.key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw CertificateFileError(.keyMismatch, file: settings.keyFile, "the certificate and key cannot be served together: \(error)")
        }
    }

    private static func format(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}
