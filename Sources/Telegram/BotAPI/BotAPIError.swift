/// Why a Bot API call did not succeed: no answer, a refusal from Telegram, an answer that is
/// not the Bot API's, or a request Tenda refused to send.
///
/// The split matters to callers: a network failure or a 5xx is worth retrying later, a 429
/// says exactly when (``retryAfter``), and other 4xx refusals (chat not found, bot blocked
/// by the user) will never succeed (``isPermanent``).
public enum BotAPIError: Error, Sendable, Equatable {
    /// No answer arrived: the connection failed or dropped, or the request timed out.
    /// Telegram may or may not have acted on the call.
    case network(String)
    /// Telegram answered `"ok": false`.
    case refused(BotAPIRefusal)
    /// The answer was not Bot API JSON (a proxy's error page, a truncated body); `status` is its HTTP status.
    case malformedAnswer(status: Int, String)
    /// The request broke a rule Telegram would refuse it for (checked before sending).
    case invalidRequest(String)

    /// How long Telegram asked to wait before the next call (429 Too Many Requests).
    public var retryAfter: Duration? {
        guard case .refused(let refusal) = self, let seconds = refusal.retryAfter else { return nil }
        return .seconds(seconds)
    }

    /// Whether sending the same call again can never succeed: an invalid request, or a 4xx
    /// refusal other than 429 (wait and retry) and 401 (a wrong token: the operator's to fix,
    /// not a reason to drop what is queued).
    public var isPermanent: Bool {
        switch self {
        case .invalidRequest: true
        case .refused(let refusal): (400..<500).contains(refusal.errorCode) && refusal.errorCode != 429 && refusal.errorCode != 401
        case .network, .malformedAnswer: false
        }
    }
}

/// Telegram's `"ok": false` answer.
public struct BotAPIRefusal: Sendable, Equatable {
    /// Mostly an HTTP status: 400 bad request (chat not found, message is not modified),
    /// 401 wrong token, 403 bot blocked or kicked, 409 conflict (getUpdates while a webhook
    /// is set), 429 too many requests.
    public var errorCode: Int
    /// Telegram's explanation, for logs ("Forbidden: bot was blocked by the user").
    public var description: String
    /// Seconds to wait before retrying, with 429.
    public var retryAfter: Int?
    /// The supergroup a group was upgraded to; calls must use this chat id from now on.
    public var migrateToChatId: Int64?

    public init(errorCode: Int, description: String, retryAfter: Int? = nil, migrateToChatId: Int64? = nil) {
        self.errorCode = errorCode
        self.description = description
        self.retryAfter = retryAfter
        self.migrateToChatId = migrateToChatId
    }
}

extension BotAPIError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .network(let reason): "no answer from the Bot API: \(reason)"
        case .refused(let refusal):
            "the Bot API refused (\(refusal.errorCode)): \(refusal.description)"
                + (refusal.retryAfter.map { ", retry after \($0) s" } ?? "")
        case .malformedAnswer(let status, let reason): "the Bot API's answer (HTTP \(status)) was not understood: \(reason)"
        case .invalidRequest(let reason): "not sent: \(reason)"
        }
    }
}
