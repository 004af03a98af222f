import Foundation
import Realtime
import Shop

/// A client's request to watch a live query, as the socket's `watch` message and SSE's `watch`
/// parameter both carry it (CONTRACT.md, "Live queries"):
///
/// `{"id":"low","collection":"products","filter":{…},"order":{…},"limit":20,"since":N,"epoch":"…","have":{"p3":4}}`
///
/// `since`, `epoch` and `have` (the ids and versions the client holds) resume a watch after a
/// reconnect; without them the watch starts from a snapshot.
struct WatchRequest {
    let id: String
    let query: LiveQuery
    let resume: QueryResume?

    /// The longest watch id, and the characters it may hold (it is echoed in frames unescaped).
    static let maximumIdLength = 64

    static func isValidId(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= maximumIdLength
            && id.utf8.allSatisfy { $0.isASCIILetterOrDigit || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") }
    }

    /// Parses `text` (one JSON object); refusals are `invalid_input` naming the field, prefixed by `path`.
    static func parse(_ text: String, path: String = "") throws(ShopError) -> WatchRequest {
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8)) else {
            throw ShopError(.invalidInput, "a watch is one JSON object", field: path.isEmpty ? nil : path)
        }
        do {
            return try parse(object)
        } catch {
            throw path.isEmpty ? error : ShopError(.invalidInput, error.message, field: error.field.map { "\(path).\($0)" } ?? path)
        }
    }

    private static func parse(_ object: [String: JSONValue]) throws(ShopError) -> WatchRequest {
        guard case .string(let id)? = object["id"], isValidId(id) else {
            throw ShopError(.invalidInput, "a watch has an id of 1 to \(maximumIdLength) letters, digits, _ - . or :", field: "id")
        }
        let query = try LiveQuery.parse(object)
        var resume: QueryResume?
        switch object["since"] {
        case nil, .null?:
            break
        case .int(let since)? where since >= 0:
            var epoch: String?
            if case .string(let e)? = object["epoch"] { epoch = String(e.prefix(64)) }
            var held: [(id: String, version: UInt64)] = []
            switch object["have"] {
            case nil, .null?: break
            case .object(let have)? where have.count <= LiveQuery.maximumLimit:
                for (recordId, version) in have {
                    guard case .int(let v) = version, v >= 0, isValidId(recordId) else {
                        throw ShopError(.invalidInput, "have maps the ids held to their versions", field: "have")
                    }
                    held.append((recordId, UInt64(v)))
                }
            default:
                throw ShopError(.invalidInput, "have maps at most \(LiveQuery.maximumLimit) ids held to their versions", field: "have")
            }
            resume = QueryResume(since: UInt64(since), epoch: epoch, held: held.sorted { $0.id < $1.id })
        default:
            throw ShopError(.invalidInput, "since is the feed sequence of the last frame folded", field: "since")
        }
        return WatchRequest(id: id, query: query, resume: resume)
    }
}

private extension UInt8 {
    var isASCIILetterOrDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self)
    }
}
