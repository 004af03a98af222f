import Foundation
import Telegram

/// The bot token (Telegram accepts it: `getMe`) and this machine's clock, read against the
/// `Date` header of that same answer.
///
/// The clock matters because Telegram stamps a MiniApp's initData with `auth_date` from its own
/// clock and tenda judges its age (`--initdata-max-age`) with this one; access tokens and
/// one-time login codes expire by this clock too.
struct TelegramChecks: CheckFamily {
    /// The bot's token; nil when none was given, and both checks are skipped.
    let token: String?
    let apiURL: String
    /// Whether the clock line is this family's; false when `--clock-url` names another server to read it from.
    var readsClock = true
    /// Within this many seconds of Telegram's clock all is well; up to `failSkew`, a warning.
    static let warnSkew: Double = 30
    static let failSkew: Double = 5 * 60

    func run() async -> [Check] {
        guard let token, !token.isEmpty else {
            return [.skip("bot token", "no --bot-token (or TELEGRAM_BOT_TOKEN) given")]
                + (readsClock ? [.skip("clock", "it is read against the Bot API's answer (or --clock-url), and neither was given")] : [])
        }
        let client = BotAPIClient(token: token, baseURL: apiURL, requestTimeout: .seconds(15))
        let asked = Date()
        let answer: (outcome: Result<TelegramUser, BotAPIError>, serverDate: Date?)
        do {
            answer = try await client.callReadingServerClock(GetMe())
        } catch {
            return [.fail("bot token", "no answer from \(client.baseURL): \(Self.describe(error)); check the network, DNS and --telegram-api")]
                + (readsClock ? [.skip("clock", "no answer from \(client.baseURL) to read its clock from")] : [])
        }
        // The server stamped its answer between our asking and our hearing it: the midpoint is our best guess of when.
        let heard = Date()
        let local = asked.addingTimeInterval(heard.timeIntervalSince(asked) / 2)
        return [tokenCheck(answer.outcome, baseURL: client.baseURL)]
            + (readsClock ? [Self.clockCheck(serverDate: answer.serverDate, local: local, baseURL: client.baseURL)] : [])
    }

    func tokenCheck(_ outcome: Result<TelegramUser, BotAPIError>, baseURL: String) -> Check {
        switch outcome {
        case .success(let bot):
            let name = bot.username.map { "@\($0)" } ?? bot.firstName
            return .ok("bot token", "accepted by \(baseURL): the bot is \(name) (id \(bot.id))")
        case .failure(.refused(let refusal)) where refusal.errorCode == 401:
            return .fail("bot token", "refused by \(baseURL) (401 \(refusal.description)): the token is wrong or was revoked; copy it again from @BotFather (/mybots → API Token)")
        case .failure(.refused(let refusal)) where refusal.errorCode == 404:
            return .fail("bot token", "\(baseURL) answered 404 \(refusal.description): the token is malformed, or --telegram-api is not a Bot API server")
        case .failure(let error):
            return .fail("bot token", "\(baseURL) did not accept getMe: \(Self.describe(error))")
        }
    }

    /// This machine's clock, `local`, against `serverDate`, the `Date` header `baseURL` answered with.
    static func clockCheck(serverDate: Date?, local: Date, baseURL: String) -> Check {
        guard let serverDate else {
            return .warn("clock", "\(baseURL) sent no readable Date header to compare with")
        }
        // The header is to the second, cut down: Telegram's time was within the second after it.
        let skew = local.timeIntervalSince(serverDate.addingTimeInterval(0.5))
        let seconds = Int(skew.magnitude.rounded())
        let direction = skew > 0 ? "ahead of" : "behind"
        let stamp = ISO8601DateFormatter().string(from: serverDate)
        if skew.magnitude <= warnSkew {
            return .ok("clock", "within \(max(seconds, 1)) s of \(baseURL) (its Date header: \(stamp))")
        }
        let why = "\(seconds) s \(direction) \(baseURL) (its Date header: \(stamp)); Telegram stamps MiniApp sign-ins with its clock and tenda judges their age (--initdata-max-age), sessions and login codes with this one"
        let fix = "; turn on time synchronisation (timedatectl set-ntp true, or chrony)"
        if skew.magnitude > failSkew {
            return .fail("clock", why + (skew > 0 ? ", so fresh sign-ins look old" : ", so sign-ins look as if from the future") + fix)
        }
        return .warn("clock", why + fix)
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case BotAPIError.network(let message): message
        case BotAPIError.refused(let refusal): "\(refusal.errorCode) \(refusal.description)"
        case BotAPIError.malformedAnswer(let status, let message): "an answer that is not the Bot API's (HTTP \(status)): \(message)"
        case BotAPIError.invalidRequest(let message): message
        default: String(describing: error)
        }
    }
}
