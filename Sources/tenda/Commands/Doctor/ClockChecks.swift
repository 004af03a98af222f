import AsyncHTTPClient
import Foundation
import Telegram

/// This machine's clock against the `Date` header of another server's answer (`--clock-url`),
/// for a machine without a bot token, or whose Bot API is a local server on this same clock.
struct ClockChecks: CheckFamily {
    let url: String

    func run() async -> [Check] {
        var request = HTTPClientRequest(url: url)
        request.method = .HEAD
        let asked = Date()
        do {
            // Any answer is dated, a 404 too: only its Date header is read.
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
            let heard = Date()
            let serverDate = response.headers.first(name: "Date").flatMap(HTTPDate.parse)
            return [TelegramChecks.clockCheck(serverDate: serverDate, local: asked.addingTimeInterval(heard.timeIntervalSince(asked) / 2),
                                              baseURL: url)]
        } catch {
            return [.fail("clock", "no answer from \(url) (--clock-url) to read its clock from: \(error)")]
        }
    }
}
