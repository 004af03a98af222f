import Foundation
import Store
import Testing
@testable import Shop

/// The permission matrix: every command and every query × every kind of caller, allowed
/// exactly when it should be, and a refusal writes nothing but its audit entry.
///
/// Each row runs in a fresh shop, against records built for it, so an allowed run succeeds.
@Suite(.timeLimit(.minutes(3))) struct PermissionMatrixTests {
    @Test(arguments: CommandMatrix.rows)
    func everyCommandIsAllowedExactlyWhenItShouldBe(_ row: MatrixRow) async throws {
        try await row.check()
    }

    @Test(arguments: QueryMatrix.rows)
    func everyQueryIsAllowedExactlyWhenItShouldBe(_ row: MatrixRow) async throws {
        try await row.check()
    }

    /// "The last owner cannot step down" counts only owners who are not blocked, so a blocked
    /// owner counts as no owner, and demoting one is refused while Olga, an active owner, remains.
    @Test func aBlockedOwnerCanBeDemotedWhileAnotherOwnerRemains() async throws {
        let m = try await MatrixShop.make()
        do {
            try await m.shop.execute(GrantRole(userId: m.carla.id, role: .owner), as: .system())
            try await m.blockCarla()
            let demoted = try await m.shop.execute(GrantRole(userId: m.carla.id, role: .user), as: m.t.asOwner)
            #expect(demoted.role == .user)
        } catch {
            Issue.record(error, "demoting blocked owner Carla was refused although owner Olga remains")
        }
        await m.t.discard()
    }

    /// A new command cannot slip past the matrix: every `ShopCommand` in Sources/Shop has a
    /// row for each caller.
    @Test func everyCommandInTheSourcesHasARowForEveryCaller() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/Shop")
        var declared: Set<String> = []
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for line in text.split(separator: "\n") where line.contains(": ShopCommand") && line.contains("struct ") {
                let afterStruct = line.split(separator: "struct ", maxSplits: 1).last ?? ""
                declared.insert(String(afterStruct.prefix { $0.isLetter || $0.isNumber }))
            }
        }
        #expect(declared.contains("Buy") && declared.contains("SignIn"), "the sources were read: \(declared.sorted())")
        var callersByCommand: [String: Set<MatrixCaller>] = [:]
        for row in CommandMatrix.rows { callersByCommand[row.subject, default: []].insert(row.caller) }
        for command in declared.sorted() {
            #expect(callersByCommand[command] == Set(MatrixCaller.allCases), "\(command) needs a row for every caller")
        }
        #expect(Set(callersByCommand.keys).subtracting(declared).isEmpty, "rows for commands that no longer exist")
    }
}

// MARK: - The callers

/// Who runs a row: nobody, a plain user (Ana), an admin, an owner, a blocked user (Carla,
/// blocked by the owner just before the row runs), or the shop's own machine.
enum MatrixCaller: String, CaseIterable, Sendable {
    case anonymous, user, admin, owner, blocked, system

    /// The role the caller acts with; nil when nobody is signed in.
    var role: Role? {
        switch self {
        case .anonymous: nil
        case .user, .blocked: .user
        case .admin: .admin
        case .owner, .system: .owner
        }
    }
}

/// What must happen when a row runs.
enum MatrixOutcome: Sendable, Equatable, CustomStringConvertible {
    case succeeds
    case refused(ShopError.Code)

    var description: String {
        switch self {
        case .succeeds: "succeeds"
        case .refused(let code): code.rawValue
        }
    }

    /// What an access rule alone says for a caller: blocked users run nothing, anonymous
    /// callers only `anyone` commands, and roles nest.
    static func of(_ access: Access, for caller: MatrixCaller) -> MatrixOutcome {
        if caller == .blocked { return .refused(.userBlocked) }
        guard case .role(let needed) = access else { return .succeeds }
        guard let role = caller.role else { return .refused(.notAuthenticated) }
        return role >= needed ? .succeeds : .refused(.forbidden)
    }
}

/// Checks made after an allowed run, on its result.
typealias MatrixFollowUp = @Sendable () async throws -> Void

/// A command or query ready to run for any principal.
struct MatrixAttempt: Sendable {
    /// The command's audit name, or the query's name.
    let name: String
    /// Commands write (at least their audit entry); queries never write.
    let writes: Bool
    let run: @Sendable (Principal) async throws -> MatrixFollowUp
}

// MARK: - One row and how it is checked

/// One row of the matrix: a command or query, a caller, what must happen, and how to build
/// the records the row needs in a fresh shop.
struct MatrixRow: Sendable, CustomTestStringConvertible {
    /// The command's type name ("PlaceOrder") or the query's name ("sales").
    let subject: String
    /// What is special about the row ("for someone else"), empty for the plain rows.
    let variant: String
    let caller: MatrixCaller
    let expected: MatrixOutcome
    let prepare: @Sendable (MatrixShop, MatrixCaller) async throws -> MatrixAttempt

    var testDescription: String {
        "\(subject)\(variant.isEmpty ? "" : " " + variant) as \(caller.rawValue) → \(expected)"
    }

    /// Runs the row in a fresh shop and checks its outcome, the audit trail and that a
    /// refusal (or any query) wrote nothing else.
    func check() async throws {
        let m = try await MatrixShop.make()
        do {
            try await checkIn(m)
        } catch {
            Issue.record(error, "\(testDescription): the row could not be run")
        }
        await m.t.discard()
    }

