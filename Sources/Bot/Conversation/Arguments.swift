import Foundation
import Shop

/// Reading a command's arguments the forgiving way people type them in a chat.
enum Arguments {
    /// The words of `args`, split on white space.
    static func words(_ args: String) -> [String] {
        args.split(whereSeparator: \.isWhitespace).map(String.init)
    }

    /// A count: "3", "3x", "x3", "3un".
    static func quantity(_ word: String) -> Int64? {
        var digits = word.lowercased()
        for affix in ["un", "x"] {
            if digits.hasSuffix(affix) { digits.removeLast(affix.count) }
            if digits.hasPrefix(affix) { digits.removeFirst(affix.count) }
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let value = Int64(digits), value > 0 else { return nil }
        return value
    }

    /// An amount of money in minor units: "12,50", "12.50", "R$12,50", "1.234,50", "12" (= 12,00).
    /// Nil for anything else, including more than two decimals.
    static func money(_ text: String) -> Int64? {
        var s = text.replacingOccurrences(of: "R$", with: "").replacingOccurrences(of: " ", with: "")
        guard !s.isEmpty, !s.hasPrefix("-") else { return nil }
        // The last "," or "." followed by one or two digits is the decimal mark; other marks group thousands.
        var cents: Int64 = 0
        if let mark = s.lastIndex(where: { $0 == "," || $0 == "." }) {
            let fraction = s[s.index(after: mark)...]
            if fraction.count <= 2, !fraction.isEmpty {
                guard fraction.allSatisfy(\.isASCII), let value = Int64(fraction) else { return nil }
                cents = fraction.count == 1 ? value * 10 : value
                s = String(s[..<mark])
            }
        }
        s.removeAll { $0 == "." || $0 == "," }
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }), let units = Int64(s), units < 1_000_000_000_000 else { return nil }
        return units * 100 + cents
    }

    /// A public id of the given kind ("p3"), or nil.
    static func id(_ word: String, _ kind: EntityKind) -> UInt64? {
        kind.parse(word.lowercased())
    }
}

extension Conversation {
    /// The product a phrase names: its id ("p3"), or the best name match (prefix first).
    /// Archived products are left out.
    func findProduct(_ phrase: String, _ caller: Caller) throws -> Stored<Product>? {
        let phrase = phrase.trimmingCharacters(in: .whitespaces)
        guard !phrase.isEmpty else { return nil }
        if let id = Arguments.id(phrase, .product) {
            return try? shop.product(id, as: caller.principal)
        }
        let matches = try shop.products(search: phrase, page: PageRequest(limit: 2), as: caller.principal).items
        return matches.first
    }

    /// The user a word names: their id ("u4"), @username or the start of their name (admin).
    func findUser(_ word: String, _ caller: Caller) throws -> Stored<User>? {
        if let id = Arguments.id(word, .user) {
            return try? shop.user(id, as: caller.principal)
        }
        if let telegramId = Int64(word), let user = try shop.user(telegramId: telegramId, as: caller.principal) {
            return user
        }
        return try shop.findUsers(word, limit: 1, as: caller.principal).first
    }

    /// Splits "coxinha de frango ana" into the longest leading phrase that names a product
    /// and the rest ("ana"), so product names of several words need no quotes.
    func splitProduct(_ words: [String], _ caller: Caller) throws -> (product: Stored<Product>, rest: [String])? {
        guard !words.isEmpty else { return nil }
        for count in stride(from: words.count, through: 1, by: -1) {
            if let product = try findProduct(words[..<count].joined(separator: " "), caller) {
                return (product, Array(words[count...]))
            }
        }
        return nil
    }

    func money(_ amount: Int64) -> String { Money.format(amount, shop.settings.currency) }

    func productLine(_ product: Product) -> String {
        let emoji = product.emoji.isEmpty ? "" : product.emoji + " "
        return "\(emoji)<b>\(html(product.name))</b> — \(money(product.price))"
    }
}
