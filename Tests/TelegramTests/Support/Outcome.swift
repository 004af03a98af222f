import Telegram

/// What a verification ended in, so a test can state the exact result it expects.
enum Outcome: Equatable, Sendable, CustomStringConvertible {
    case valid
    case refused(TelegramAuthError.Code)
    /// An error that is not a `TelegramAuthError`: never expected, so it fails any `==`.
    case unexpected(String)

    // Untyped `throws`: a closure's thrown type is not inferred from its body (yet), and
    // the verifiers' typed errors must still arrive here as `TelegramAuthError`.
    init<Value>(of verification: () throws -> Value) {
        do {
            _ = try verification()
            self = .valid
        } catch let error as TelegramAuthError {
            self = .refused(error.code)
        } catch {
            self = .unexpected(String(describing: error))
        }
    }

    var description: String {
        switch self {
        case .valid: "valid"
        case .refused(let code): "refused(\(code.rawValue))"
        case .unexpected(let error): "unexpected(\(error))"
        }
    }
}
