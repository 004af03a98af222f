/// The language a person reads: Brazilian Portuguese (the seed shops'), or English when
/// their Telegram `language_code` is English. The bot's replies, the notices' words and the
/// MiniApp all pick by it.
public enum Language: String, Sendable, CaseIterable {
    case pt, en

    /// "en", "en-US" → English; anything else (pt-br, es, none) → Portuguese.
    public init(code: String?) {
        self = (code ?? "").lowercased().hasPrefix("en") ? .en : .pt
    }
}