    private func checkIn(_ m: MatrixShop) async throws {
        let attempt = try await prepare(m, caller)
        try await m.blockCarla()
        let principal = m.principal(caller)
        let env = m.t.environment
        let head = env.head
        let counters = try m.counters()

        var outcome = MatrixOutcome.succeeds
        var followUp: MatrixFollowUp?
        do {
            followUp = try await attempt.run(principal)
        } catch let error as ShopError {
            outcome = .refused(error.code)
        }
        #expect(outcome == expected, "\(testDescription): got \(outcome)")

        let changes = try env.changes(after: head, limit: 1_000)
        if !attempt.writes {
            #expect(changes.isEmpty, "a query wrote \(changes.map(\.collection))")
            #expect(try m.counters() == counters, "a query moved counters")
        } else if case .refused(let code) = outcome {
            // Refusals by known callers are audited (bad credentials included); anonymous callers' are not.
            let audited = caller != .anonymous
            #expect(env.head == head + (audited ? 1 : 0), "a refused command moved the feed head by \(env.head - head)")
            #expect(changes.map(\.collection) == (audited ? ["audit"] : []), "a refused command wrote \(changes.map(\.collection))")
            var after = try m.counters()
            if audited { after[Aggregates.lastId(.audit)] = counters[Aggregates.lastId(.audit)] }
            #expect(after == counters, "a refused command moved counters")
            if audited {
                let entry = try m.newestAuditEntry()
                #expect(entry?.command == attempt.name)
                #expect(entry?.outcome == code.rawValue)
                #expect(entry?.actorId == principal.userId)
            }
        } else {
            #expect(changes.last?.collection == "audit")
            let entry = try m.newestAuditEntry()
            #expect(entry?.command == attempt.name)
            #expect(entry?.outcome == "ok")
            #expect(entry?.actorId == principal.userId)
        }
        if outcome == expected, let followUp { try await followUp() }
    }
}

// MARK: - A fresh shop for one row

/// TestShop's owner, admin, Ana and Bruno, plus Carla, who is blocked (by the owner, with
/// ``BlockUser``) after the row's records are built, so records of hers can exist.
struct MatrixShop: Sendable {
    let t: TestShop
    let carla: User
    var shop: Shop { t.shop }

    static func make() async throws -> MatrixShop {
        let t = try await TestShop.make()
        let carla = try await t.shop.execute(SeeTelegramUser(identity: .init(telegramId: 5_000, firstName: "Carla")), as: .system())
        return MatrixShop(t: t, carla: carla)
    }

    func blockCarla() async throws {
        try await shop.execute(BlockUser(userId: carla.id), as: t.asOwner)
    }

    func principal(_ caller: MatrixCaller) -> Principal {
        switch caller {
        case .anonymous: .anonymous(via: .rest)
        case .user: t.asAna
        case .admin: t.asAdmin
        case .owner: t.asOwner
        case .blocked: .user(carla.id, via: .rest)
        case .system: .system()
        }
    }

    /// The caller's own user id; nil for anonymous callers and the system.
    func id(_ caller: MatrixCaller) -> UInt64? {
        switch caller {
        case .anonymous, .system: nil
        case .user: t.ana.id
        case .admin: t.admin.id
        case .owner: t.owner.id
        case .blocked: carla.id
        }
    }

    /// Whose records a row works on when they should be the caller's: the caller, or Ana
    /// for callers who are nobody.
    func mine(_ caller: MatrixCaller) -> UInt64 { id(caller) ?? t.ana.id }

    /// A plain user who is neither the caller nor ``mine(_:)``.
    func other(_ caller: MatrixCaller) -> UInt64 { mine(caller) == t.ana.id ? t.bruno.id : t.ana.id }

    // MARK: Running

    func attempt<C: ShopCommand>(_ command: C, then check: @escaping @Sendable (C.Result) async throws -> Void = { _ in }) -> MatrixAttempt {
        let shop = self.shop
        return MatrixAttempt(name: C.name, writes: true) { principal in
            let result = try await shop.execute(command, as: principal)
            return { try await check(result) }
        }
    }

    func query<T: Sendable>(_ name: String, _ body: @escaping @Sendable (Shop, Principal) throws -> T,
                            then check: @escaping @Sendable (T) async throws -> Void = { _ in }) -> MatrixAttempt {
        let shop = self.shop
        return MatrixAttempt(name: name, writes: false) { principal in
            let result = try body(shop, principal)
            return { try await check(result) }
        }
    }

    // MARK: Records

    func product(stock: Int64 = 10) async throws -> Product {
        try await t.product("Coxinha", stock: stock)
    }

    /// An order of 2 units for `customer`, taken to `state` (pending, receipt submitted or verified).
    func order(for customer: UInt64, _ state: Order.State = .pendingPayment) async throws -> Order {
        let product = try await product()
        var order = try await shop.execute(PlaceOrder(items: [.init(productId: product.id, quantity: 2)], customerId: customer), as: .system())
        if state == .pendingPayment { return order }
        order = try await shop.execute(SubmitReceipt(orderId: order.id, mediaId: "receipt-1"), as: .user(customer, via: .rest))
        if state == .receiptSubmitted { return order }
        return try await shop.execute(VerifyOrder(orderId: order.id), as: .system())
    }

    /// A contract between `parties`, sent to them (pending), kept as a draft, or confirmed into force (active).
    func contract(between parties: [UInt64], required: Int = 2, _ state: Contract.State = .pending) async throws -> Contract {
        var contract = try await shop.execute(CreateContract(
            title: "Barraca na feira", terms: "Dividir a barraca de sábado", amount: 10_000,
            parties: parties.map { ContractPartyInput(userId: $0, part: "metade") },
            requiredConfirmations: required, draft: state == .draft), as: .system())
        if state == .active {
            for party in parties.prefix(required) {
                contract = try await shop.execute(ConfirmContract(contractId: contract.id), as: .user(party, via: .rest))
            }
        }
        return contract
    }

    /// A new unread notification of `userId`.
    func notification(for userId: UInt64) async throws -> Notice {
        try await shop.execute(Notify(recipient: .user(userId), title: "Olá", body: ""), as: .system())
        let unread = try shop.notifications(unreadOnly: true, page: PageRequest(limit: 200), as: .user(userId, via: .rest)).page.items
        return try #require(unread.first { $0.value.params?["title"] == "Olá" }).value
    }

    func sale(to buyer: UInt64) async throws -> Sale {
        let product = try await product()
        return try await shop.execute(Buy(buyerId: buyer, items: [.init(productId: product.id, quantity: 2)]), as: .system())
    }

