import Foundation
import Shop
import Store

/// `/atrasadas`, `/cobrar` and `/lembretes`: overdue debts, reminders and their settings.
extension Conversation {
    /// `/atrasadas`: the overdue debts, oldest first, with their age and reminders (admin);
    /// `/atrasadas todas` lists every debt.
    func overdueDebts(_ request: ChatRequest, _ caller: Caller, now: Date = Date()) async throws -> Reply {
        let l = request.language
        let all = ["todas", "all"].contains(request.args.trimmingCharacters(in: .whitespaces).lowercased())
        let debtors = try shop.debtors(now: now, as: caller.principal).filter { all || $0.overdue }
            .sorted { ($0.since ?? now) < ($1.since ?? now) }
        var lines = [all ? l.pick("<b>Dívidas</b>", "<b>Debts</b>") : l.pick("<b>Dívidas atrasadas</b>", "<b>Overdue debts</b>")]
        for d in debtors {
            var line = "• \(html(d.name)) (\(d.publicId)): \(money(d.amount)), \(d.ageDays(at: now)) \(l.pick("dias", "days"))"
            if let last = d.lastReminderAt {
                line += l.pick(", \(d.reminders) lembrete(s), último \(RFC3339.string(from: last).prefix(10))",
                               ", \(d.reminders) reminder(s), last \(RFC3339.string(from: last).prefix(10))")
            }
            if d.paused { line += l.pick(" ⏸ pausado", " ⏸ paused") }
            lines.append(line)
        }
        if debtors.isEmpty { lines.append(l.pick("Nenhuma. 🎉", "None. 🎉")) }
        let keyboard = debtors.prefix(5).map { [ReplyButton.run(l.pick("🔔 Cobrar \($0.name)", "🔔 Remind \($0.name)"), "/cobrar \($0.publicId)")] }
        return Reply(text: lines.joined(separator: "\n"),
                     data: ReplyData(["debtors": debtors.map { DebtorView($0, now: now) }]), keyboard: Array(keyboard))
    }

    /// `/cobrar <user>`: reminds them of their debt now; `/cobrar pausar <user>` and
    /// `/cobrar retomar <user>` pause and resume their automatic reminders (admin).
    func remindDebtor(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        var words = Arguments.words(request.args)
        let usage = UsageError(pt: "Use /cobrar &lt;usuário&gt;, /cobrar pausar &lt;usuário&gt; ou /cobrar retomar &lt;usuário&gt;.",
                               en: "Use /cobrar &lt;user&gt;, /cobrar pausar (pause) &lt;user&gt; or /cobrar retomar (resume) &lt;user&gt;.")
        var pause: Bool?
        switch words.first?.lowercased() {
        case "pausar", "pause": pause = true; words.removeFirst()
        case "retomar", "resume": pause = false; words.removeFirst()
        default: break
        }
        guard words.count == 1 else { throw usage }
        guard let user = try findUser(words[0], caller) else {
            throw UsageError(pt: "Não encontrei \"\(html(words[0]))\".", en: "No user matches \"\(html(words[0]))\".")
        }
        let name = html(user.value.name)
        if let pause {
            let debtor = try await shop.run(PauseDebtReminders(userId: user.key, paused: pause), as: caller.principal).value
            return Reply(text: pause ? l.pick("⏸ Lembretes automáticos para \(name) pausados.", "⏸ Automatic reminders to \(name) paused.")
                                     : l.pick("▶️ Lembretes automáticos para \(name) retomados.", "▶️ Automatic reminders to \(name) resumed."),
                         data: ReplyData(["debtor": DebtorView(debtor)]))
        }
        let debtor = try await shop.run(SendDebtReminder(userId: user.key), as: caller.principal).value
        return Reply(text: l.pick("🔔 Lembrete enviado a \(name): \(money(debtor.amount)) (\(debtor.reminders)º).",
                                  "🔔 Reminder sent to \(name): \(money(debtor.amount)) (#\(debtor.reminders))."),
                     data: ReplyData(["debtor": DebtorView(debtor)]))
    }

    /// `/lembretes`: the debt reminders' settings; `/lembretes on|off`, `/lembretes atraso 30`,
    /// `/lembretes intervalo 7`, `/lembretes max 3`, `/lembretes silencio 21:00 09:00` change them (owner).
    func reminderSettings(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        let words = Arguments.words(request.args)
        let usage = UsageError(pt: "Use /lembretes on|off, /lembretes atraso 30, /lembretes intervalo 7, /lembretes max 3 ou /lembretes silencio 21:00 09:00.",
                               en: "Use /lembretes on|off, /lembretes overdue 30, /lembretes interval 7, /lembretes max 3 or /lembretes quiet 21:00 09:00.")
        func number(_ index: Int) throws -> Int {
            guard words.count == index + 1, let n = Int(words[index]) else { throw usage }
            return n
        }
        var change: DebtReminderChanges?
        switch words.first?.lowercased() {
        case nil: change = nil
        case "on", "ligar": change = DebtReminderChanges(enabled: true)
        case "off", "desligar": change = DebtReminderChanges(enabled: false)
        case "atraso", "overdue": change = DebtReminderChanges(overdueDays: try number(1))
        case "intervalo", "interval": change = DebtReminderChanges(intervalDays: try number(1))
        case "max", "maximo", "máximo": change = DebtReminderChanges(maxReminders: try number(1))
        case "silencio", "silêncio", "quiet":
            guard words.count == 3 else { throw usage }
            change = DebtReminderChanges(quietStart: words[1], quietEnd: words[2])
        default: throw usage
        }
        let settings: ShopPreferences
        if let change {
            settings = try await shop.run(UpdateShopSettings(debts: change), as: caller.principal).value
        } else {
            settings = try shop.preferences(as: caller.principal)
        }
        let quiet = "\(ShopPreferences.format(minute: settings.quietStartMinute))–\(ShopPreferences.format(minute: settings.quietEndMinute))"
        let state = settings.remindersEnabled ? l.pick("ligados", "on") : l.pick("desligados", "off")
        return Reply(text: l.pick("🔔 Lembretes de dívida \(state): atrasada após \(settings.overdueDays) dias, a cada \(settings.reminderIntervalDays) dias, no máximo \(settings.maxReminders), silêncio \(quiet) (fuso \(html(settings.timeZone))).",
                                  "🔔 Debt reminders \(state): overdue after \(settings.overdueDays) days, every \(settings.reminderIntervalDays) days, at most \(settings.maxReminders), quiet \(quiet) (time zone \(html(settings.timeZone)))."),
                     data: ReplyData(["settings": ShopSettingsView(settings)]))
    }
}
