import Foundation
import Store
import Testing
@testable import Shop

@Suite(.timeLimit(.minutes(3))) struct ContractTests {
    func rateio(_ t: TestShop, required: Int = 2, draft: Bool = false) async throws -> Contract {
        try await t.shop.execute(CreateContract(
            title: "Rateio da máquina de café", terms: "Cada um paga um terço.", amount: 180_000,
            parties: [.init(userId: t.owner.id, part: "compra"), .init(userId: t.ana.id, part: "um terço"),
                      .init(userId: t.bruno.id, part: "um terço")],
            requiredConfirmations: required, draft: draft), as: t.asOwner)
    }

    @Test func aContractBecomesActiveWithEnoughConfirmationsAndThenCompletes() async throws {
        let t = try await TestShop.make()
        let contract = try await rateio(t)
        #expect(contract.state == .pending && contract.history.map(\.to) == [.draft, .pending])
        #expect(try t.shop.notifications(as: t.asAna).page.items.contains { $0.value.kind == "contract_pending" })
        let once = try await t.shop.execute(ConfirmContract(contractId: contract.id), as: t.asAna)
        #expect(once.state == .pending && once.confirmations == 1)
        let twice = await refusal { try await t.shop.execute(ConfirmContract(contractId: contract.id), as: t.asAna) }
        #expect(twice?.code == .invalidTransition)
        let active = try await t.shop.execute(ConfirmContract(contractId: contract.id), as: t.asBruno)
        #expect(active.state == .active)
        let completed = try await t.shop.execute(CompleteContract(contractId: contract.id), as: t.asOwner)
        #expect(completed.state == .completed && completed.history.map(\.to) == [.draft, .pending, .active, .completed])
        let cancelDone = await refusal { try await t.shop.execute(CancelContract(contractId: contract.id), as: t.asOwner) }
        #expect(cancelDone?.code == .invalidTransition)
        await t.discard()
    }

    @Test func oneDeclineEndsItForEveryone() async throws {
        let t = try await TestShop.make()
        let contract = try await rateio(t, required: 3)
        try await t.shop.execute(ConfirmContract(contractId: contract.id), as: t.asOwner)
        let declined = try await t.shop.execute(DeclineContract(contractId: contract.id, reason: "caro demais"), as: t.asBruno)
        #expect(declined.state == .declined && declined.parties[2].declinedAt != nil)
        let late = await refusal { try await t.shop.execute(ConfirmContract(contractId: contract.id), as: t.asAna) }
        #expect(late?.code == .invalidTransition)
        await t.discard()
    }

    @Test func onlyPartiesAnswerAndSeeAContract() async throws {
        let t = try await TestShop.make()
        let contract = try await t.shop.execute(CreateContract(
            title: "Entrega", terms: "…", amount: 0, parties: [.init(userId: t.owner.id, part: "a"), .init(userId: t.ana.id, part: "b")],
            requiredConfirmations: 2), as: t.asOwner)
        let outsider = await refusal { try await t.shop.execute(ConfirmContract(contractId: contract.id), as: t.asBruno) }
        #expect(outsider?.code == .notFound)
        let adminOutsider = await refusal { try await t.shop.execute(ConfirmContract(contractId: contract.id), as: t.asAdmin) }
        #expect(adminOutsider?.code == .notFound)  // hidden from all but its parties and the owner
        #expect(try t.shop.contracts(as: t.asBruno).items.isEmpty)
        #expect(try t.shop.contracts(as: t.asAna).items.map(\.key) == [contract.id])
        let between = try await t.shop.execute(CreateContract(
            title: "Entre clientes", terms: "…", amount: 0, parties: [.init(userId: t.ana.id, part: "a"), .init(userId: t.bruno.id, part: "b")],
            requiredConfirmations: 2), as: t.asOwner)
        let ownerAnswer = await refusal { try await t.shop.execute(ConfirmContract(contractId: between.id), as: t.asOwner) }
        #expect(ownerAnswer?.code == .forbidden)  // the owner sees it, but only parties answer
        await t.discard()
    }

    @Test func draftsWaitUntilSentAndBadContractsAreRefused() async throws {
        let t = try await TestShop.make()
        let draft = try await rateio(t, draft: true)
        #expect(draft.state == .draft)
        let early = await refusal { try await t.shop.execute(ConfirmContract(contractId: draft.id), as: t.asAna) }
        #expect(early?.code == .invalidTransition)
        #expect(try await t.shop.execute(SubmitContract(contractId: draft.id), as: t.asOwner).state == .pending)
        // A malformed field is 400 (invalid_input); fields that disagree with each other break a rule (422).
        let cases: [(CreateContract, ShopError.Code, String)] = [
            (CreateContract(title: "", terms: "t", amount: 1, parties: [.init(userId: t.ana.id, part: ""), .init(userId: t.bruno.id, part: "")], requiredConfirmations: 1), .invalidInput, "title"),
            (CreateContract(title: "x", terms: "t", amount: 1, parties: [.init(userId: t.ana.id, part: "")], requiredConfirmations: 1), .invalidInput, "parties"),
            (CreateContract(title: "x", terms: "t", amount: 1, parties: [.init(userId: t.ana.id, part: ""), .init(userId: t.ana.id, part: "")], requiredConfirmations: 1), .ruleBroken, "parties"),
            (CreateContract(title: "x", terms: "t", amount: 1, parties: [.init(userId: t.ana.id, part: ""), .init(userId: t.bruno.id, part: "")], requiredConfirmations: 3), .ruleBroken, "requiredConfirmations"),
            (CreateContract(title: "x", terms: "t", amount: -1, parties: [.init(userId: t.ana.id, part: ""), .init(userId: t.bruno.id, part: "")], requiredConfirmations: 1), .invalidInput, "amount"),
        ]
        for (command, code, field) in cases {
            let error = await refusal { try await t.shop.execute(command, as: t.asOwner) }
            #expect(error?.code == code && error?.field == field)
        }
        let ghost = await refusal {
            try await t.shop.execute(CreateContract(title: "x", terms: "t", amount: 1, parties: [.init(userId: t.ana.id, part: ""), .init(userId: 404, part: "")],
                                                    requiredConfirmations: 1), as: t.asOwner)
        }
        #expect(ghost?.code == .notFound && ghost?.field == "parties[1].userId")
        await t.discard()
    }
}
