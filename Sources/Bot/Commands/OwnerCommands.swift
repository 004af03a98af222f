import Foundation
import Shop
import Store

/// `/user`, `/smartcontract` and `/backup`: the owner's tools.
extension Conversation {
    /// `/user`: the users; `/user <who> admin|user|owner` sets a role; `/user <who> bloquear|desbloquear`;
    /// `/user u2 u3 @ana bloquear` does it to several; `/user <who> apagar` erases a customer;
    /// `/user novo <telegram id> <role> <name>` records someone new.
    func users(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        var words = Arguments.words(request.args)
        if let first = words.first?.lowercased(), ["novo", "new"].contains(first) {
            guard words.count >= 4, let telegramId = Int64(words[1]), let role = Role(rawValue: words[2].lowercased()) else {
                throw UsageError(pt: "Use /user novo <id do Telegram> user|admin|owner <nome>", en: "Use /user new <Telegram id> user|admin|owner <name>")
            }
            let created = try await shop.run(CreateUser(telegramId: telegramId, name: words[3...].joined(separator: " "), role: role),
                                             as: caller.principal)
            return Reply(text: "✅ " + l.pick("\(html(created.name)) (\(created.publicId)) criado como \(roleName(role, l)).",
                                             "\(html(created.name)) (\(created.publicId)) created as \(roleName(role, l))."),
                         data: ReplyData(["user": UserView(created)]))
        }
        guard let action = words.popLast()?.lowercased(), !words.isEmpty else {
            let users = try shop.users(page: PageRequest(limit: 50), as: caller.principal).items
            var lines = [l.pick("<b>Usuários</b>", "<b>Users</b>")]
            for record in users {
                let user = record.value
                let handle = user.username.map { " @\(html($0))" } ?? ""
                lines.append("\(user.publicId) \(html(user.name))\(handle) · \(roleName(user.role, l))\(user.blocked ? l.pick(" · bloqueado", " · blocked") : "")")
            }
            lines.append(l.pick("Mude com /user @ana admin, ou /user @ana bloquear (vários: /user u2 u3 bloquear).", "Change with /user @ana admin, or /user @ana block (several: /user u2 u3 block)."))
            return Reply(text: lines.joined(separator: "\n"), data: ReplyData(["users": users.map { UserView($0.value, version: $0.version) }]))
        }
        if words.count > 1, words.allSatisfy({ Arguments.id($0, .user) != nil || $0.hasPrefix("@") }) {
            return try await usersMany(words, action, l, caller)
        }
        let who = words.joined(separator: " ")
        guard let target = try findUser(who, caller) else { throw UsageError(pt: "Não encontrei \"\(html(who))\".", en: "No user matches \"\(html(who))\".") }
        let (done, updated) = try await apply(action, to: target.key, l, caller)
        return Reply(text: "✅ " + done, data: ReplyData(["user": UserView(updated)]))
    }

    /// At most this many users in one `/user`: their outcomes fit in one Telegram message.
    /// The MiniApp and `POST /api/users/bulk` take up to 100.
    static let maxUsersPerChange = 20

    /// `/user u2 u3 @ana bloquear`: several users named by id or @handle (a name of several words
    /// names one user), every one found first (one not found refuses the whole message), then one
    /// command per user, each its own write.
    private func usersMany(_ words: [String], _ action: String, _ l: Language, _ caller: Caller) async throws -> Reply {
        guard words.count <= Self.maxUsersPerChange else {
            throw UsageError(pt: "No máximo \(Self.maxUsersPerChange) usuários de uma vez.", en: "At most \(Self.maxUsersPerChange) users at once.")
        }
        var targets: [UInt64] = []
        for who in words {
            guard let target = try findUser(who, caller) else { throw UsageError(pt: "Não encontrei \"\(html(who))\".", en: "No user matches \"\(html(who))\".") }
            if !targets.contains(target.key) { targets.append(target.key) }
        }
        try Self.checkUserAction(action)
        let (lines, outcomes) = await runEach(targets, l, id: { EntityKind.user.format($0) }, label: { $0 }) { userId in
            let (done, updated) = try await apply(action, to: userId, l, caller)
            return (done, BulkOutcome(id: updated.publicId, ok: true, user: UserView(updated)))
        }
        let changed = outcomes.filter(\.ok).count
        let summary = l.pick("\(changed) de \(outcomes.count) usuários alterados.", "\(changed) of \(outcomes.count) users changed.")
        return Reply(text: (lines + [summary]).joined(separator: "\n"), data: ReplyData(["results": outcomes]))
    }

