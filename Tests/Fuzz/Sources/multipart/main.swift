@testable import Server
import Shop

// `POST /api/media`'s body: the multipart/form-data parser that finds the first file part,
// then the image check the upload command runs on what it found (or on the whole body when
// it is not multipart).
//
// The input's first line is the request's Content-Type (so the boundary is the fuzzer's
// too); everything after the line feed is the body.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = Array(UnsafeRawBufferPointer(start: start, count: count))
    let newline = input.firstIndex(of: UInt8(ascii: "\n")) ?? input.count
    let contentType = String(decoding: input[..<newline], as: UTF8.self)
    let body = Array(input[min(newline + 1, input.count)...])
    let file: [UInt8]
    do {
        file = try Multipart.firstFile(in: body, contentType: contentType) ?? body
    } catch {
        return 0
    }
    if let type = MediaFile.sniff(file) {
        precondition(["image/jpeg", "image/png", "image/gif", "image/webp"].contains(type), "sniffed an unexpected type \(type)")
    }
    try? UploadMedia(bytes: file).validate()
    return 0
}
