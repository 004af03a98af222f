import Crypto
import Foundation
import NIOCore

/// The MiniApp (`web/`, every file) and Chart.js as the build found them, carried inside the
/// executable, so `tenda` serves its pages with no folder beside it.
///
/// The `EmbedWebApp` plugin generates ``generatedFiles`` and ``generatedChartJS`` (base64, with
/// each source file's modification time) on every build that changes one of them. They are
/// decoded once, on the first request for a file, so start-up does not pay for them.
struct EmbeddedWebApp {
    /// One file as the generator wrote it.
    struct Source: Sendable {
        /// Its path under `web/` ("index.html", "js/app.js").
        let path: String
        /// Its modification time when the binary was built, in seconds since 1970.
        let modified: Int64
        let base64: String
    }

    /// A file ready to serve.
    struct File: Sendable {
        let bytes: ByteBuffer
        /// A weak validator from the content's SHA-256: equal bytes, equal tag, whichever build
        /// served them (weak, since compression changes the bytes on the wire, not the file).
        let eTag: String
        let modified: Date

        init(_ source: Source) {
            // The generator wrote this text; failing to decode it is a programmer error.
            guard let data = Data(base64Encoded: source.base64) else { preconditionFailure("\(source.path) is not base64") }
            bytes = ByteBuffer(bytes: data)
            eTag = "W/\"" + SHA256.hash(data: data).prefix(16).map { String(format: "%02x", $0) }.joined() + "\""
            modified = Date(timeIntervalSince1970: TimeInterval(source.modified))
        }
    }

    /// `web/`'s files by their path under it.
    static let files: [String: File] = Dictionary(uniqueKeysWithValues: generatedFiles.map { ($0.path, File($0)) })

    /// Debian's `chart.min.js` (`libjs-chart.js`) of the building machine.
    static let chartJS = File(generatedChartJS)
}
