import Foundation
import Shop

extension Frame {
    /// `{"type":"query_snapshot","id":"…","seq":N,"epoch":"…","collection":"…","records":[…]}`:
    /// the whole result at feed sequence `seq`, replacing whatever the client held for `id`.
    /// `reason` says why a resuming client gets it instead of a diff ("since_too_old",
    /// "epoch_changed") or why the server sent it unasked ("access": the caller's role changed).
    static func querySnapshot(id: String, seq: UInt64, epoch: String, collection: QueryCollection, rows: [QueryRow],
                              reason: String? = nil) -> Frame {
        var bytes = Array("{\"type\":\"query_snapshot\",\"id\":\"\(id)\",\"seq\":\(seq),\"epoch\":\"\(epoch)\",\"collection\":\"\(collection.rawValue)\"".utf8)
        if let reason { bytes += ",\"reason\":\"\(reason)\"".utf8 }
        bytes += ",\"records\":".utf8
        appendList(rows.map(\.json), to: &bytes)
        bytes += "}".utf8
        return Frame(kind: .query, bytes: bytes, sequence: seq, topic: nil, name: "query_snapshot", supersedesKey: nil)
    }

    /// `{"type":"query_diff","id":"…","seq":N,"enter":[…],"update":[…],"leave":["p3"]}`: how the
    /// result changed with the commit at `seq` (and any before it not yet told). `resumed` marks the
    /// first frame of a watch resumed from what the client held.
    static func queryDiff(id: String, seq: UInt64, diff: QueryDiff, resumed: Bool = false) -> Frame {
        var bytes = Array("{\"type\":\"query_diff\",\"id\":\"\(id)\",\"seq\":\(seq)".utf8)
        if resumed { bytes += ",\"resumed\":true".utf8 }
        bytes += ",\"enter\":".utf8
        appendList(diff.enter.map(\.json), to: &bytes)
        bytes += ",\"update\":".utf8
        appendList(diff.update.map(\.json), to: &bytes)
        bytes += ",\"leave\":".utf8
        // Ids are the shop's own ("p3", "u7"): letters and digits, nothing to escape.
        appendList(diff.leave.map { Array("\"\($0)\"".utf8) }, to: &bytes)
        bytes += "}".utf8
        return Frame(kind: .query, bytes: bytes, sequence: seq, topic: nil, name: "query_diff", supersedesKey: nil)
    }

    /// `{"type":"error","id":"…","code":"…","message":"…"}`: the server ended watch `id` (the
    /// caller's role no longer allows it, the store could not be read); the client drops its result.
    static func queryEnded(id: String, _ error: ShopError) -> Frame {
        let body: [String: String] = ["type": "error", "id": id, "code": error.code.rawValue, "message": error.message]
        let bytes = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])).map(Array.init)
            ?? Array("{\"type\":\"error\",\"id\":\"\(id)\",\"code\":\"internal\"}".utf8)
        return Frame(kind: .query, bytes: bytes, sequence: nil, topic: nil, name: "error", supersedesKey: nil)
    }

    private static func appendList(_ items: [[UInt8]], to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "["))
        for (index, item) in items.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += item
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