    /// A signed-in session of `userId`, through a one-time login code.
    func session(for userId: UInt64) async throws -> SessionGrant {
        let code = try await shop.execute(IssueLoginCode(), as: .user(userId, via: .rest))
        return try await shop.execute(RedeemLoginCode(code: code, device: "phone"), as: .anonymous(via: .rest))
    }

    /// Whether a refresh token still opens a session.
    func refreshes(_ refreshToken: String) async -> Bool {
        guard let outcome = try? await shop.execute(RefreshSession(refreshToken: refreshToken), as: .anonymous(via: .rest)) else { return false }
        if case .granted = outcome { return true }
        return false
    }

    func user(_ id: UInt64) throws -> User { try shop.user(id, as: .system()).value }

    // MARK: Reading the books

    func counters() throws -> [OrderedKey: Int64] {
        try t.environment.read { txn in
            Dictionary(uniqueKeysWithValues: try txn.counters(from: nil, to: nil).map { ($0.key, $0.value) })
        }
    }

    func newestAuditEntry() throws -> AuditEntry? {
        try shop.auditTrail(page: PageRequest(limit: 1), as: .system()).items.first?.value
    }
}

// MARK: - Building the table

extension MatrixRow {
    /// One row per caller, each expecting what the command's access rule says, except where
    /// `overrides` names a finer rule.
    static func everyCaller<C: ShopCommand>(_ type: C.Type, except overrides: [MatrixCaller: MatrixOutcome] = [:],
                                            _ prepare: @escaping @Sendable (MatrixShop, MatrixCaller) async throws -> MatrixAttempt) -> [MatrixRow] {
        MatrixCaller.allCases.map { caller in
            MatrixRow(subject: String(describing: type), variant: "", caller: caller,
                      expected: overrides[caller] ?? .of(C.access, for: caller), prepare: prepare)
        }
    }

    /// One row for a finer rule.
    static func finer<C: ShopCommand>(_ type: C.Type, _ variant: String, as caller: MatrixCaller, _ expected: MatrixOutcome,
                                      _ prepare: @escaping @Sendable (MatrixShop, MatrixCaller) async throws -> MatrixAttempt) -> MatrixRow {
        MatrixRow(subject: String(describing: type), variant: variant, caller: caller, expected: expected, prepare: prepare)
    }

    /// One row per caller for a query that needs `role`.
    static func everyCaller(query name: String, needs role: Role, except overrides: [MatrixCaller: MatrixOutcome] = [:],
                            _ prepare: @escaping @Sendable (MatrixShop, MatrixCaller) async throws -> MatrixAttempt) -> [MatrixRow] {
        MatrixCaller.allCases.map { caller in
            MatrixRow(subject: name, variant: "", caller: caller,
                      expected: overrides[caller] ?? .of(.role(role), for: caller), prepare: prepare)
        }
    }

    static func finer(query name: String, _ variant: String, as caller: MatrixCaller, _ expected: MatrixOutcome,
                      _ prepare: @escaping @Sendable (MatrixShop, MatrixCaller) async throws -> MatrixAttempt) -> MatrixRow {
        MatrixRow(subject: name, variant: variant, caller: caller, expected: expected, prepare: prepare)
    }
}

/// Joins groups of rows; the parameter type lets each group's closures be checked on their own.
func matrixTable(_ groups: [MatrixRow]...) -> [MatrixRow] { groups.flatMap { $0 } }

// MARK: - Commands

enum CommandMatrix {
    static let rows: [MatrixRow] = sessions + users + products + sales + orders + contracts + notifications

