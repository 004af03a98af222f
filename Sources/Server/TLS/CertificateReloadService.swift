import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Reloads the served certificate on SIGHUP (`kill -HUP`, `systemctl reload tenda`) and when
/// its files change, for as long as the server runs.
///
/// SIGHUP is caught from the moment this is made (when the application is built), not from
/// when it starts running, so a reload asked for while the server starts does not end the
/// process (SIGHUP's default action). Without TLS it runs all the same, and a SIGHUP is only
/// logged: a service manager's reload (`ExecReload=/bin/kill -HUP $MAINPID`) must never stop
/// a plain-HTTP server.
struct CertificateReloadService: Service {
    /// The served certificate; nil when the server speaks plain HTTP.
    let certificate: ServingCertificate?
    private let logger: Logger
    private let hangups: AsyncStream<Void>
    private let signalSource: HangupSignalSource

    init(certificate: ServingCertificate?, logger: Logger) {
        self.certificate = certificate
        self.logger = logger
        let (hangups, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.hangups = hangups
        signalSource = HangupSignalSource { continuation.yield() }
    }

    /// Runs until graceful shutdown; a reload's failure is logged, never thrown (the server
    /// goes on with the certificate it has).
    func run() async {
        defer { signalSource.cancel() }
        let hangups = self.hangups
        guard let certificate else {
            let logger = self.logger
            await cancelWhenGracefulShutdown {
                for await _ in hangups { logger.notice("SIGHUP: no TLS certificate to reload (--tls-cert); nothing else is reloaded") }
            }
            return
        }
        let interval = certificate.settings.fileCheckInterval
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    // Ends when the task is cancelled.
                    for await _ in hangups { certificate.reload(reason: "SIGHUP") }
                }
                group.addTask {
                    while (try? await Task.sleep(for: interval)) != nil {
                        if certificate.filesChanged { certificate.reload(reason: "the files changed") }
                    }
                }
            }
        }
    }
}

/// A Dispatch signal source for SIGHUP. SIGHUP's default action (ending the process) is turned
/// off while it exists, since Dispatch only sees signals that are not acted on otherwise.
final class HangupSignalSource: Sendable {
    /// Guards the source: made in `init`, cancelled once by ``cancel()`` from the service's task.
    private let source: Mutex<(any DispatchSourceSignal)?>

    init(_ handler: @escaping @Sendable () -> Void) {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler(handler: handler)
        source.resume()
        self.source = Mutex(source)
    }

    /// An application built and never run (a test's) lets its source go here.
    deinit {
        cancel()
    }

    func cancel() {
        source.withLock { source in
            source?.cancel()
            source = nil
        }
    }
}
