import Foundation
import Server

/// The TLS certificate and key `tenda serve` would be given: they load, the key is the
/// certificate's, and the certificate is valid now and for a while yet.
struct CertificateChecks: CheckFamily {
    /// `--tls-cert` (or TENDA_TLS_CERT); with `key`, nil when TLS is not asked for.
    let certificate: String?
    let key: String?
    let now: Date
    /// Closer than this to its end, a certificate is a warning: renewals that fail need time to fix.
    static let warnWithin: Double = 14 * 86_400

    func run() async -> [Check] {
        switch (certificate, key) {
        case (nil, nil):
            return [.skip("certificate", "no --tls-cert (or TENDA_TLS_CERT) given: tenda serve speaks plain HTTP (behind a proxy that holds the certificate)")]
        case (let certificate?, nil):
            return [.fail("certificate \(certificate)", "--tls-key (or TENDA_TLS_KEY) is missing; tenda serve needs both")]
        case (nil, let key?):
            return [.fail("certificate key \(key)", "--tls-cert (or TENDA_TLS_CERT) is missing; tenda serve needs both")]
        case (let certificate?, let key?):
            let pair: CertificatePair
            do {
                pair = try CertificatePair.load(certificate: certificate, key: key)
            } catch {
                return [.fail("certificate \(certificate)", Self.explain(error))]
            }
            return [validity(pair, certificate: certificate, key: key)]
        }
    }

    /// The loader's reason, with what to do about it.
    static func explain(_ error: CertificateFileError) -> String {
        switch error.kind {
        case .keyMismatch:
            "\(error.description): the key is not this certificate's; give the key the certificate was issued for (certbot's privkey.pem beside its fullchain.pem)"
        case .unreadable:
            "\(error.description): tenda serve must be able to read it (it runs as the data folder's owner)"
        case .noCertificate, .noKey, .notValidNow:
            error.description
        }
    }

    func validity(_ pair: CertificatePair, certificate: String, key: String) -> Check {
        let subject = "certificate \(certificate)"
        let until = ISO8601DateFormatter().string(from: pair.notValidAfter)
        let left = pair.notValidAfter.timeIntervalSince(now)
        let what = "\(pair.subject), key \(key) matches"
        if pair.notValidBefore > now {
            return .fail(subject, "\(what), but not valid before \(ISO8601DateFormatter().string(from: pair.notValidBefore)): clients refuse it until then (or this machine's clock is behind)")
        }
        if left <= 0 {
            return .fail(subject, "\(what), but expired \(until) (\(BackupChecks.duration(-left)) ago): clients refuse it; renew it (certbot renew, or your CA) and restart tenda serve")
        }
        if left < Self.warnWithin {
            return .warn(subject, "\(what), expires \(until), in \(BackupChecks.duration(left)): renew it before then (and check that automatic renewal works)")
        }
        return .ok(subject, "\(what), valid until \(until) (\(BackupChecks.duration(left)) left)")
    }
}
