import Foundation
import HTTPTypes
import Hummingbird

/// The MiniApp's files: `web/` at `/` (with `index.html` for `/`), Debian's Chart.js at
/// ``chartJSPath``, and `/app-config.json` (what the page needs before sign-in).
///
/// It is a middleware placed ahead of the API's own: static files need no token, no CORS
/// and must not spend a visitor's rate limit (a first load fetches a dozen modules). A
/// `GET`/`HEAD` that names no file falls through to the router, so `/api/…` is never shadowed.
/// Files are read on each request (no build step: an edited file is served at once); an
/// `ETag` from size and modification time lets browsers revalidate for a 304.
struct WebAppRoutes<Context: RequestContext>: RouterMiddleware {
    /// The folder served at `/`.
    let webRoot: String?
    /// Chart.js (Debian's `libjs-chart.js`), served at ``chartJSPath``.
    let chartJSFile: String?
    /// The bot's numeric id (the part of its token before ":"), for the Login Widget; public information.
    let botId: Int64?

    /// Where the page loads Chart.js from; stable whatever the distribution's file is called.
    static var chartJSPath: String { "/vendor/chart.js" }

    /// File types served, by extension; any other file is not served.
    static var contentTypes: [String: String] { [
        "html": "text/html; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "json": "application/json; charset=utf-8",
        "webmanifest": "application/manifest+json",
        "svg": "image/svg+xml",
        "png": "image/png",
        "ico": "image/x-icon",
        "woff2": "font/woff2",
    ] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get || request.method == .head else { return try await next(request, context) }
        let path = request.uri.path
        if path == "/app-config.json" { return appConfig(request) }
        let file: String?
        let cacheControl: String
        if path == Self.chartJSPath {
            file = chartJSFile
            cacheControl = "public, max-age=86400"
        } else {
            file = webRoot.flatMap { Self.file(for: path, under: $0) }
            // No hashed file names without a build step: revalidate every time (a 304 is cheap).
            cacheControl = "no-cache"
        }
        guard let file, let response = try Self.serve(file, request: request, cacheControl: cacheControl) else {
            return try await next(request, context)
        }
        return response
    }

    /// The file a request path names under `root`, or nil when it names none that may be served.
    ///
    /// Refuses traversal outright: any `..` or `.` segment, hidden files, backslashes and NUL
    /// bytes (after percent-decoding), so a path can only name a file inside `root`.
    static func file(for path: String, under root: String) -> String? {
        guard let decoded = path.removingPercentEncoding, !decoded.contains("\\"), !decoded.contains("\0") else { return nil }
        var segments = decoded.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if segments.isEmpty || decoded.hasSuffix("/") { segments.append("index.html") }
        guard segments.allSatisfy({ !$0.hasPrefix(".") }) else { return nil }
        guard let ext = segments.last?.split(separator: ".").last.map(String.init), contentTypes[ext] != nil else { return nil }
        return ([root] + segments).joined(separator: "/")
    }

    /// The file's response (200, or 304 when the browser's copy is current); nil when it is not a readable file.
    static func serve(_ file: String, request: Request, cacheControl: String) throws -> Response? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let size = attributes[.size] as? Int, let modified = attributes[.modificationDate] as? Date else { return nil }
        let ext = String(file.split(separator: ".").last ?? "")
        let eTag = "W/\"\(size)-\(Int(modified.timeIntervalSince1970 * 1000))\""
        var headers: HTTPFields = [
            .contentType: contentTypes[ext] ?? "application/octet-stream",
            .cacheControl: cacheControl,
            .eTag: eTag,
            .lastModified: httpDate(modified),
            .init("X-Content-Type-Options")!: "nosniff",
        ]
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == eTag }) {
            return Response(status: .notModified, headers: headers)
        }
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        headers[.contentLength] = String(data.count)
        let body = request.method == .head ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        return Response(status: .ok, headers: headers, body: body)
    }

    /// `{"botId": 42}` (or null): the Login Widget's redirect needs the bot's id before anyone signs in.
    private func appConfig(_ request: Request) -> Response {
        let body = #"{"botId":\#(botId.map(String.init) ?? "null"),"chartJS":"\#(Self.chartJSPath)"}"#
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-cache"],
                        body: request.method == .head ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// An RFC 9110 date (`Sun, 06 Nov 1994 08:49:37 GMT`), for `Last-Modified`.
    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
