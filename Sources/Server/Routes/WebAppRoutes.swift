import Foundation
import HTTPTypes
import Hummingbird
import Telegram

/// The MiniApp's files: `web/` at `/` (with `index.html` for `/`), Chart.js at ``chartJSPath``,
/// and `/app-config.json` (what the page needs before sign-in).
///
/// It is a middleware placed ahead of the API's own: static files need no token, no CORS and
/// must not spend a visitor's rate limit (a first load fetches a dozen modules). A `GET`/`HEAD`
/// that names no file falls through to the router, so `/api/…` is never shadowed.
///
/// The files come from the executable (``EmbeddedWebApp``, what the build found in `web/`),
/// unless ``webRoot`` names a folder: then they are read from it on each request, so an edited
/// file is served at once while developing. Either way an `ETag` and `Last-Modified` let
/// browsers revalidate for a 304.
struct WebAppRoutes<Context: RequestContext>: RouterMiddleware {
    /// A folder served at `/` instead of the embedded `web/` (`--web-root`); nil serves the embedded files.
    let webRoot: String?
    /// A Chart.js file served at ``chartJSPath`` instead of the embedded copy; nil serves the embedded one.
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
        let response: Response?
        if path == Self.chartJSPath {
            let cacheControl = "public, max-age=86400"
            if let chartJSFile {
                response = try Self.serve(chartJSFile, request: request, cacheControl: cacheControl)
            } else {
                response = Self.serve(EmbeddedWebApp.chartJS, type: Self.contentTypes["js"]!, request: request, cacheControl: cacheControl)
            }
        } else if let relative = Self.relativePath(for: path) {
            // No hashed file names without a build step: revalidate every time (a 304 is cheap).
            let cacheControl = "no-cache"
            if let webRoot {
                response = try Self.serve(webRoot + "/" + relative, request: request, cacheControl: cacheControl)
            } else {
                response = EmbeddedWebApp.files[relative].map {
                    Self.serve($0, type: Self.contentType(of: relative), request: request, cacheControl: cacheControl)
                }
            }
        } else {
            response = nil
        }
        guard let response else { return try await next(request, context) }
        return response
    }

    /// The path under `web/` a request path names ("js/app.js"; "index.html" for a folder), or
    /// nil when it names none that may be served.
    ///
    /// Refuses traversal outright: any `..` or `.` segment, hidden files, backslashes and NUL
    /// bytes (after percent-decoding), so a path can only name a file inside the folder.
    static func relativePath(for path: String) -> String? {
        guard let decoded = path.removingPercentEncoding, !decoded.contains("\\"), !decoded.contains("\0") else { return nil }
        var segments = decoded.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if segments.isEmpty || decoded.hasSuffix("/") { segments.append("index.html") }
        guard segments.allSatisfy({ !$0.hasPrefix(".") }) else { return nil }
        guard let ext = segments.last?.split(separator: ".").last.map(String.init), contentTypes[ext] != nil else { return nil }
        return segments.joined(separator: "/")
    }

    static func contentType(of file: String) -> String {
        contentTypes[String(file.split(separator: ".").last ?? "")] ?? "application/octet-stream"
    }

    /// A file of the folder: its response (200, or 304 when the browser's copy is current); nil
    /// when it is not a readable file.
    static func serve(_ file: String, request: Request, cacheControl: String) throws -> Response? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let size = attributes[.size] as? Int, let modified = attributes[.modificationDate] as? Date else { return nil }
        let eTag = "W/\"\(size)-\(Int(modified.timeIntervalSince1970 * 1000))\""
        var headers = headers(type: contentType(of: file), eTag: eTag, modified: modified, cacheControl: cacheControl)
        if matches(request, eTag) { return Response(status: .notModified, headers: headers) }
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        headers[.contentLength] = String(data.count)
        let body = request.method == .head ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        return Response(status: .ok, headers: headers, body: body)
    }

    /// An embedded file's response (200, or 304 when the browser's copy is current).
    static func serve(_ file: EmbeddedWebApp.File, type: String, request: Request, cacheControl: String) -> Response {
        var headers = headers(type: type, eTag: file.eTag, modified: file.modified, cacheControl: cacheControl)
        if matches(request, file.eTag) { return Response(status: .notModified, headers: headers) }
        headers[.contentLength] = String(file.bytes.readableBytes)
        return Response(status: .ok, headers: headers, body: request.method == .head ? ResponseBody() : ResponseBody(byteBuffer: file.bytes))
    }

    private static func headers(type: String, eTag: String, modified: Date, cacheControl: String) -> HTTPFields {
        [
            .contentType: type,
            .cacheControl: cacheControl,
            .eTag: eTag,
            .lastModified: HTTPDate.format(modified),
            .init("X-Content-Type-Options")!: "nosniff",
        ]
    }

    /// Whether the request's `If-None-Match` names `eTag`.
    private static func matches(_ request: Request, _ eTag: String) -> Bool {
        guard let match = request.headers[.ifNoneMatch] else { return false }
        return match.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == eTag }
    }

    /// `{"botId": 42}` (or null): the Login Widget's redirect needs the bot's id before anyone signs in.
    private func appConfig(_ request: Request) -> Response {
        let body = #"{"botId":\#(botId.map(String.init) ?? "null"),"chartJS":"\#(Self.chartJSPath)"}"#
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-cache"],
                        body: request.method == .head ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// An RFC 9110 date (`Sun, 06 Nov 1994 08:49:37 GMT`), for `Last-Modified`.
}
