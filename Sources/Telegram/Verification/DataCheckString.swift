/// The text Telegram signs: `key=value` pairs sorted by key and joined with a line feed.
enum DataCheckString {
    /// Builds the string from the fields not listed in `excluded`, values exactly as decoded.
    ///
    /// Keys sort by their UTF-8 bytes, which is code-point order, the order Telegram's
    /// reference implementations use; Swift's `<` on `String` compares canonically
    /// equivalent forms and could disagree for non-ASCII keys.
    static func make(_ fields: [String: String], excluding excluded: Set<String>) -> String {
        sortedPairs(fields.filter { !excluded.contains($0.key) })
            .map { "\($0.key)=\($0.value)" }
            .joined(separator: "\n")
    }

    /// The pairs in the order Telegram signs them.
    static func sortedPairs(_ fields: [String: String]) -> [(key: String, value: String)] {
        fields.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }
}
