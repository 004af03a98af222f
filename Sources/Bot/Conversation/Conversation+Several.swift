import Foundation
import Shop

/// Bot commands run on several items in one message (`/verificar o1 o2`, `/user u2 u3 bloquear`):
/// each item runs its own command, in its own write, in the order written, and the answer tells
/// every item's outcome. One refused item leaves the ones before and after it done.
extension Conversation {
    /// Runs `step` on each item and gathers a line and an outcome per item. `step` returns the
    /// line said when the item went through; refusals are worded here, the same for every command.
    func runEach<Item>(_ items: [Item], _ l: Language, id: (Item) -> String, label: (String) -> String,
                       step: (Item) async throws -> (line: String, outcome: BulkOutcome)) async -> (lines: [String], outcomes: [BulkOutcome]) {
        var lines: [String] = []
        var outcomes: [BulkOutcome] = []
        for item in items {
            let publicId = id(item)
            do {
                let done = try await step(item)
                lines.append("✅ " + done.line)
                outcomes.append(done.outcome)
            } catch let error as ShopError {
                lines.append("⚠️ \(label(publicId)): " + explain(error, l))
                outcomes.append(BulkOutcome(id: publicId, ok: false,
                                            error: ErrorData(code: error.code.rawValue, message: error.message, field: error.field)))
            } catch {
                // Not the shop's refusal (the items before it stay done): said, and the rest go on.
                lines.append("⚠️ \(label(publicId)): " + l.pick("algo deu errado; tente de novo.", "something went wrong; please try again."))
                outcomes.append(BulkOutcome(id: publicId, ok: false,
                                            error: ErrorData(code: ShopError.Code.storeFailure.rawValue, message: "\(error)", field: nil)))
            }
        }
        return (lines, outcomes)
    }
}

/// One item's outcome in a command run on several items: the record it left, or why it was refused.
struct BulkOutcome: Encodable, Sendable {
    let id: String
    let ok: Bool
    var order: OrderView? = nil
    var user: UserView? = nil
    var error: ErrorData? = nil
}
