import Foundation
import Store
import Testing
@testable import Shop

/// Signed-in devices: the session record's two later fields, the list's grouping by
/// refresh family, and the in-memory last use.
@Suite(.timeLimit(.minutes(3))) struct DeviceSessionTests {
    let created = Date(microsecondsSince1970: 1_790_000_000_000_000)

    @Test func aSessionRecordWrittenBeforeAddressAndLastUseStillReads() throws {
        // The format as it was: nine fields ending with revokedAt.
        var w = BinaryWriter()
        w.write(UInt64(7)); w.write(UInt64(3)); w.write(UInt64(7)); w.write("c0ffee"); w.write("phone"); w.write(created)
        w.write(created.addingTimeInterval(86_400)); w.write(Date?.none); w.write(Optional(created.addingTimeInterval(60)))
        let old = try Session(binary: w.bytes)
        #expect(old.id == 7 && old.userId == 3 && old.familyId == 7 && old.secretHash == "c0ffee" && old.device == "phone")
        #expect(old.createdAt == created && old.rotatedAt == nil && old.revokedAt == created.addingTimeInterval(60))
        #expect(old.address == nil && old.lastUsedAt == nil)

        let new = Session(id: 8, userId: 3, familyId: 7, secretHash: "beef", device: "laptop", createdAt: created,
                          expiresAt: created.addingTimeInterval(86_400), address: "203.0.113.7", lastUsedAt: created)
        #expect(try Session(binary: new.binaryEncoded()) == new)
    }

    @Test func theListShowsEachDeviceOnceWithItsFirstSignInAndNewestAddress() async throws {
        let t = try await TestShop.make()
        let ana = TelegramIdentity(telegramId: 3_000, firstName: "Ana")
        let phone = try await t.shop.signIn(ana, device: "phone", via: .anonymous(via: .rest, clientAddress: "198.51.100.1"))
        let laptop = try await t.shop.signIn(ana, device: "laptop", via: .anonymous(via: .rest, clientAddress: "198.51.100.2"))
        let refreshed = try await t.shop.refresh(phone.refreshToken, via: .anonymous(via: .rest, clientAddress: "198.51.100.3"))
        let phoneNow = try await t.shop.authenticate(refreshed.accessToken)
        let laptopNow = try await t.shop.authenticate(laptop.accessToken)

        let devices = try t.shop.deviceSessions(current: laptopNow.sessionId, as: t.asAna)
        #expect(devices.count == 2)
        let phoneEntry = try #require(devices.first { $0.device == "phone" })
        #expect(phoneEntry.id == phoneNow.sessionId && phoneEntry.address == "198.51.100.3" && !phoneEntry.current)
        let first = try await t.shop.authenticate(phone.accessToken)
        #expect(phoneEntry.familyId == first.sessionId && phoneEntry.createdAt <= phoneEntry.lastUsedAt)
        #expect(devices.first { $0.device == "laptop" }?.current == true)
        #expect(try t.shop.deviceSessions(current: nil, as: t.asBruno).isEmpty)

        // A use remembered in memory shows; the store is not written for it.
        let head = t.shop.feedHead
        let later = Date().addingTimeInterval(120)
        t.shop.sessionActivity.touch(first.sessionId, at: later)
        #expect(try t.shop.deviceSessions(current: nil, as: t.asAna).first { $0.device == "phone" }?.lastUsedAt == later)
        #expect(t.shop.feedHead == head)
        await t.discard()
    }

    @Test func endingADeviceRevokesItsWholeFamilyAndOnlyTheCallersOwn() async throws {
        let t = try await TestShop.make()
        let ana = TelegramIdentity(telegramId: 3_000, firstName: "Ana")
        let anonymous = Principal.anonymous(via: .rest)
        let phone = try await t.shop.signIn(ana, device: "phone", via: anonymous)
        let refreshed = try await t.shop.refresh(phone.refreshToken, via: anonymous)
        let laptop = try await t.shop.signIn(ana, device: "laptop", via: anonymous)
        let oldLink = try await t.shop.authenticate(phone.accessToken).sessionId

        let notBrunos = await refusal { _ = try await t.shop.execute(EndSession(sessionId: oldLink), as: t.asBruno) }
        #expect(notBrunos?.code == .notFound)
        // Naming the family's older link ends the newer one too.
        #expect(try await t.shop.execute(EndSession(sessionId: oldLink), as: t.asAna) == 2)
        let ended = await refusal { _ = try await t.shop.refresh(refreshed.refreshToken, via: anonymous) }
        #expect(ended?.code == .notAuthenticated)
        #expect(try t.shop.deviceSessions(current: nil, as: t.asAna).map(\.device) == ["laptop"])

        #expect(try await t.shop.execute(EndUserSessions(userId: t.ana.id), as: t.asOwner) == 1)
        let laptopEnded = await refusal { _ = try await t.shop.refresh(laptop.refreshToken, via: anonymous) }
        #expect(laptopEnded?.code == .notAuthenticated)
        #expect(try t.shop.deviceSessions(current: nil, as: t.asAna).isEmpty)
        await t.discard()
    }

    @Test func rememberedUsesStayBoundedAndKeepTheNewest() {
        let activity = SessionActivity(capacity: 3)
        let now = Date()
        for id in UInt64(1)...10 { activity.touch(id, at: now.addingTimeInterval(Double(id))) }
        #expect(activity.lastUse(of: 10) == now.addingTimeInterval(10))
        #expect(activity.lastUse(of: 1) == nil, "the oldest generation was dropped")
        let remembered = (UInt64(1)...10).filter { activity.lastUse(of: $0) != nil }
        #expect(remembered.count <= 6)
        activity.touch(10, at: now.addingTimeInterval(99))
        #expect(activity.lastUse(of: 10) == now.addingTimeInterval(99))
    }
}
