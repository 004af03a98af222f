import Foundation
import Testing
@testable import Shop

/// A required text needs one character that is not white space, in the sense the OpenAPI
/// document states it (`pattern: "\S"`, ECMAScript's classes): the API fuzzer found a reason of
/// `"\u0085"`, valid by the document, refused by a check that used Foundation's wider set.
@Suite(.timeLimit(.minutes(1))) struct TextBoundsTests {
    @Test func aRequiredTextIsJudgedByTheDocumentsWhiteSpace() throws {
        // What ECMAScript's `\s` matches: refused alone.
        for blank in ["", " ", "\t\n\r\u{0B}\u{0C}", "\u{A0}", "\u{1680}", "\u{2000}\u{200A}", "\u{2028}\u{2029}", "\u{202F}\u{205F}\u{3000}\u{FEFF}"] {
            #expect(throws: ShopError.self, "\(blank.unicodeScalars.map { $0.value })") { try Check.text(blank, "reason", max: 10) }
        }
        // What it does not match, though Foundation calls some of it white space: taken.
        for text in ["\u{85}", "\u{1C}", "\u{1F}", "\u{200B}", " x ", "\u{301}"] {
            #expect(throws: Never.self, "\(text.unicodeScalars.map { $0.value })") { try Check.text(text, "reason", max: 10) }
        }
        // Optional texts take white space; every text keeps its length bound.
        #expect(throws: Never.self) { try Check.text("   ", "note", min: 0, max: 10) }
        #expect(throws: ShopError.self) { try Check.text(String(repeating: "a", count: 11), "note", min: 0, max: 10) }
    }

    @Test func anOrderRejectedWithAReasonTheDocumentTakesIsRejected() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("Coxinha", price: 650, stock: 10)
        let order = try await t.shop.execute(PlaceOrder(items: [.init(productId: p.id, quantity: 1)]), as: t.asAna)
        try await t.shop.execute(SubmitReceipt(orderId: order.id, mediaId: "m1"), as: t.asAna)
        let rejected = try await t.shop.execute(RejectOrder(orderId: order.id, reason: "\u{85}"), as: t.asAdmin)
        #expect(rejected.state == .rejected)
        await t.discard()
    }
}
