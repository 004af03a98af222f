import Foundation
import Store

/// One party of a new contract, as the owner names it.
public struct ContractPartyInput: Sendable, Equatable {
    public var userId: UInt64
    public var part: String

    public init(userId: UInt64, part: String) {
        self.userId = userId
        self.part = part
    }
}

/// The owner drafts a multi-party agreement and (unless kept as a draft) sends it to the parties.
public struct CreateContract: ShopCommand {
    public static let name = "createContract"
    public static let access = Access.role(.owner)

    public var title: String
    public var terms: String
    public var amount: Int64
    public var parties: [ContractPartyInput]
    public var requiredConfirmations: Int
    /// Keep it as a draft; ``SubmitContract`` sends it later.
    public var draft: Bool

    public init(title: String, terms: String, amount: Int64, parties: [ContractPartyInput], requiredConfirmations: Int, draft: Bool = false) {
        self.title = title; self.terms = terms; self.amount = amount; self.parties = parties
        self.requiredConfirmations = requiredConfirmations; self.draft = draft
    }

    public func validate() throws(ShopError) {
        try Check.text(title, "title", max: Bounds.Length.title)
        try Check.text(terms, "terms", max: Bounds.Length.terms)
        try Check.number(amount, "amount", in: Bounds.contractAmount)
        try Check.count(parties.count, "parties", in: Bounds.contractParties, of: "parties to a contract")
        if Set(parties.map(\.userId)).count != parties.count { throw ShopError(.ruleBroken, "a party may appear only once", field: "parties") }
        for (i, party) in parties.enumerated() { try Check.text(party.part, "parties[\(i)].part", min: 0, max: Bounds.Length.contractPart) }
        if requiredConfirmations < 1 { throw ShopError.invalid("requiredConfirmations", "at least 1") }
        if requiredConfirmations > parties.count {
            throw ShopError(.ruleBroken, "at most the number of parties (\(parties.count))", field: "requiredConfirmations")
        }
    }

    public var summary: String { "\(title): \(amount), \(parties.count) parties" }

    public func execute(_ context: CommandContext) throws -> Contract {
        for (i, party) in parties.enumerated() { _ = try context.user(party.userId, field: "parties[\(i)].userId") }
        var contract = Contract(
            id: try context.nextId(.contract), title: title, terms: terms, amount: amount, currency: context.settings.currency,
            parties: parties.map { Contract.Party(userId: $0.userId, part: $0.part) }, requiredConfirmations: requiredConfirmations,
            state: .draft, createdBy: context.actorId,
            history: [.init(from: nil, to: .draft, actorId: context.actorId, note: "", at: context.now)], createdAt: context.now)
        if !draft { try context.sendForConfirmation(&contract) }
        try context.put(context.shop.contracts, contract.id, contract, expecting: .absent)
        return contract
    }
}

/// The owner sends a draft contract to its parties.
public struct SubmitContract: ShopCommand {
    public static let name = "submitContract"
    public static let access = Access.role(.owner)

    public var contractId: UInt64
    public init(contractId: UInt64) { self.contractId = contractId }
    public var summary: String { EntityKind.contract.format(contractId) }

    public func execute(_ context: CommandContext) throws -> Contract {
        try context.changeContract(contractId) { contract in
            guard contract.state == .draft else { throw ShopError(.invalidTransition, "only a draft can be sent") }
            try context.sendForConfirmation(&contract)
        }
    }
}

/// A party agrees; with enough confirmations the contract becomes active.
public struct ConfirmContract: ShopCommand {
    public static let name = "confirmContract"
    public static let access = Access.role(.user)

    public var contractId: UInt64
    public init(contractId: UInt64) { self.contractId = contractId }
    public var summary: String { EntityKind.contract.format(contractId) }

    public func execute(_ context: CommandContext) throws -> Contract {
        try context.changeContract(contractId) { contract in
            let i = try context.partyIndex(in: contract)
            guard contract.state == .pending else {
                throw ShopError(.invalidTransition, "a contract that is \(contract.state.rawValue) cannot be confirmed")
            }
            guard contract.parties[i].confirmedAt == nil else { throw ShopError(.invalidTransition, "you have confirmed already") }
            contract.parties[i].confirmedAt = context.now
            if contract.confirmations >= contract.requiredConfirmations {
                context.transition(&contract, to: .active, note: "")
                try context.notifyParties(of: contract, .contractActive)
            } else {
                try context.notifyParties(of: contract, except: context.actorId, .contractConfirmed,
                                          ["name": context.actor?.name ?? "", "confirmations": String(contract.confirmations),
                                           "required": String(contract.requiredConfirmations)])
            }
        }
    }
}

