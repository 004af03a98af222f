import Foundation
import Store

/// What identifies one person in the shop's records, and how an erasure takes it out of them:
/// their name, @username and Telegram id, replaced by ``label`` in text (whole words only, so
/// "Ana" leaves "Banana" alone), and masked byte for byte where the record's shape is unknown.
struct PersonalTraces: Sendable {
    let person: User
    /// What stands where their name was: "Erased customer u7".
    let label: String
    /// The user record as it is after the erasure.
    let erased: User
    /// Longest first, so a name is replaced before a shorter part of it could be.
    private let needles: [String]

    init(_ person: User) {
        self.person = person
        label = "Erased customer \(person.publicId)"
        var erased = person
        erased.telegramId = -Int64(person.id)
        erased.name = label
        erased.username = nil
        erased.language = nil
        erased.role = .user
        erased.blocked = true
        self.erased = erased
        var needles = [person.name.trimmingCharacters(in: .whitespaces), String(person.telegramId)]
        if let username = person.username, !username.isEmpty { needles += ["@" + username, username] }
        self.needles = Array(Set(needles.filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }

    // MARK: Text

    /// `text` with every whole-word occurrence of a needle (ignoring case) replaced by ``label``.
    func text(_ text: String) -> String {
        var result = text
        for needle in needles { result = Self.replacing(needle, in: result, with: label) }
        return result
    }

    private static func replacing(_ needle: String, in text: String, with label: String) -> String {
        guard text.range(of: needle, options: .caseInsensitive) != nil else { return text }
        func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber }
        var result = ""
        var rest = text.startIndex
        while let found = text.range(of: needle, options: .caseInsensitive, range: rest..<text.endIndex) {
            let startsWord = found.lowerBound == text.startIndex || !isWordCharacter(text[text.index(before: found.lowerBound)])
            let endsWord = found.upperBound == text.endIndex || !isWordCharacter(text[found.upperBound])
            result += text[rest..<found.lowerBound]
            result += startsWord && endsWord ? label : String(text[found])
            rest = found.upperBound
        }
        result += text[rest...]
        return result
    }

    /// `bytes` with every occurrence of a needle's UTF-8 bytes overwritten by as many `#`: the
    /// length stays, so any length-prefixed encoding around it stays readable.
    func mask(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        for needle in needles {
            let n = Array(needle.utf8)
            guard !n.isEmpty, out.count >= n.count else { continue }
            var i = 0
            while i <= out.count - n.count {
                if out[i] == n[0], Array(out[i..<(i + n.count)]) == n {
                    for j in i..<(i + n.count) { out[j] = UInt8(ascii: "#") }
                    i += n.count
                } else {
                    i += 1
                }
            }
        }
        return out
    }

    // MARK: Records

    func scrub(_ user: inout User) { if user.id == person.id { user = erased } }

    func scrub(_ notice: inout Notice) {
        notice.title = text(notice.title)
        notice.body = text(notice.body)
        notice.params = notice.params?.mapValues(text)
    }

    func scrub(_ entry: inout AuditEntry) {
        entry.summary = text(entry.summary)
        if entry.actorId == person.id { entry.clientAddress = nil; entry.userAgent = nil }
    }

    func scrub(_ session: inout Session) {
        if session.userId == person.id { session.device = ""; session.address = nil }
    }

    func scrub(_ order: inout Order) {
        order.reason = order.reason.map(text)
        for i in order.history.indices { order.history[i].note = text(order.history[i].note) }
    }

    func scrub(_ contract: inout Contract) {
        contract.title = text(contract.title)
        contract.terms = text(contract.terms)
        for i in contract.parties.indices { contract.parties[i].part = text(contract.parties[i].part) }
        for i in contract.history.indices { contract.history[i].note = text(contract.history[i].note) }
    }

    func scrub(_ payment: inout Payment) { payment.note = text(payment.note) }

    func scrub(_ entry: inout LedgerEntry) {
        entry.note = text(entry.note)
        entry.reference = entry.reference.map(text)
    }

    func scrub(_ movement: inout StockMovement) {
        movement.note = text(movement.note)
        movement.reference = movement.reference.map(text)
    }

    // MARK: The change feed

    /// A retained change record's value and previous value with the person taken out, or nil
    /// when the record holds nothing of them.
    func rewrite(_ record: ChangeRecord) throws -> (value: [UInt8]?, previous: [UInt8]?)? {
        let edit: ([UInt8]) throws -> [UInt8]
        switch record.collection {
        case "users": edit = { try Self.edit($0, as: User.self, scrub) }
        case "notifications": edit = { try Self.edit($0, as: Notice.self, scrub) }
        case "audit": edit = { try Self.edit($0, as: AuditEntry.self, scrub) }
        case "sessions": edit = { try Self.edit($0, as: Session.self, scrub) }
        case "orders": edit = { try Self.edit($0, as: Order.self, scrub) }
        case "contracts": edit = { try Self.edit($0, as: Contract.self, scrub) }
        case "payments": edit = { try Self.edit($0, as: Payment.self, scrub) }
        case "ledger": edit = { try Self.edit($0, as: LedgerEntry.self, scrub) }
        case "stockMovements": edit = { try Self.edit($0, as: StockMovement.self, scrub) }
        // Records that hold no person's text (or, for media, image bytes that masking would
        // break: receipts stay as the payments' proof).
        case "products", "sales", "media", "shopSettings": return nil
        // A shape this code does not know (replay caches among them): masked byte for byte.
        default: edit = { mask($0) }
        }
        let value = try record.value.map(edit)
        let previous = try record.previous.map(edit)
        guard value != record.value || previous != record.previous else { return nil }
        return (value, previous)
    }

    private static func edit<V: BinaryCodable & Equatable>(_ bytes: [UInt8], as: V.Type, _ change: (inout V) -> Void) throws -> [UInt8] {
        let original = try V(binary: bytes)
        var value = original
        change(&value)
        return value == original ? bytes : value.binaryEncoded()
    }
}
