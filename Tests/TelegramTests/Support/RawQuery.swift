/// A query string's pairs as sent (still percent-encoded), for tests that tamper with them.
struct RawQuery {
    var pairs: [(key: String, value: String)]

    init(_ text: String) {
        pairs = text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (key: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
        }
    }

    var text: String {
        pairs.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    }

    /// A pair's encoded value; setting one keeps its place, setting nil removes the pair.
    subscript(key: String) -> String? {
        get { pairs.first { $0.key == key }?.value }
        set {
            guard let newValue else {
                pairs.removeAll { $0.key == key }
                return
            }
            if let index = pairs.firstIndex(where: { $0.key == key }) {
                pairs[index].value = newValue
            } else {
                pairs.append((key: key, value: newValue))
            }
        }
    }
}
