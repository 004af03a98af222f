/// HTTPS on the server's own port (`tenda serve --tls-cert FILE --tls-key FILE`): REST, the
/// MiniApp, `/ws`, SSE and the Telegram webhook are all served over TLS.
public struct TLSSettings: Sendable {
    /// The PEM certificate chain: the server's certificate first, then its intermediates.
    public var certificateFile: String
    /// The PEM private key of the first certificate (unencrypted).
    public var keyFile: String
    /// How often the two files are looked at (modification time, size, inode) for a renewed
    /// certificate; SIGHUP reloads at once.
    public var fileCheckInterval: Duration = .seconds(5)
    /// A connection that has not finished its TLS handshake by then is closed: plain HTTP sent
    /// to the TLS port, or a client that never speaks, does not hold a connection open.
    public var handshakeTimeout: Duration = .seconds(10)
    /// `Strict-Transport-Security: max-age=…` on every TLS answer, in seconds (a year).
    public var strictTransportSecurityMaxAge: Int = 31_536_000

    /// HTTPS with the certificate chain and key in these two PEM files.
    public init(certificateFile: String, keyFile: String) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}
