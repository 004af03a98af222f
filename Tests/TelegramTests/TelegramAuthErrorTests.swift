import Telegram
import Testing

@Suite(.timeLimit(.minutes(1))) struct TelegramAuthErrorTests {
    @Test(arguments: [
        (TelegramAuthError.Code.malformed, "malformed"),
        (.missingHash, "missing_hash"),
        (.invalidHash, "invalid_hash"),
        (.missingSignature, "missing_signature"),
        (.invalidSignature, "invalid_signature"),
        (.missingAuthDate, "missing_auth_date"),
        (.expired, "expired"),
        (.invalidUser, "invalid_user"),
    ])
    func codesAreStableSnakeCase(code: TelegramAuthError.Code, wire: String) {
        #expect(code.rawValue == wire)
        #expect(TelegramAuthError.Code(rawValue: wire) == code)
    }
}