    static let sessions: [MatrixRow] = matrixTable(
        MatrixRow.everyCaller(SignIn.self) { m, _ in
            m.attempt(SignIn(identity: .init(telegramId: 9_001, firstName: "Dora"), device: "phone")) { grant in
                #expect(grant.user.name == "Dora")
                #expect(grant.user.role == .user)
            }
        },
        [MatrixRow.finer(SignIn.self, "of a blocked person", as: .anonymous, .refused(.userBlocked)) { m, _ in
            m.attempt(SignIn(identity: .init(telegramId: 5_000, firstName: "Carla"), device: "phone"))
        }],
        MatrixRow.everyCaller(SeeTelegramUser.self) { m, _ in
            m.attempt(SeeTelegramUser(identity: .init(telegramId: 9_001, firstName: "Dora"))) { user in
                #expect(user.role == .user)
            }
        },
        [MatrixRow.finer(SeeTelegramUser.self, "of a blocked person", as: .anonymous, .refused(.userBlocked)) { m, _ in
            m.attempt(SeeTelegramUser(identity: .init(telegramId: 5_000, firstName: "Carla")))
        }],
        MatrixRow.everyCaller(RefreshSession.self) { m, _ in
            let grant = try await m.session(for: m.t.bruno.id)
            return m.attempt(RefreshSession(refreshToken: grant.refreshToken)) { outcome in
                guard case .granted(let next) = outcome else { Issue.record("expected a new session, got \(outcome)"); return }
                #expect(next.user.id == m.t.bruno.id)
            }
        },
        [MatrixRow.finer(RefreshSession.self, "with a blocked user's token", as: .anonymous, .refused(.notAuthenticated)) { m, _ in
            let grant = try await m.session(for: m.carla.id)
            return m.attempt(RefreshSession(refreshToken: grant.refreshToken))
        }],
        MatrixRow.everyCaller(Logout.self) { m, caller in
            let grant = try await m.session(for: m.id(caller) ?? m.t.bruno.id)
            return m.attempt(Logout(sessionId: grant.sessionId)) { ended in
                // The system has no sessions: naming Bruno's ends nothing.
                #expect(ended == (caller == .system ? 0 : 1))
                let stillLive = await m.refreshes(grant.refreshToken)
                #expect(stillLive == (caller == .system))
            }
        },
        [MatrixCaller.user, .admin, .owner].map { caller in
            MatrixRow.finer(Logout.self, "naming another user's session", as: caller, .succeeds) { m, caller in
                let grant = try await m.session(for: m.other(caller))
                return m.attempt(Logout(sessionId: grant.sessionId)) { ended in
                    #expect(ended == 0)
                    let stillLive = await m.refreshes(grant.refreshToken)
                    #expect(stillLive, "only one's own sessions end")
                }
            }
        },
        // The system has no sessions of its own: any id it names is not found.
        MatrixRow.everyCaller(EndSession.self, except: [.system: .refused(.notFound)]) { m, caller in
            let grant = try await m.session(for: m.mine(caller))
            return m.attempt(EndSession(sessionId: grant.sessionId)) { ended in
                #expect(ended == 1)
                let stillLive = await m.refreshes(grant.refreshToken)
                #expect(!stillLive)
            }
        },
        [MatrixCaller.user, .admin, .owner].map { caller in
            MatrixRow.finer(EndSession.self, "naming another user's session", as: caller, .refused(.notFound)) { m, caller in
                let grant = try await m.session(for: m.other(caller))
                return m.attempt(EndSession(sessionId: grant.sessionId))
            }
        },
        MatrixRow.everyCaller(EndUserSessions.self) { m, _ in
            let phone = try await m.session(for: m.t.bruno.id)
            let laptop = try await m.session(for: m.t.bruno.id)
            return m.attempt(EndUserSessions(userId: m.t.bruno.id)) { ended in
                #expect(ended == 2)
                let phoneLive = await m.refreshes(phone.refreshToken)
                let laptopLive = await m.refreshes(laptop.refreshToken)
                #expect(!phoneLive && !laptopLive)
            }
        },
        // The system is no user: a login code would sign in nobody.
        MatrixRow.everyCaller(IssueLoginCode.self, except: [.system: .refused(.notAuthenticated)]) { m, caller in
            m.attempt(IssueLoginCode()) { code in
                let grant = try await m.shop.execute(RedeemLoginCode(code: code), as: .anonymous(via: .rest))
                #expect(grant.user.id == m.id(caller))
            }
        },
        MatrixRow.everyCaller(RedeemLoginCode.self) { m, _ in
            let code = try await m.shop.execute(IssueLoginCode(), as: m.t.asBruno)
            return m.attempt(RedeemLoginCode(code: code, device: "laptop")) { grant in
                #expect(grant.user.id == m.t.bruno.id)
            }
        },
        [MatrixRow.finer(RedeemLoginCode.self, "of a blocked user's code", as: .anonymous, .refused(.userBlocked)) { m, _ in
            let code = try await m.shop.execute(IssueLoginCode(), as: .user(m.carla.id, via: .rest))
            return m.attempt(RedeemLoginCode(code: code))
        }],
    )

    static let users: [MatrixRow] = matrixTable(
        MatrixRow.everyCaller(GrantRole.self) { m, _ in
            m.attempt(GrantRole(userId: m.t.bruno.id, role: .admin)) { user in
                let stored = try m.user(user.id)
                #expect(stored.role == .admin)
            }
        },
        [MatrixRow.finer(GrantRole.self, "demoting the last owner", as: .system, .refused(.ruleBroken)) { m, _ in
            m.attempt(GrantRole(userId: m.t.owner.id, role: .admin))
        }],
        MatrixRow.everyCaller(BlockUser.self) { m, _ in
            m.attempt(BlockUser(userId: m.t.bruno.id)) { _ in
                let bruno = try m.user(m.t.bruno.id)
                #expect(bruno.blocked)
            }
        },
        MatrixRow.everyCaller(UpdateShopSettings.self) { m, _ in
            m.attempt(UpdateShopSettings(timeZone: "Asia/Tokyo", summaryEnabled: true, summaryTime: "07:15")) { settings in
                #expect(settings == ShopPreferences(timeZone: "Asia/Tokyo", summaryEnabled: true, summaryMinute: 7 * 60 + 15))
                let stored = try m.shop.preferences(as: .system())
                #expect(stored == settings)
            }
        },
        MatrixRow.everyCaller(UpdateUser.self) { m, _ in
            m.attempt(UpdateUser(userId: m.t.bruno.id, role: .admin, blocked: true)) { user in
                let stored = try m.user(user.id)
                #expect(stored.role == .admin && stored.blocked)
            }
        },
        MatrixRow.everyCaller(UnblockUser.self) { m, _ in
            try await m.shop.execute(BlockUser(userId: m.t.bruno.id), as: .system())
            return m.attempt(UnblockUser(userId: m.t.bruno.id)) { _ in
                let bruno = try m.user(m.t.bruno.id)
                #expect(!bruno.blocked)
            }
        },
        MatrixRow.everyCaller(CreateUser.self) { m, _ in
            m.attempt(CreateUser(telegramId: 77_000, name: "Caio", role: .admin)) { user in
                let stored = try m.user(user.id)
                #expect(stored.telegramId == 77_000 && stored.role == .admin)
            }
        },
        MatrixRow.everyCaller(EraseUser.self) { m, _ in
            m.attempt(EraseUser(userId: m.t.bruno.id)) { _ in
                let bruno = try m.user(m.t.bruno.id)
                #expect(bruno.isErased && bruno.blocked && bruno.name == "Erased customer \(bruno.publicId)")
            }
        },
    )

