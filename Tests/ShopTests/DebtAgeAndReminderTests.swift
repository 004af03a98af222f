import Foundation
import Store
import Testing
@testable import Shop

/// The debt reminders' settings (bounds, the old layout), a debt's age (payments pay the oldest
/// charges first), and the reminder and pause commands: who may, what they store and tell.
@Suite(.timeLimit(.minutes(2))) struct DebtAgeAndReminderTests {
    static func utc(_ text: String) -> Date { try! Date.ISO8601FormatStyle().parse(text) }

    @Test func settingsOutsideTheirBoundsAreRefusedAndChangeNothing() async throws {
        let t = try await TestShop.make()
        let bad: [(DebtReminderChanges, String)] = [
            (DebtReminderChanges(overdueDays: 0), "debtReminders.overdueDays"),
            (DebtReminderChanges(overdueDays: 366), "debtReminders.overdueDays"),
            (DebtReminderChanges(intervalDays: 0), "debtReminders.intervalDays"),
            (DebtReminderChanges(intervalDays: 91), "debtReminders.intervalDays"),
            (DebtReminderChanges(maxReminders: -1), "debtReminders.maxReminders"),
            (DebtReminderChanges(maxReminders: 21), "debtReminders.maxReminders"),
            (DebtReminderChanges(quietStart: "25:00"), "debtReminders.quietStart"),
            (DebtReminderChanges(quietEnd: "9:00"), "debtReminders.quietEnd"),
        ]
        for (change, field) in bad {
            let error = await refusal { _ = try await t.shop.execute(UpdateShopSettings(debts: change), as: t.asOwner) }
            #expect(error?.code == .invalidInput && error?.field == field, "\(change): \(String(describing: error))")
        }
        #expect(try t.shop.preferences(as: t.asOwner) == .defaults)
        let byAdmin = await refusal { _ = try await t.shop.execute(UpdateShopSettings(debts: DebtReminderChanges(enabled: true)), as: t.asAdmin) }
        #expect(byAdmin?.code == .forbidden)

        let changed = try await t.shop.execute(UpdateShopSettings(debts: DebtReminderChanges(
            enabled: true, overdueDays: 365, intervalDays: 1, maxReminders: 0, quietStart: "22:30", quietEnd: "07:00")), as: t.asOwner)
        #expect(changed.remindersEnabled && changed.overdueDays == 365 && changed.reminderIntervalDays == 1 && changed.maxReminders == 0)
        #expect(changed.quietStartMinute == 22 * 60 + 30 && changed.quietEndMinute == 7 * 60)
        #expect(try t.shop.preferences(as: t.asAdmin) == changed)
        // Only the fields sent change.
        let again = try await t.shop.execute(UpdateShopSettings(summaryEnabled: true, debts: DebtReminderChanges(maxReminders: 4)), as: t.asOwner)
        #expect(again.maxReminders == 4 && again.overdueDays == 365 && again.summaryEnabled)
        await t.discard()
    }

    @Test func settingsStoredInTheFirstLayoutReadWithTheReminderDefaults() throws {
        var w = BinaryWriter()
        w.writeByte(1)
        w.write("Asia/Tokyo")
        w.write(true)
        w.write(7 * 60)
        let old = try ShopPreferences(binary: w.bytes)
        #expect(old == ShopPreferences(timeZone: "Asia/Tokyo", summaryEnabled: true, summaryMinute: 7 * 60))
        #expect(!old.remindersEnabled && old.overdueDays == 30 && old.reminderIntervalDays == 7 && old.maxReminders == 3)
        // And the new layout reads back what it wrote.
        var changed = old
        changed.remindersEnabled = true
        changed.quietStartMinute = 0
        #expect(try ShopPreferences(binary: changed.binaryEncoded()) == changed)
    }

    @Test func quietHoursAreInTheShopsZoneAndMayWrapMidnight() {
        var s = ShopPreferences.defaults  // São Paulo, quiet 21:00–09:00
        #expect(s.isQuiet(Self.utc("2026-12-05T00:30:00Z")), "21:30 there")
        #expect(s.isQuiet(Self.utc("2026-12-05T11:59:00Z")), "08:59 there")
        #expect(!s.isQuiet(Self.utc("2026-12-05T12:00:00Z")), "09:00 there")
        #expect(!s.isQuiet(Self.utc("2026-12-05T23:59:00Z")), "20:59 there")
        s.quietStartMinute = 13 * 60
        s.quietEndMinute = 14 * 60
        #expect(s.isQuiet(Self.utc("2026-12-05T16:30:00Z")) && !s.isQuiet(Self.utc("2026-12-05T17:00:00Z")))
        s.quietEndMinute = s.quietStartMinute
        #expect(!s.isQuiet(Self.utc("2026-12-05T16:30:00Z")), "no quiet hours when they start and end together")
    }

    @Test func aDebtsAgeRunsFromItsOldestUnpaidCharge() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("Coxinha", price: 100, stock: 100)
        for (quantity, at) in [(3, "2026-10-01T12:00:00Z"), (2, "2026-11-01T12:00:00Z"), (1, "2026-11-25T12:00:00Z")] {
            _ = try await t.shop.execute(Buy(buyerId: t.ana.id, items: [LineItem(productId: p.id, quantity: Int64(quantity))]), as: t.asAdmin, at: Self.utc(at))
        }
        let now = Self.utc("2026-12-05T12:00:00Z")
        var ana = try t.shop.debtor(t.ana.id, now: now, as: t.asAdmin)
        #expect(ana.amount == 600 && ana.since == Self.utc("2026-10-01T12:00:00Z") && ana.ageDays(at: now) == 65 && ana.overdue)
        // Payments pay the oldest charge first: 300 pays October's, 250 all of November's first and half the last.
        _ = try await t.shop.execute(RecordPayment(userId: t.ana.id, amount: 300), as: t.asAdmin)
        ana = try t.shop.debtor(t.ana.id, now: now, as: t.asAdmin)
        #expect(ana.since == Self.utc("2026-11-01T12:00:00Z") && ana.ageDays(at: now) == 34 && ana.overdue)
        _ = try await t.shop.execute(RecordPayment(userId: t.ana.id, amount: 250), as: t.asAdmin)
        ana = try t.shop.debtor(t.ana.id, now: now, as: t.asAdmin)
        #expect(ana.amount == 50 && ana.since == Self.utc("2026-11-25T12:00:00Z") && ana.ageDays(at: now) == 10 && !ana.overdue)
        // The list: debtors only, with their ages; users may not read it.
        #expect(try t.shop.debtors(now: now, as: t.asAdmin).map(\.userId) == [t.ana.id])
        let byUser = await refusal { _ = try t.shop.debtors(as: t.asAna) }
        #expect(byUser?.code == .forbidden)
        _ = try await t.shop.execute(RecordPayment(userId: t.ana.id, amount: 50), as: t.asAdmin)
        #expect(try t.shop.debtors(now: now, as: t.asAdmin).isEmpty)
        await t.discard()
    }

    @Test func aReminderTellsTheCustomerAndCountsAndAPauseStopsOnlyTheAutomaticOnes() async throws {
        let t = try await TestShop.make()
        let p = try await t.product("Coxinha", price: 100, stock: 100)
        _ = try await t.shop.execute(Buy(buyerId: t.ana.id, items: [LineItem(productId: p.id, quantity: 4)]), as: t.asAdmin, at: Self.utc("2026-10-01T15:00:00Z"))
        _ = try await t.shop.execute(UpdateShopSettings(debts: DebtReminderChanges(enabled: true, maxReminders: 1)), as: t.asOwner)
        let noon = Self.utc("2026-12-05T15:00:00Z")  // 12:00 in São Paulo

        let byUser = await refusal { _ = try await t.shop.execute(SendDebtReminder(userId: t.ana.id), as: t.asBruno) }
        #expect(byUser?.code == .forbidden)
        let owesNothing = await refusal { _ = try await t.shop.execute(SendDebtReminder(userId: t.bruno.id), as: t.asAdmin) }
        #expect(owesNothing?.code == .ruleBroken && owesNothing?.field == "userId")

        let paused = try await t.shop.execute(PauseDebtReminders(userId: t.ana.id, paused: true), as: t.asAdmin)
        #expect(paused.paused && paused.amount == 400 && paused.reminders == 0)
        let whilePaused = await refusal { _ = try await t.shop.execute(SendDebtReminder(userId: t.ana.id, onlyIfDue: true), as: .system(), at: noon) }
        #expect(whilePaused?.code == .ruleBroken, "the schedule skips a paused customer")

        // An admin reminds by hand, paused or not.
        let sent = try await t.shop.execute(SendDebtReminder(userId: t.ana.id), as: t.asAdmin, at: noon)
        #expect(sent.reminders == 1 && sent.lastReminderAt == noon && sent.paused)
        let notice = try #require(try t.shop.notifications(page: PageRequest(limit: 10), as: t.asAna).page.items.map(\.value).first { $0.kind == "debt_reminder" })
        #expect(notice.params?["amount"] == Money.format(400, "BRL") && notice.params?["days"] == "65" && notice.link == "debts")
        #expect(notice.words(in: .pt).title == "Lembrete: sua conta está em \(Money.format(400, "BRL"))")
        #expect(notice.words(in: .en).body.hasPrefix("Open for 65 days. Pay by Pix"))
        let audit = try #require(try t.shop.auditTrail(page: PageRequest(limit: 1), as: t.asOwner).items.first?.value)
        #expect(audit.command == "sendDebtReminder" && audit.actorId == t.admin.id)

        _ = try await t.shop.execute(PauseDebtReminders(userId: t.ana.id, paused: false), as: t.asAdmin)
        let atMaximum = await refusal { _ = try await t.shop.execute(SendDebtReminder(userId: t.ana.id, onlyIfDue: true), as: .system(), at: noon.addingTimeInterval(30 * 86_400)) }
        #expect(atMaximum?.code == .ruleBroken, "the maximum (1) counts the admin's reminder too")

        // Paid in full, then a new debt: the count starts again.
        _ = try await t.shop.execute(RecordPayment(userId: t.ana.id, amount: 400), as: t.asAdmin)
        _ = try await t.shop.execute(Buy(buyerId: t.ana.id, items: [LineItem(productId: p.id, quantity: 1)]), as: t.asAdmin, at: Self.utc("2026-12-06T15:00:00Z"))
        let later = Self.utc("2027-01-10T15:00:00Z")
        #expect(try t.shop.debtor(t.ana.id, now: later, as: t.asAdmin).reminders == 0)
        let quiet = await refusal { _ = try await t.shop.execute(SendDebtReminder(userId: t.ana.id, onlyIfDue: true), as: .system(), at: later.addingTimeInterval(-6 * 3_600)) }
        #expect(quiet?.code == .ruleBroken, "06:00 there is in the quiet hours")
        let automatic = try await t.shop.execute(SendDebtReminder(userId: t.ana.id, onlyIfDue: true), as: .system(), at: later)
        #expect(automatic.reminders == 1 && automatic.lastReminderAt == later)
        try Invariants.check(t.shop, in: t.environment)
        await t.discard()
    }
}
