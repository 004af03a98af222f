import CompressNIO
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Compressible answers are gzip- or deflate-encoded when the client accepts it, and only then.
@Suite(.timeLimit(.minutes(1))) struct CompressionTests {
    /// A raw answer: status, headers and the bytes as they came over the wire.
    struct Raw {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: ByteBuffer
    }

    static func get(_ client: any TestClientProtocol, _ uri: String, token: String?, acceptEncoding: String?) async throws -> Raw {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let acceptEncoding { headers[.acceptEncoding] = acceptEncoding }
        return try await client.execute(uri: uri, method: .get, headers: headers) { Raw(status: $0.status, headers: $0.headers, body: $0.body) }
    }

    static func json(_ buffer: ByteBuffer) -> NSDictionary? {
        (try? JSONSerialization.jsonObject(with: Data(buffer: buffer))) as? NSDictionary
    }

    @Test func aLargeJSONListIsCompressedWhenAcceptedAndInflatesToTheSameDocument() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let owner = try await client.signIn(telegramId: LiveServer.ownerTelegramId, firstName: "Olga")
            for i in 0..<20 {
                _ = try await client.call(.post, "/api/products", token: owner.access,
                                          json: ["name": "Produto \(i)", "description": "Feito na hora, com recheio \(i)", "price": 500 + i, "stock": 10])
            }
            let plain = try await Self.get(client, "/api/products", token: owner.access, acceptEncoding: nil)
            #expect(plain.status == .ok && plain.headers[.contentEncoding] == nil)
            #expect(plain.body.readableBytes > 1024)
            #expect(plain.headers[.vary]?.contains("Accept-Encoding") == true)
            let document = try #require(Self.json(plain.body))
            #expect((document["items"] as? [Any])?.count == 20)

            let gzipped = try await Self.get(client, "/api/products", token: owner.access, acceptEncoding: "br;q=1.0, gzip;q=0.8, *;q=0.1")
            #expect(gzipped.status == .ok && gzipped.headers[.contentEncoding] == "gzip")
            #expect(gzipped.headers[.vary]?.contains("Accept-Encoding") == true)
            #expect(gzipped.body.readableBytes < plain.body.readableBytes / 2)
            #expect(gzipped.headers[.contentLength] == String(gzipped.body.readableBytes))
            var gzipBody = gzipped.body
            #expect(Self.json(try gzipBody.decompress(with: .gzip())) == document)

            let deflated = try await Self.get(client, "/api/products", token: owner.access, acceptEncoding: "gzip;q=0, deflate")
            #expect(deflated.headers[.contentEncoding] == "deflate")
            var deflateBody = deflated.body
            #expect(Self.json(try deflateBody.decompress(with: .zlib())) == document)

            // Refused codings and identity-only clients get the bytes as they are.
            for header in ["identity", "gzip;q=0, deflate;q=0", "br"] {
                let answer = try await Self.get(client, "/api/products", token: owner.access, acceptEncoding: header)
                #expect(answer.headers[.contentEncoding] == nil, "Accept-Encoding: \(header)")
                #expect(Self.json(answer.body) == document)
            }

            // The CSV export and the OpenAPI document are text too.
            let openAPI = try await Self.get(client, "/openapi.json", token: nil, acceptEncoding: "gzip")
            #expect(openAPI.headers[.contentEncoding] == "gzip")
            var openAPIBody = openAPI.body
            #expect(Self.json(try openAPIBody.decompress(with: .gzip()))?["openapi"] != nil)
        }
        await server.discard()
    }

    @Test func smallBodiesErrorsAndImagesAreSentAsTheyAre() async throws {
        let server = try await LiveServer.make()
        try await server.run { client, _ in
            let ana = try await client.signIn(telegramId: 3_000, firstName: "Ana")
            let health = try await Self.get(client, "/health", token: nil, acceptEncoding: "gzip, deflate")
            #expect(health.status == .ok && health.headers[.contentEncoding] == nil && Self.json(health.body)?["status"] as? String == "ok")
            let missing = try await Self.get(client, "/api/products/p999", token: ana.access, acceptEncoding: "gzip")
            #expect(missing.status == .notFound && missing.headers[.contentEncoding] == nil)

            // A PNG (already compressed) of several kilobytes comes back byte for byte.
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 8_000)
            let uploaded = try await client.execute(uri: "/api/media", method: .post, headers: [
                .authorization: "Bearer \(ana.access)", .contentType: "image/png",
            ], body: ByteBuffer(bytes: png)) { (try? JSONSerialization.jsonObject(with: Data(buffer: $0.body))) as? [String: Any] }
            let url = try #require(uploaded?["url"] as? String)
            let image = try await Self.get(client, url, token: ana.access, acceptEncoding: "gzip")
            #expect(image.status == .ok && image.headers[.contentEncoding] == nil && Array(buffer: image.body) == png)
        }
        await server.discard()
    }
}