    static let products: [MatrixRow] = matrixTable(
        MatrixRow.everyCaller(CreateProduct.self) { m, _ in
            m.attempt(CreateProduct(name: "Pastel", price: 800, stock: 5))
        },
        MatrixRow.everyCaller(UpdateProduct.self) { m, _ in
            let product = try await m.product()
            return m.attempt(UpdateProduct(productId: product.id, price: 700)) { #expect($0.price == 700) }
        },
        MatrixRow.everyCaller(ArchiveProduct.self) { m, _ in
            let product = try await m.product()
            return m.attempt(ArchiveProduct(productId: product.id)) { #expect(!$0.active) }
        },
        MatrixRow.everyCaller(SetThreshold.self) { m, _ in
            let product = try await m.product()
            return m.attempt(SetThreshold(productId: product.id, threshold: 4)) { #expect($0.lowStockThreshold == 4) }
        },
        MatrixRow.everyCaller(Restock.self) { m, _ in
            let product = try await m.product(stock: 10)
            return m.attempt(Restock(productId: product.id, quantity: 5)) { #expect($0.stock == 15) }
        },
        MatrixRow.everyCaller(AdjustStock.self) { m, _ in
            let product = try await m.product(stock: 10)
            return m.attempt(AdjustStock(productId: product.id, delta: -3, note: "quebrou")) { #expect($0.stock == 7) }
        },
    )

    static let sales: [MatrixRow] = matrixTable(
        MatrixRow.everyCaller(Buy.self) { m, _ in
            let product = try await m.product(stock: 10)
            return m.attempt(Buy(buyerId: m.t.ana.id, items: [.init(productId: product.id, quantity: 2)])) { sale in
                #expect(sale.total == 1_300)
            }
        },
        MatrixRow.everyCaller(RecordPayment.self) { m, _ in
            let sale = try await m.sale(to: m.t.ana.id)
            return m.attempt(RecordPayment(userId: m.t.ana.id, amount: sale.total)) { _ in
                let debt = try m.shop.debt(of: m.t.ana.id, as: .system())
                #expect(debt.amount == 0)
            }
        },
        MatrixRow.everyCaller(Refund.self) { m, _ in
            let sale = try await m.sale(to: m.t.ana.id)
            return m.attempt(Refund(saleId: sale.id)) { refunded in
                #expect(refunded.refundedQuantities == [2])
            }
        },
        MatrixRow.everyCaller(AdjustBalance.self) { m, _ in
            m.attempt(AdjustBalance(userId: m.t.ana.id, amount: 500, note: "fiado antigo")) { #expect($0 == 500) }
        },
        MatrixRow.everyCaller(SendDebtReminder.self) { m, _ in
            let sale = try await m.sale(to: m.t.ana.id)
            return m.attempt(SendDebtReminder(userId: m.t.ana.id)) { debtor in
                #expect(debtor.amount == sale.total && debtor.reminders == 1)
                let stored = try m.shop.debtor(m.t.ana.id, as: .system())
                #expect(stored.reminders == 1)
            }
        },
        MatrixRow.everyCaller(PauseDebtReminders.self) { m, _ in
            m.attempt(PauseDebtReminders(userId: m.t.ana.id, paused: true)) { debtor in
                #expect(debtor.paused)
                let stored = try m.shop.debtor(m.t.ana.id, as: .system())
                #expect(stored.paused)
            }
        },
    )

    static let orders: [MatrixRow] = matrixTable(
        // The system is nobody: it names the customer.
        MatrixRow.everyCaller(PlaceOrder.self) { m, caller in
            let product = try await m.product()
            let customer = m.mine(caller)
            return m.attempt(PlaceOrder(items: [.init(productId: product.id, quantity: 2)], customerId: caller == .system ? customer : nil)) { order in
                #expect(order.customerId == customer)
            }
        },
        [MatrixRow.finer(PlaceOrder.self, "without a customer", as: .system, .refused(.invalidInput)) { m, _ in
            let product = try await m.product()
            return m.attempt(PlaceOrder(items: [.init(productId: product.id, quantity: 2)]))
        }],
        [(MatrixCaller.user, MatrixOutcome.refused(.forbidden)), (.admin, .succeeds), (.owner, .succeeds)].map { caller, expected in
            MatrixRow.finer(PlaceOrder.self, "for someone else", as: caller, expected) { m, caller in
                let product = try await m.product()
                return m.attempt(PlaceOrder(items: [.init(productId: product.id, quantity: 2)], customerId: m.other(caller))) { order in
                    #expect(order.customerId == m.other(caller))
                }
            }
        },
        // Only the customer sends the receipt; the system is never the customer.
        MatrixRow.everyCaller(SubmitReceipt.self, except: [.system: .refused(.forbidden)]) { m, caller in
            let order = try await m.order(for: m.mine(caller))
            return m.attempt(SubmitReceipt(orderId: order.id, mediaId: "receipt-1")) { #expect($0.state == .receiptSubmitted) }
        },
        // A plain user does not even see others' orders; an admin sees them but is not the customer.
        [(MatrixCaller.user, MatrixOutcome.refused(.notFound)), (.admin, .refused(.forbidden)), (.owner, .refused(.forbidden))].map { caller, expected in
            MatrixRow.finer(SubmitReceipt.self, "for someone else's order", as: caller, expected) { m, caller in
                let order = try await m.order(for: m.other(caller))
                return m.attempt(SubmitReceipt(orderId: order.id, mediaId: "receipt-1"))
            }
        },
        MatrixRow.everyCaller(VerifyOrder.self) { m, _ in
            let order = try await m.order(for: m.t.ana.id, .receiptSubmitted)
            return m.attempt(VerifyOrder(orderId: order.id)) { #expect($0.state == .verified) }
        },
        MatrixRow.everyCaller(RejectOrder.self) { m, _ in
            let order = try await m.order(for: m.t.ana.id, .receiptSubmitted)
            return m.attempt(RejectOrder(orderId: order.id, reason: "comprovante ilegível")) { #expect($0.state == .rejected) }
        },
        MatrixRow.everyCaller(FulfilOrder.self) { m, _ in
            let order = try await m.order(for: m.t.ana.id, .verified)
            return m.attempt(FulfilOrder(orderId: order.id)) { #expect($0.state == .fulfilled) }
        },
        MatrixRow.everyCaller(CancelOrder.self) { m, caller in
            let order = try await m.order(for: m.mine(caller))
            return m.attempt(CancelOrder(orderId: order.id, reason: "mudei de ideia")) { #expect($0.state == .cancelled) }
        },
        [(MatrixCaller.user, MatrixOutcome.refused(.notFound)), (.admin, .succeeds), (.owner, .succeeds)].map { caller, expected in
            MatrixRow.finer(CancelOrder.self, "of someone else's order", as: caller, expected) { m, caller in
                let order = try await m.order(for: m.other(caller))
                return m.attempt(CancelOrder(orderId: order.id)) { #expect($0.state == .cancelled) }
            }
        },
    )

    static let contracts: [MatrixRow] = matrixTable(
        MatrixRow.everyCaller(CreateContract.self) { m, _ in
            m.attempt(CreateContract(title: "Feira", terms: "Dividir a barraca", amount: 10_000,
                                     parties: [.init(userId: m.t.ana.id, part: "metade"), .init(userId: m.t.bruno.id, part: "metade")],
                                     requiredConfirmations: 2)) { #expect($0.state == .pending) }
        },
        MatrixRow.everyCaller(SubmitContract.self) { m, _ in
            let contract = try await m.contract(between: [m.t.ana.id, m.t.bruno.id], .draft)
            return m.attempt(SubmitContract(contractId: contract.id)) { #expect($0.state == .pending) }
        },
        // Only parties answer a contract; the system is never a party.
        MatrixRow.everyCaller(ConfirmContract.self, except: [.system: .refused(.forbidden)]) { m, caller in
            let contract = try await m.contract(between: [m.mine(caller), m.other(caller)])
            return m.attempt(ConfirmContract(contractId: contract.id)) { #expect($0.confirmations == 1) }
        },
        // Others' contracts are hidden from everyone but the owner, who sees them all but is no party.
        [(MatrixCaller.user, MatrixOutcome.refused(.notFound)), (.admin, .refused(.notFound)), (.owner, .refused(.forbidden))].map { caller, expected in
            MatrixRow.finer(ConfirmContract.self, "by a non-party", as: caller, expected) { m, caller in
                let contract = try await m.contract(between: [m.other(caller), m.carla.id])
                return m.attempt(ConfirmContract(contractId: contract.id))
            }
        },
        MatrixRow.everyCaller(DeclineContract.self, except: [.system: .refused(.forbidden)]) { m, caller in
            let contract = try await m.contract(between: [m.mine(caller), m.other(caller)])
            return m.attempt(DeclineContract(contractId: contract.id, reason: "caro demais")) { #expect($0.state == .declined) }
        },
        [(MatrixCaller.user, MatrixOutcome.refused(.notFound)), (.admin, .refused(.notFound)), (.owner, .refused(.forbidden))].map { caller, expected in
            MatrixRow.finer(DeclineContract.self, "by a non-party", as: caller, expected) { m, caller in
                let contract = try await m.contract(between: [m.other(caller), m.carla.id])
                return m.attempt(DeclineContract(contractId: contract.id))
            }
        },
        MatrixRow.everyCaller(CancelContract.self) { m, _ in
            let contract = try await m.contract(between: [m.t.ana.id, m.t.bruno.id])
            return m.attempt(CancelContract(contractId: contract.id, reason: "chuva")) { #expect($0.state == .cancelled) }
        },
        MatrixRow.everyCaller(CompleteContract.self) { m, _ in
            let contract = try await m.contract(between: [m.t.ana.id, m.t.bruno.id], required: 1, .active)
            return m.attempt(CompleteContract(contractId: contract.id)) { #expect($0.state == .completed) }
        },
    )

    static let notifications: [MatrixRow] = matrixTable(
        MatrixRow.everyCaller(Notify.self) { m, _ in
            m.attempt(Notify(recipient: .user(m.t.ana.id), title: "Chegou pão de queijo", body: "")) { #expect($0 == 1) }
        },
        // The system has no notifications of its own.
        MatrixRow.everyCaller(MarkRead.self, except: [.system: .refused(.notFound)]) { m, caller in
            let notification = try await m.notification(for: m.mine(caller))
            return m.attempt(MarkRead(notificationId: notification.id)) { #expect($0.read) }
        },
        [MatrixCaller.user, .admin, .owner].map { caller in
            MatrixRow.finer(MarkRead.self, "of someone else's notification", as: caller, .refused(.notFound)) { m, caller in
                let notification = try await m.notification(for: m.other(caller))
                return m.attempt(MarkRead(notificationId: notification.id))
            }
        },
        MatrixRow.everyCaller(MarkAllRead.self) { m, caller in
            _ = try await m.notification(for: m.mine(caller))
            return m.attempt(MarkAllRead()) { marked in
                guard let id = m.id(caller) else { #expect(marked == 0); return }
                #expect(marked >= 1)
                let unread = try m.shop.notifications(as: .user(id, via: .rest)).unread
                #expect(unread == 0)
            }
        },
        // Any signed-in user uploads images (customers send receipts).
        MatrixRow.everyCaller(UploadMedia.self) { m, _ in
            m.attempt(UploadMedia(bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00])) { info in
                #expect(info.contentType == "image/png" && info.size == 9 && info.id.count == 33)
            }
        },
    )
}

// MARK: - Queries

enum QueryMatrix {
    static let rows: [MatrixRow] = people + catalogue + money + ordersAndContracts + trail

    static let people: [MatrixRow] = matrixTable(
        MatrixRow.everyCaller(query: "me", needs: .user) { m, caller in
            m.query("me") { try $0.me(as: $1) } then: { me in
                #expect(me.user?.id == m.id(caller))
                #expect(me.role == caller.role)
            }
        },
        MatrixRow.everyCaller(query: "deviceSessions", needs: .user) { m, caller in
            let grant = try await m.session(for: m.mine(caller))
            return m.query("deviceSessions") { try $0.deviceSessions(current: grant.sessionId, as: $1) } then: { devices in
                // The system signs in nowhere: its list is empty.
                #expect(devices.map(\.id) == (caller == .system ? [] : [grant.sessionId]))
                #expect(devices.allSatisfy { $0.current })
            }
        },
        MatrixRow.everyCaller(query: "users", needs: .owner) { m, _ in
            m.query("users") { try $0.users(as: $1) } then: { #expect($0.items.count == 5) }
        },
        MatrixRow.everyCaller(query: "user", needs: .user) { m, caller in
            m.query("user") { try $0.user(m.mine(caller), as: $1) } then: { #expect($0.key == m.mine(caller)) }
        },
        [(MatrixCaller.user, MatrixOutcome.refused(.notFound)), (.admin, .succeeds), (.owner, .succeeds)].map { caller, expected in
            MatrixRow.finer(query: "user", "of someone else", as: caller, expected) { m, caller in
                m.query("user") { try $0.user(m.other(caller), as: $1) }
            }
        },
        MatrixRow.everyCaller(query: "user(telegramId:)", needs: .admin) { m, _ in
            m.query("user(telegramId:)") { try $0.user(telegramId: 3_000, as: $1) } then: { #expect($0?.key == m.t.ana.id) }
        },
        MatrixRow.everyCaller(query: "findUsers", needs: .admin) { m, _ in
            m.query("findUsers") { try $0.findUsers("@ana", as: $1) } then: { #expect($0.map(\.key) == [m.t.ana.id]) }
        },
    )

    static let catalogue: [MatrixRow] = matrixTable(
        MatrixRow.everyCaller(query: "products", needs: .user) { m, _ in
            _ = try await m.product()
            return m.query("products") { try $0.products(as: $1) } then: { #expect($0.items.count == 1) }
        },
        MatrixRow.everyCaller(query: "product", needs: .user) { m, _ in
            let product = try await m.product()
            return m.query("product") { try $0.product(product.id, as: $1) }
        },
        [(MatrixCaller.user, MatrixOutcome.refused(.notFound)), (.admin, .succeeds)].map { caller, expected in
            MatrixRow.finer(query: "product", "that is archived", as: caller, expected) { m, _ in
                let product = try await m.product()
                try await m.shop.execute(ArchiveProduct(productId: product.id), as: .system())
                return m.query("product") { try $0.product(product.id, as: $1) }
            }
        },
        MatrixRow.everyCaller(query: "categories", needs: .user) { m, _ in
            _ = try await m.product()
            return m.query("categories") { try $0.categories(as: $1) } then: { #expect($0 == ["Salgados"]) }
        },
        MatrixRow.everyCaller(query: "inventory", needs: .admin) { m, _ in
            _ = try await m.product()
            return m.query("inventory") { try $0.inventory(as: $1) } then: { #expect($0.count == 1) }
        },
        MatrixRow.everyCaller(query: "stockMovements", needs: .admin) { m, _ in
            let product = try await m.product()
            return m.query("stockMovements") { try $0.stockMovements(of: product.id, as: $1) } then: { #expect($0.items.count == 1) }
        },
        MatrixRow.everyCaller(query: "preferences", needs: .admin) { m, _ in
            m.query("preferences") { try $0.preferences(as: $1) } then: { #expect($0 == .defaults) }
        },
        MatrixRow.everyCaller(query: "dailySummaryFigures", needs: .admin) { m, _ in
            m.query("dailySummaryFigures") { try $0.dailySummaryFigures(as: $1) } then: { #expect($0.sales == 0 && $0.pendingOrders == 0) }
        },
        MatrixRow.everyCaller(query: "debtors", needs: .admin) { m, _ in
            _ = try await m.sale(to: m.t.ana.id)
            return m.query("debtors") { try $0.debtors(as: $1) } then: { #expect($0.map(\.userId) == [m.t.ana.id]) }
        },
        MatrixRow.everyCaller(query: "debtor", needs: .admin) { m, _ in
            _ = try await m.sale(to: m.t.ana.id)
            return m.query("debtor") { try $0.debtor(m.t.ana.id, as: $1) } then: { #expect($0.amount > 0 && $0.reminders == 0) }
        },
        MatrixRow.everyCaller(query: "staff", needs: .owner) { m, _ in
            m.query("staff") { try $0.staff(as: $1) } then: { #expect($0.contains { $0.role == .owner }) }
        },
        MatrixRow.everyCaller(query: "stockHistory", needs: .admin) { m, _ in
            let product = try await m.product()
            return m.query("stockHistory") { try $0.stockHistory(of: product.id, as: $1) } then: { #expect($0.page.items.map(\.levelAfter) == [product.stock]) }
        },
    )

    static let money: [MatrixRow] = matrixTable(
        // A plain user sees only their own sales; the others see both.
        MatrixRow.everyCaller(query: "sales", needs: .user) { m, caller in
            _ = try await m.sale(to: m.t.ana.id)
            _ = try await m.sale(to: m.t.bruno.id)
            return m.query("sales") { try $0.sales(as: $1) } then: { page in
                #expect(page.items.map(\.value.buyerId).sorted() == (caller == .user ? [m.t.ana.id] : [m.t.ana.id, m.t.bruno.id]))
            }
        },
        [(MatrixCaller.user, MatrixOutcome.refused(.forbidden)), (.admin, .succeeds), (.owner, .succeeds)].map { caller, expected in
            MatrixRow.finer(query: "sales", "of another buyer", as: caller, expected) { m, caller in
                _ = try await m.sale(to: m.other(caller))
                return m.query("sales") { try $0.sales(buyerId: m.other(caller), as: $1) } then: { #expect($0.items.count == 1) }
            }
        },
        MatrixRow.everyCaller(query: "sale", needs: .user) { m, caller in
            let sale = try await m.sale(to: m.mine(caller))
            return m.query("sale") { try $0.sale(sale.id, as: $1) }
        },
        [MatrixRow.finer(query: "sale", "of another buyer", as: .user, .refused(.notFound)) { m, caller in
            let sale = try await m.sale(to: m.other(caller))
            return m.query("sale") { try $0.sale(sale.id, as: $1) }
        }],
        MatrixRow.everyCaller(query: "payments", needs: .user) { m, caller in
            for buyer in [m.t.ana.id, m.t.bruno.id] {
                let sale = try await m.sale(to: buyer)
                try await m.shop.execute(RecordPayment(userId: buyer, amount: sale.total), as: .system())
            }
            return m.query("payments") { try $0.payments(as: $1) } then: { page in
                #expect(page.items.map(\.value.userId).sorted() == (caller == .user ? [m.t.ana.id] : [m.t.ana.id, m.t.bruno.id]))
            }
        },
        [(MatrixCaller.user, MatrixOutcome.refused(.forbidden)), (.admin, .succeeds)].map { caller, expected in
            MatrixRow.finer(query: "payments", "of another user", as: caller, expected) { m, caller in
                m.query("payments") { try $0.payments(userId: m.other(caller), as: $1) }
            }
        },
        MatrixRow.everyCaller(query: "debts", needs: .admin) { m, _ in
            _ = try await m.sale(to: m.t.ana.id)
            return m.query("debts") { try $0.debts(as: $1) } then: { debts in
                #expect(debts == [Debt(userId: m.t.ana.id, amount: 1_300, currency: "BRL")])
            }
        },
        MatrixRow.everyCaller(query: "debt", needs: .user) { m, caller in
            _ = try await m.sale(to: m.mine(caller))
            return m.query("debt") { try $0.debt(of: m.mine(caller), as: $1) } then: { #expect($0.amount == 1_300) }
        },
        [(MatrixCaller.user, MatrixOutcome.refused(.forbidden)), (.admin, .succeeds)].map { caller, expected in
            MatrixRow.finer(query: "debt", "of another user", as: caller, expected) { m, caller in
                m.query("debt") { try $0.debt(of: m.other(caller), as: $1) }
            }
        },
        MatrixRow.everyCaller(query: "ledger", needs: .owner) { m, _ in
            _ = try await m.sale(to: m.t.ana.id)
            return m.query("ledger") { try $0.ledger(as: $1) } then: { #expect($0.items.count == 1) }
        },
        MatrixRow.everyCaller(query: "dashboard", needs: .admin) { m, _ in
            let sale = try await m.sale(to: m.t.ana.id)
            return m.query("dashboard") { try $0.dashboard(now: sale.at, as: $1) } then: { #expect($0.todayRevenue == 1_300) }
        },
        MatrixRow.everyCaller(query: "dashboardByFullScan", needs: .admin) { m, _ in
            m.query("dashboardByFullScan") { try $0.dashboardByFullScan(as: $1) }
        },
        MatrixRow.everyCaller(query: "report", needs: .admin) { m, _ in
            let sale = try await m.sale(to: m.t.ana.id)
            return m.query("report") { try $0.report(from: sale.at, to: sale.at, groupBy: .day, as: $1) } then: { #expect($0.totalRevenue == 1_300) }
        },
        MatrixRow.everyCaller(query: "reportByFullScan", needs: .admin) { m, _ in
            m.query("reportByFullScan") { try $0.reportByFullScan(from: Date(), to: Date(), groupBy: .product, as: $1) }
        },
    )

    static let ordersAndContracts: [MatrixRow] = matrixTable(
        MatrixRow.everyCaller(query: "orders", needs: .user) { m, caller in
            _ = try await m.order(for: m.t.ana.id)
            _ = try await m.order(for: m.t.bruno.id)
            return m.query("orders") { try $0.orders(as: $1) } then: { page in
                #expect(page.items.map(\.value.customerId).sorted() == (caller == .user ? [m.t.ana.id] : [m.t.ana.id, m.t.bruno.id]))
            }
        },
        MatrixRow.everyCaller(query: "order", needs: .user) { m, caller in
            let order = try await m.order(for: m.mine(caller))
            return m.query("order") { try $0.order(order.id, as: $1) }
        },
        [MatrixRow.finer(query: "order", "of another customer", as: .user, .refused(.notFound)) { m, caller in
            let order = try await m.order(for: m.other(caller))
            return m.query("order") { try $0.order(order.id, as: $1) }
        }],
        // Only owners list every contract; the others list those they are a party of.
        MatrixRow.everyCaller(query: "contracts", needs: .user) { m, caller in
            let theirs = try await m.contract(between: [m.mine(caller), m.t.bruno.id])
            let outsider = m.mine(caller) == m.t.ana.id ? m.t.admin.id : m.t.ana.id
            let others = try await m.contract(between: [m.t.bruno.id, outsider])
            return m.query("contracts") { try $0.contracts(as: $1) } then: { page in
                let expected = caller.role == .owner ? [theirs.id, others.id] : [theirs.id]
                #expect(page.items.map(\.key).sorted() == expected)
            }
        },
        MatrixRow.everyCaller(query: "contract", needs: .user) { m, caller in
            let contract = try await m.contract(between: [m.mine(caller), m.t.bruno.id])
            return m.query("contract") { try $0.contract(contract.id, as: $1) }
        },
        [(MatrixCaller.user, MatrixOutcome.refused(.notFound)), (.admin, .refused(.notFound)), (.owner, .succeeds)].map { caller, expected in
            MatrixRow.finer(query: "contract", "by a non-party", as: caller, expected) { m, caller in
                let contract = try await m.contract(between: [m.other(caller), m.carla.id])
                return m.query("contract") { try $0.contract(contract.id, as: $1) }
            }
        },
    )

    static let trail: [MatrixRow] = matrixTable(
        MatrixRow.everyCaller(query: "notifications", needs: .user) { m, caller in
            _ = try await m.notification(for: m.mine(caller))
            return m.query("notifications") { try $0.notifications(as: $1) } then: { list in
                if let id = m.id(caller) {
                    #expect(!list.page.items.isEmpty && list.page.items.allSatisfy { $0.value.userId == id })
                    #expect(list.unread == list.page.items.filter { !$0.value.read }.count)
                } else {
                    #expect(list.page.items.isEmpty && list.unread == 0)
                }
            }
        },
        MatrixRow.everyCaller(query: "auditTrail", needs: .owner) { m, _ in
            m.query("auditTrail") { try $0.auditTrail(as: $1) } then: { #expect(!$0.items.isEmpty) }
        },
    )
}