    private static func checkUserAction(_ action: String) throws {
        guard Role(rawValue: action) != nil || ["bloquear", "block", "desbloquear", "unblock", "apagar", "erase"].contains(action) else {
            throw UsageError(pt: "Use user, admin, owner, bloquear, desbloquear ou apagar.", en: "Use user, admin, owner, block, unblock or erase.")
        }
    }

    /// One `/user` action on one user: a role, a block, an unblock or an erasure, through the command table's commands.
    private func apply(_ action: String, to userId: UInt64, _ l: Language, _ caller: Caller) async throws -> (String, Committed<User>) {
        try Self.checkUserAction(action)
        if let role = Role(rawValue: action) {
            let updated = try await shop.run(GrantRole(userId: userId, role: role), as: caller.principal)
            return (l.pick("\(html(updated.name)) agora é \(roleName(role, l)).", "\(html(updated.name)) is now \(roleName(role, l))."), updated)
        } else if ["bloquear", "block"].contains(action) {
            let updated = try await shop.run(BlockUser(userId: userId), as: caller.principal)
            return (l.pick("\(html(updated.name)) bloqueado.", "\(html(updated.name)) blocked."), updated)
        } else if ["apagar", "erase"].contains(action) {
            let updated = try await shop.run(EraseUser(userId: userId), as: caller.principal)
            return (l.pick("Dados pessoais de \(updated.publicId) apagados; vendas e pagamentos ficam.",
                           "\(updated.publicId)'s personal data erased; sales and payments stay."), updated)
        } else {
            let updated = try await shop.run(UnblockUser(userId: userId), as: caller.principal)
            return (l.pick("\(html(updated.name)) desbloqueado.", "\(html(updated.name)) unblocked."), updated)
        }
    }

    /// The `/smartcontract` words any party may use: the shop checks they are a party.
    static let partyContractActions: Set<String> = ["confirmar", "confirm", "recusar", "decline", "listar", "list"]

    /// `/smartcontract [listar]`, `/smartcontract criar <title>; <who> <part>, <who> <part>; <amount>[; <terms>]`,
    /// `/smartcontract confirmar <c1>`, `/smartcontract recusar <c1> [reason]`.
    func contracts(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        let words = Arguments.words(request.args)
        switch words.first?.lowercased() ?? "listar" {
        case "listar", "list":
            let contracts = try shop.contracts(page: PageRequest(limit: 20), as: caller.principal).items
            var lines = [l.pick("<b>Contratos</b>", "<b>Contracts</b>")]
            var keyboard: [[ReplyButton]] = []
            for record in contracts {
                let c = record.value
                lines.append("\(c.publicId) · \(html(c.title)) · \(money(c.amount)) · \(c.state.rawValue) · \(c.confirmations)/\(c.requiredConfirmations)")
                if c.state == .pending, let me = caller.userId, c.parties.contains(where: { $0.userId == me && $0.confirmedAt == nil && $0.declinedAt == nil }) {
                    keyboard.append([.run("✅ \(c.publicId)", "/smartcontract confirmar \(c.publicId)"), .run("❌ \(c.publicId)", "/smartcontract recusar \(c.publicId)")])
                }
            }
            if contracts.isEmpty { lines.append(l.pick("Nenhum contrato.", "No contracts.")) }
            return Reply(text: lines.joined(separator: "\n"), data: ReplyData(["contracts": contracts.map { ContractView($0.value, version: $0.version) }]), keyboard: keyboard)
        case "criar", "create":
            let fields = request.args.dropFirst(words[0].count).split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 3, let amount = Arguments.money(fields[2]) else {
                throw UsageError(pt: "Use /smartcontract criar Título; @ana compradora, @bruno vendedor; 100,00; termos",
                                 en: "Use /smartcontract create Title; @ana buyer, @bruno seller; 100.00; terms")
            }
            var parties: [ContractPartyInput] = []
            for party in fields[1].split(separator: ",") {
                let partyWords = Arguments.words(String(party))
                guard let who = partyWords.first, let user = try findUser(who, caller) else {
                    throw UsageError(pt: "Não encontrei a parte \"\(html(String(party)))\".", en: "No party matches \"\(html(String(party)))\".")
                }
                parties.append(ContractPartyInput(userId: user.key, part: partyWords.dropFirst().joined(separator: " ")))
            }
            let contract = try await shop.run(CreateContract(title: fields[0], terms: fields.count > 3 ? fields[3] : "", amount: amount,
                                                                 parties: parties, requiredConfirmations: parties.count),
                                                  as: caller.principal)
            return Reply(text: l.pick("📜 Contrato \(contract.publicId) criado; aguardando \(contract.requiredConfirmations) confirmações.",
                                      "📜 Contract \(contract.publicId) created; awaiting \(contract.requiredConfirmations) confirmations."),
                         data: ReplyData(["contract": ContractView(contract)]))
        case "confirmar", "confirm", "recusar", "decline":
            guard words.count >= 2, let id = Arguments.id(words[1], .contract) else {
                throw UsageError(pt: "Diga qual contrato, ex.: /smartcontract confirmar c1", en: "Say which contract, e.g. /smartcontract confirm c1")
            }
            let confirming = ["confirmar", "confirm"].contains(words[0].lowercased())
            let contract = confirming
                ? try await shop.run(ConfirmContract(contractId: id), as: caller.principal)
                : try await shop.run(DeclineContract(contractId: id, reason: words.dropFirst(2).joined(separator: " ")), as: caller.principal)
            return Reply(text: confirming
                ? l.pick("✅ Contrato \(contract.publicId): \(contract.confirmations)/\(contract.requiredConfirmations) confirmações (\(contract.state.rawValue)).",
                         "✅ Contract \(contract.publicId): \(contract.confirmations)/\(contract.requiredConfirmations) confirmations (\(contract.state.rawValue)).")
                : l.pick("❌ Contrato \(contract.publicId) recusado.", "❌ Contract \(contract.publicId) declined."),
                         data: ReplyData(["contract": ContractView(contract)]))
        default:
            throw UsageError(pt: "Use /smartcontract listar, criar, confirmar ou recusar.", en: "Use /smartcontract list, create, confirm or decline.")
        }
    }

