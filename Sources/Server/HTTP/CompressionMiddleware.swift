import CompressNIO
import HTTPTypes
import Hummingbird
import NIOCore

/// Compresses text-like responses (JSON, CSV, HTML, JavaScript, CSS, SVG …) with gzip or
/// deflate when the request's `Accept-Encoding` allows it.
///
/// It sits outermost on the router, so API answers and the MiniApp's files alike pass
/// through it. Only bodies of a known length between ``minimumSize`` and ``maximumSize`` are
/// compressed: a streamed body without a length is a Server-Sent Events stream or similar,
/// which must reach the client as it is written, and below a kilobyte the gzip header and
/// the CPU cost outweigh the saving. Images, fonts and other already-compressed media are
/// passed through untouched. `/ws` is on its own router and never comes here.
struct CompressionMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Bodies below this many bytes are sent as they are.
    static var minimumSize: Int { 1024 }
    /// Bodies above this are sent as they are, rather than held in memory whole to compress.
    static var maximumSize: Int { 8 << 20 }

    /// An encoding the server can produce, in its `Content-Encoding` spelling.
    enum Encoding: String, Equatable {
        case gzip
        /// HTTP's "deflate" is the zlib format (RFC 1950), not a raw deflate stream.
        case deflate

        var algorithm: CompressionAlgorithm {
            // Level 6, zlib's default: most of level 9's saving at a fraction of its CPU time.
            let configuration = ZlibConfiguration(compressionLevel: .compressionLevel6)
            return switch self {
            case .gzip: .gzip(configuration: configuration)
            case .deflate: .zlib(configuration: configuration)
            }
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard Self.isCompressible(response) else { return response }
        // The answer depends on Accept-Encoding from now on, whether or not this one is compressed.
        Self.addVary(to: &response)
        guard request.method != .head, let encoding = Self.encoding(accepted: request.headers[.acceptEncoding]) else { return response }
        var body = try await Self.collect(response.body)
        let compressed = try body.compress(with: encoding.algorithm)
        response.headers[.contentEncoding] = encoding.rawValue
        response.headers[.contentLength] = String(compressed.readableBytes)
        // A strong validator names exact bytes; the compressed bytes are another representation.
        if let eTag = response.headers[.eTag], !eTag.hasPrefix("W/") { response.headers[.eTag] = "W/" + eTag }
        response.body = ResponseBody(byteBuffer: compressed)
        return response
    }

    /// Whether the response is worth compressing: a text-like type, a known length in range,
    /// a status with a body, and not encoded or marked `no-transform` already.
    static func isCompressible(_ response: Response) -> Bool {
        guard let length = response.body.contentLength, length >= minimumSize, length <= maximumSize else { return false }
        guard response.status.code >= 200, response.status != .noContent, response.status != .partialContent,
              response.status != .notModified else { return false }
        guard response.headers[.contentEncoding] == nil, response.headers[.contentRange] == nil,
              !(response.headers[.cacheControl]?.contains("no-transform") ?? false) else { return false }
        guard let contentType = response.headers[.contentType] else { return false }
        return isCompressible(contentType: contentType)
    }

    /// Text-like media types; images (except SVG), fonts and archives are compressed already.
    static func isCompressible(contentType: String) -> Bool {
        let type = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if type == "text/event-stream" { return false }
        if type.hasPrefix("text/") { return true }
        if type.hasSuffix("+json") || type.hasSuffix("+xml") { return true }
        return ["application/json", "application/javascript", "application/xml", "application/x-ndjson"].contains(type)
    }

    /// The encoding to use for an `Accept-Encoding` value: gzip when acceptable, else
    /// deflate, else none. Codings with `q=0` are refused ones; `*` stands for any not named.
    static func encoding(accepted header: String?) -> Encoding? {
        guard let header else { return nil }
        var weights: [String: Double] = [:]
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let name = pieces.first, !name.isEmpty else { continue }
            var weight = 1.0
            for parameter in pieces.dropFirst() where parameter.hasPrefix("q=") {
                weight = Double(parameter.dropFirst(2)) ?? 0
            }
            weights[name] = weight
        }
        // "x-gzip" is an old spelling of gzip that some clients still send.
        if (weights["gzip"] ?? weights["x-gzip"] ?? weights["*"] ?? 0) > 0 { return .gzip }
        if (weights["deflate"] ?? weights["*"] ?? 0) > 0 { return .deflate }
        return nil
    }

    private static func addVary(to response: inout Response) {
        if let vary = response.headers[.vary] {
            guard !vary.lowercased().contains("accept-encoding") else { return }
            response.headers[.vary] = vary + ", Accept-Encoding"
        } else {
            response.headers[.vary] = "Accept-Encoding"
        }
    }

    /// The whole body, read by running its writer into memory (its length is known and bounded).
    private static func collect(_ body: ResponseBody) async throws -> ByteBuffer {
        let collector = BodyCollector()
        try await body.write(collector)
        return collector.buffer
    }
}

/// A response-body writer that keeps what is written, for compressing it afterwards.
///
/// A class so the middleware can read the bytes after `ResponseBody.write` has consumed the
/// writer; it is used by one task only, never shared.
private final class BodyCollector: ResponseBodyWriter {
    var buffer = ByteBuffer()

    func write(_ part: ByteBuffer) async throws {
        var part = part
        buffer.writeBuffer(&part)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
