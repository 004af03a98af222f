import Foundation
import Hummingbird
import Shop

/// Image upload (`POST /api/media`, multipart form data or the raw image as the body) and
/// download (`GET /media/{id}`, cacheable forever: an id never changes its bytes).
struct MediaRoutes {
    let shop: Shop

    func add(to router: Router<AppRequestContext>) {
        router.post("/api/media") { request, context -> JSON<MediaInfoBody> in
            try Self.requireImageBody(request)
            var body = try await request.body.collect(upTo: UploadMedia.maxSize + 64 << 10)
            let raw = body.readBytes(length: body.readableBytes) ?? []
            let bytes = try Multipart.firstFile(in: raw, contentType: request.headers[.contentType] ?? "") ?? raw
            let info = try await shop.execute(UploadMedia(bytes: bytes), as: context.principal)
            return JSON(MediaInfoBody(id: info.id, contentType: info.contentType, size: info.size, url: "/media/\(info.id)"), status: .created)
        }
        router.get("/media/:id") { _, context -> Response in
            guard let id = context.parameters.get("id") else { throw APIError(.notFound, "not_found", "no image") }
            let file = try shop.media(id, as: context.principal)
            return Response(status: .ok, headers: [
                .contentType: file.contentType,
                .cacheControl: "private, max-age=31536000, immutable",
                .eTag: "\"\(file.id)\"",
            ], body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
        }
    }

    /// Refuses a body declared as something an image upload cannot be (415); the image's own
    /// type is read from its bytes, not from the header.
    static func requireImageBody(_ request: Request) throws {
        guard let type = request.headers[.contentType]?.lowercased() else { return }
        let mediaType = type.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard mediaType == "multipart/form-data" || mediaType.hasPrefix("image/") || mediaType == "application/octet-stream" else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "send the image as multipart/form-data or as image/* bytes, not \(mediaType)",
                           field: "Content-Type")
        }
    }

    struct MediaInfoBody: Encodable, Sendable {
        let id: String
        let contentType: String
        let size: Int
        let url: String
    }
}

/// The first file part of a `multipart/form-data` body; nil when the body is not multipart.
enum Multipart {
    static func firstFile(in body: [UInt8], contentType: String) throws -> [UInt8]? {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        guard let boundaryText = contentType.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
            .first(where: { $0.lowercased().hasPrefix("boundary=") })?.dropFirst("boundary=".count) else {
            throw APIError.invalid("file", "multipart body without a boundary")
        }
        let boundary = Array(("--" + boundaryText.trimmingCharacters(in: CharacterSet(charactersIn: "\""))).utf8)
        let headerEnd = Array("\r\n\r\n".utf8)
        var start = 0
        while let partStart = find(boundary, in: body, from: start) {
            let afterBoundary = partStart + boundary.count
            guard let headersEnd = find(headerEnd, in: body, from: afterBoundary) else { break }
            let headers = String(decoding: body[afterBoundary..<headersEnd], as: UTF8.self).lowercased()
            let contentStart = headersEnd + headerEnd.count
            guard let next = find(Array("\r\n".utf8) + boundary, in: body, from: contentStart) else { break }
            if headers.contains("filename=") || headers.contains("content-type: image/") {
                return Array(body[contentStart..<next])
            }
            start = next + 2
        }
        throw APIError.invalid("file", "the multipart body holds no file")
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var i = start
        while i <= haystack.count - needle.count {
            if haystack[i] == needle[0], Array(haystack[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}
