import Foundation
import Telegram
import Testing

@Suite(.timeLimit(.minutes(1))) struct LoginWidgetVerifierTests {
    /// The recorded aiogram vector.
    static let token = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
    static let recorded = [
        "id": "42",
        "first_name": "John",
        "last_name": "Smith",
        "username": "username",
        "photo_url": "https://t.me/i/userpic/320/picname.jpg",
        "auth_date": "1565810688",
        "hash": "c303db2b5a06fe41d23a9b14f7c545cfc11dcc7473c07c9c5034ae60062461ce",
    ]
    static let recordedAuthDate = Date(timeIntervalSince1970: 1_565_810_688)

    let unlimited = LoginWidgetVerifier(botToken: token, maxAge: 0)

    @Test(arguments: try Vectors.load().loginWidget)
    func recordedVectorHasItsRecordedOutcome(_ vector: LoginWidgetVector) {
        let verifier = LoginWidgetVerifier(botToken: vector.botToken, maxAge: vector.maxAge)
        #expect(Outcome { try verifier.verify(vector.fields, now: Date()) } == vector.expected)
    }

    @Test func theUserIsReadFromTheFields() throws {
        let user = try unlimited.verify(Self.recorded)
        #expect(user == TelegramUser(
            id: 42, firstName: "John", lastName: "Smith", username: "username",
            photoURL: "https://t.me/i/userpic/320/picname.jpg"))
    }

    @Test(arguments: ["id", "first_name", "last_name", "username", "photo_url", "auth_date"])
    func tamperingWithAnyFieldIsRefused(key: String) {
        var fields = Self.recorded
        fields[key, default: ""] += "1"
        #expect(Outcome { try unlimited.verify(fields) } == .refused(.invalidHash))
    }

    @Test func addingAFieldIsRefused() {
        var fields = Self.recorded
        fields["is_admin"] = "true"
        #expect(Outcome { try unlimited.verify(fields) } == .refused(.invalidHash))
    }

    @Test func theInitDataKeyDoesNotSignWidgetFields() {
        let verifier = LoginWidgetVerifier(botToken: Self.token, maxAge: 0)
        var fields = Self.recorded
        fields["hash"] = nil
        let asInitData = RawQuery(TelegramSigner.signInitData(fields, botToken: Self.token))
        fields["hash"] = asInitData["hash"]
        #expect(Outcome { try verifier.verify(fields) } == .refused(.invalidHash))
    }

    @Test func removingTheHashIsRefused() {
        var fields = Self.recorded
        fields["hash"] = nil
        #expect(Outcome { try unlimited.verify(fields) } == .refused(.missingHash))
    }

    @Test(arguments: ["", "c303", String(repeating: "g", count: 64), String(repeating: "0", count: 64)])
    func garbageHashIsRefused(hash: String) {
        var fields = Self.recorded
        fields["hash"] = hash
        #expect(Outcome { try unlimited.verify(fields) } == .refused(.invalidHash))
    }

    @Test(arguments: [
        (60.0, Outcome.valid),
        (86_400, .valid),
        (86_401, .refused(.expired)),
    ])
    func freshnessIsJudgedAgainstTheInjectedClock(secondsAfterSigning: TimeInterval, expected: Outcome) {
        let verifier = LoginWidgetVerifier(botToken: Self.token, maxAge: 86_400)
        let now = Self.recordedAuthDate.addingTimeInterval(secondsAfterSigning)
        #expect(Outcome { try verifier.verify(Self.recorded, now: now) } == expected)
    }

    @Test(arguments: [
        (["id": "42", "first_name": "A"], TelegramAuthError.Code.missingAuthDate),
        (["id": "42", "first_name": "A", "auth_date": "soon"], .malformed),
        (["id": "forty-two", "first_name": "A", "auth_date": "1700000000"], .invalidUser),
        (["first_name": "A", "auth_date": "1700000000"], .invalidUser),
        (["id": "42", "auth_date": "1700000000"], .invalidUser),
    ])
    func genuinelySignedButUnusableFieldsAreRefused(fields: [String: String], expected: TelegramAuthError.Code) {
        let signed = TelegramSigner.signLoginWidget(fields, botToken: Self.token)
        #expect(Outcome { try unlimited.verify(signed) } == .refused(expected))
    }
}