    /// `/backup`: a backup as the scheduled ones are (the compacted hot copy, the token secret
    /// and the manifest), in its own dated folder of the backup folder.
    func backup(_ request: ChatRequest, _ caller: Caller, now: Date = Date()) async throws -> Reply {
        let l = request.language
        guard let folder = settings.backupFolder else {
            throw ShopError(.ruleBroken, "this server has no backup folder")
        }
        let started = ContinuousClock.now
        let (destination, manifest) = try await shop.backup(into: folder, tokenSecretFile: settings.tokenSecretFile, at: now)
        let elapsed = ContinuousClock.now - started
        let size = (try? FileManager.default.attributesOfItem(atPath: destination + "/data.mdb")[.size] as? Int) ?? 0
        let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        return Reply(text: l.pick("💾 Backup feito em \(html(destination)) (\(size / 1024) KiB, \(milliseconds) ms).",
                                  "💾 Backup written to \(html(destination)) (\(size / 1024) KiB, \(milliseconds) ms)."),
                     data: ReplyData(["path": destination, "bytes": size, "milliseconds": milliseconds,
                                      "feedHead": Int(manifest.feedHead), "epoch": manifest.epoch, "checksum": manifest.checksum]))
    }
}

extension Conversation {
    /// `/resumo`: the daily summary's settings; `/resumo 21:00` turns it on at that time,
    /// `/resumo off` (or `desligar`) turns it off, `/resumo on` (or `ligar`) turns it on,
    /// `/resumo fuso America/Sao_Paulo` sets the shop's time zone.
    func dailySummary(_ request: ChatRequest, _ caller: Caller) async throws -> Reply {
        let l = request.language
        let words = Arguments.words(request.args)
        let change: UpdateShopSettings?
        switch words.first?.lowercased() {
        case nil: change = nil
        case "off", "desligar": change = UpdateShopSettings(summaryEnabled: false)
        case "on", "ligar": change = UpdateShopSettings(summaryEnabled: true)
        case "fuso", "zone":
            guard words.count == 2 else { throw UsageError(pt: "Use /resumo fuso America/Sao_Paulo", en: "Use /resumo zone America/Sao_Paulo") }
            change = UpdateShopSettings(timeZone: words[1])
        case let time? where ShopPreferences.minute(of: time) != nil && words.count == 1:
            change = UpdateShopSettings(summaryEnabled: true, summaryTime: time)
        default:
            throw UsageError(pt: "Use /resumo 21:00, /resumo off ou /resumo fuso America/Sao_Paulo.",
                             en: "Use /resumo 21:00, /resumo off or /resumo zone America/Sao_Paulo.")
        }
        let settings: ShopPreferences
        if let change {
            settings = try await shop.run(change, as: caller.principal).value
        } else {
            settings = try shop.preferences(as: caller.principal)
        }
        let state = settings.summaryEnabled
            ? l.pick("ligado, às \(settings.summaryTime)", "on, at \(settings.summaryTime)")
            : l.pick("desligado", "off")
        return Reply(text: l.pick("📊 Resumo diário \(state) (fuso \(html(settings.timeZone))).",
                                  "📊 Daily summary \(state) (time zone \(html(settings.timeZone)))."),
                     data: ReplyData(["settings": ShopSettingsView(settings)]))
    }
}