/// A party refuses; the contract is declined for everyone.
public struct DeclineContract: ShopCommand {
    public static let name = "declineContract"
    public static let access = Access.role(.user)

    public var contractId: UInt64
    public var reason: String

    public init(contractId: UInt64, reason: String = "") {
        self.contractId = contractId
        self.reason = reason
    }

    public func validate() throws(ShopError) { try Check.text(reason, "reason", min: 0, max: Bounds.Length.reason) }
    public var summary: String { EntityKind.contract.format(contractId) }

    public func execute(_ context: CommandContext) throws -> Contract {
        try context.changeContract(contractId) { contract in
            let i = try context.partyIndex(in: contract)
            guard contract.state == .pending else {
                throw ShopError(.invalidTransition, "a contract that is \(contract.state.rawValue) cannot be declined")
            }
            contract.parties[i].declinedAt = context.now
            context.transition(&contract, to: .declined, note: reason)
            try context.notifyParties(of: contract, except: context.actorId, .contractDeclined,
                                      ["name": context.actor?.name ?? "", "reason": reason])
        }
    }
}

/// The owner calls a contract off before it completes.
public struct CancelContract: ShopCommand {
    public static let name = "cancelContract"
    public static let access = Access.role(.owner)

    public var contractId: UInt64
    public var reason: String

    public init(contractId: UInt64, reason: String = "") {
        self.contractId = contractId
        self.reason = reason
    }

    public func validate() throws(ShopError) { try Check.text(reason, "reason", min: 0, max: Bounds.Length.reason) }
    public var summary: String { EntityKind.contract.format(contractId) }

    public func execute(_ context: CommandContext) throws -> Contract {
        try context.changeContract(contractId) { contract in
            guard contract.state.next.contains(.cancelled) else {
                throw ShopError(.invalidTransition, "a contract that is \(contract.state.rawValue) cannot be cancelled")
            }
            context.transition(&contract, to: .cancelled, note: reason)
            try context.notifyParties(of: contract, .contractCancelled, ["reason": reason])
        }
    }
}

/// The owner marks an active contract fulfilled.
public struct CompleteContract: ShopCommand {
    public static let name = "completeContract"
    public static let access = Access.role(.owner)

    public var contractId: UInt64
    public init(contractId: UInt64) { self.contractId = contractId }
    public var summary: String { EntityKind.contract.format(contractId) }

    public func execute(_ context: CommandContext) throws -> Contract {
        try context.changeContract(contractId) { contract in
            guard contract.state == .active else {
                throw ShopError(.invalidTransition, "a contract that is \(contract.state.rawValue) cannot be completed")
            }
            context.transition(&contract, to: .completed, note: "")
            try context.notifyParties(of: contract, .contractCompleted)
        }
    }
}

extension CommandContext {
    /// Reads a contract the actor may see (its parties, and the owner, as the queries show
    /// them), changes it and writes it back.
    func changeContract(_ id: UInt64, _ change: (inout Contract) throws -> Void) throws -> Contract {
        guard let current = try shop.contracts.record(txn, id) else { throw ShopError(.notFound, "contract not found", field: "contractId") }
        var contract = current.value
        let isParty = contract.parties.contains { $0.userId == actorId }
        if !isParty && !holds(.owner) { throw ShopError(.notFound, "contract not found", field: "contractId") }
        try change(&contract)
        contract.updatedAt = now
        try put(shop.contracts, contract, over: current)
        return contract
    }

    /// The actor's place among the parties; only parties answer a contract.
    func partyIndex(in contract: Contract) throws -> Int {
        guard let i = contract.parties.firstIndex(where: { $0.userId == actorId }) else {
            throw ShopError(.forbidden, "only a party of the contract can answer it")
        }
        return i
    }

    func transition(_ contract: inout Contract, to state: Contract.State, note: String) {
        contract.history.append(.init(from: contract.state, to: state, actorId: actorId, note: note, at: now))
        contract.state = state
    }

    func sendForConfirmation(_ contract: inout Contract) throws {
        transition(&contract, to: .pending, note: "")
        try notifyParties(of: contract, .contractPending, ["amount": Money.format(contract.amount, contract.currency)])
    }

    /// Notifies the contract's parties (but `skipped`); the contract's title is always among the parameters.
    func notifyParties(of contract: Contract, except skipped: UInt64? = nil, _ kind: NoticeKind, _ params: [String: String] = [:]) throws {
        let params = params.merging(["contract": contract.title]) { mine, _ in mine }
        for party in contract.parties where party.userId != skipped {
            try notify(party.userId, kind, params: params, link: "contracts/\(contract.publicId)")
        }
    }
}
