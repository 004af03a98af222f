import Foundation
import Realtime
import Shop
import Store
import Testing

@Suite(.timeLimit(.minutes(3))) struct ViewTests {
    @Test func timesAreRFC3339InUTCToTheSecond() {
        let style = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC") ?? .gmt)
        var seconds: Double = -2_208_988_800  // 1900-01-01
        while seconds < 4_102_444_800 {  // 2100-01-01
            let date = Date(timeIntervalSince1970: seconds + 0.75)
            #expect(RFC3339.string(from: date) == style.format(Date(timeIntervalSince1970: seconds)))
            seconds += 7_919_999  // about three months and a bit, so days, months and leap years vary
        }
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_795_254_400)) == "2026-11-21T09:46:40Z")
    }

    @Test func timesAreReadBackFromEveryRFC3339FormAndTheRestIsRefused() {
        var seconds: Double = -62_135_596_800  // 0001-01-01
        while seconds < 253_402_300_799 {  // 9999-12-31
            let date = Date(timeIntervalSince1970: seconds)
            #expect(RFC3339.date(from: RFC3339.string(from: date)) == date)
            seconds += 797_999_999  // about 25 years and some days
        }
        let noon = Date(timeIntervalSince1970: 1_795_262_400)  // 2026-11-21T12:00:00Z
        for text in ["2026-11-21T12:00:00Z", "2026-11-21t12:00:00z", "2026-11-21T09:00:00-03:00", "2026-11-21T14:30:00+02:30"] {
            #expect(RFC3339.date(from: text) == noon, "\(text)")
        }
        #expect(RFC3339.date(from: "2026-11-21T12:00:00.250Z") == noon.addingTimeInterval(0.25))
        #expect(RFC3339.date(from: "0736-01-18T00:53:12.928992-03:34") != nil)
        #expect(RFC3339.date(from: "2024-02-29T00:00:00Z") != nil)
        for text in ["", "2026-11-21", "2026-11-21T12:00:00", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
                     "2026-11-21T24:00:00Z", "2026-11-21T12:00:00.Z", "2026-11-21T12:00:00+24:00", "2026-11-21T12:00:00Z ", "+2026-11-21T12:00:00Z"] {
            #expect(RFC3339.date(from: text) == nil, "\(text)")
        }
    }

    @Test func aProductViewHasTheContractsShape() throws {
        let at = Date(timeIntervalSince1970: 1_795_254_400)
        let product = Product(id: 3, name: "Coxinha", emoji: "🥟", description: "", category: "Salgados", price: 650, currency: "BRL",
                              stock: 12, lowStockThreshold: 5, mediaIds: [], active: true, createdAt: at, updatedAt: at)
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ProductView(product, version: 7))) as? [String: Any] ?? [:]
        #expect(Set(["id", "name", "emoji", "category", "description", "price", "currency", "stock", "lowStockThreshold",
                     "mediaIds", "active", "version"]).isSubset(of: Set(object.keys)))
        #expect(object["id"] as? String == "p3" && object["price"] as? Int == 650 && object["version"] as? Int == 7)

        let sale = Sale(id: 91, buyerId: 1, lines: [SaleLine(productId: 3, quantity: 2, unitPrice: 650)], total: 1_300,
                        currency: "BRL", actorId: 9, at: at)
        let saleObject = try JSONSerialization.jsonObject(with: JSONEncoder().encode(SaleView(sale, version: 1))) as? [String: Any] ?? [:]
        #expect(saleObject["id"] as? String == "s91" && saleObject["buyerId"] as? String == "u1" && saleObject["actorId"] as? String == "u9")
        #expect(saleObject["at"] as? String == "2026-11-21T09:46:40Z")
        let debt = try JSONSerialization.jsonObject(with: JSONEncoder().encode(DebtView(userId: 1, amount: 300, currency: "BRL"))) as? [String: Any]
        #expect(debt?["userId"] as? String == "u1" && debt?["amount"] as? Int == 300)
    }

    @Test func anAudienceAdmitsItsRoleAndAboveAndItsNamedUsers() {
        let adminsAndAna = Audience.admins(plus: [7])
        #expect(adminsAndAna.canSee(userId: 1, role: .admin) && adminsAndAna.canSee(userId: 1, role: .owner))
        #expect(adminsAndAna.canSee(userId: 7, role: .user))
        #expect(!adminsAndAna.canSee(userId: 8, role: .user) && !adminsAndAna.canSee(userId: nil, role: .user))
        #expect(Audience.everyone.canSee(userId: nil, role: .user))
        #expect(!Audience.only([7]).canSee(userId: 1, role: .owner) && Audience.only([7]).canSee(userId: 7, role: .user))
        #expect(!Audience.owners().canSee(userId: 1, role: .admin))
    }
}
