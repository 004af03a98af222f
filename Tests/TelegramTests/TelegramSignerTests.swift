import Foundation
import Telegram
import Testing

@Suite(.timeLimit(.minutes(1))) struct TelegramSignerTests {
    static let token = "1234567:test-token-for-the-stand-in"
    static let fields = [
        "auth_date": "1700000000",
        "query_id": "AAE-stand-in",
        "start_param": "product_p3",
        "user": #"{"id":436432850,"first_name":"Ana","last_name":"Souza & Filhos","username":"ana","language_code":"pt","photo_url":"https:\/\/t.me\/i\/userpic\/320\/ana.svg"}"#,
    ]

    @Test func signedInitDataVerifies() throws {
        let signed = TelegramSigner.signInitData(Self.fields, botToken: Self.token)
        let data = try InitDataVerifier(botToken: Self.token, maxAge: 0).verify(signed)
        #expect(data.fields == Self.fields)
        #expect(data.user == TelegramUser(
            id: 436_432_850, firstName: "Ana", lastName: "Souza & Filhos", username: "ana",
            languageCode: "pt", photoURL: "https://t.me/i/userpic/320/ana.svg"))
        #expect(data.startParam == "product_p3")
        #expect(data.authDate == Date(timeIntervalSince1970: 1_700_000_000))
    }

    @Test func signedInitDataIsFreshWhenAuthDateIsNow() throws {
        let now = Date()
        var fields = Self.fields
        fields["auth_date"] = String(Int64(now.timeIntervalSince1970))
        let signed = TelegramSigner.signInitData(fields, botToken: Self.token)
        let verifier = InitDataVerifier(botToken: Self.token, maxAge: 300)
        #expect(Outcome { try verifier.verify(signed, now: now) } == .valid)
    }

    @Test func signedInitDataIsRefusedUnderAnotherToken() {
        let signed = TelegramSigner.signInitData(Self.fields, botToken: Self.token)
        let verifier = InitDataVerifier(botToken: Self.token + "x", maxAge: 0)
        #expect(Outcome { try verifier.verify(signed) } == .refused(.invalidHash))
    }

    @Test func signedInitDataIsAPercentEncodedQueryWithTheHashLast() throws {
        let signed = TelegramSigner.signInitData(Self.fields, botToken: Self.token)
        let query = RawQuery(signed)
        #expect(query.pairs.map(\.key) == ["auth_date", "query_id", "start_param", "user", "hash"])
        let hash = try #require(query["hash"])
        #expect(hash.count == 64)
        #expect(hash.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        let unreserved = { (c: Character) in c.isASCII && (c.isLetter || c.isNumber || "-._~".contains(c)) }
        #expect(signed.allSatisfy { unreserved($0) || "%=&".contains($0) })
        #expect(signed.contains("%7B%22id%22%3A436432850"))
        #expect(signed.contains("Souza%20%26%20Filhos"))
    }

    @Test func anExistingHashIsReplaced() {
        var fields = Self.fields
        fields["hash"] = String(repeating: "0", count: 64)
        let signed = TelegramSigner.signInitData(fields, botToken: Self.token)
        #expect(RawQuery(signed).pairs.filter { $0.key == "hash" }.count == 1)
        #expect(Outcome { try InitDataVerifier(botToken: Self.token, maxAge: 0).verify(signed) } == .valid)
    }

    @Test func signingTheRecordedVectorReproducesItsHash() throws {
        let vector = try #require(try Vectors.load().initData.first)
        let fields = try InitDataVerifier(botToken: vector.botToken, maxAge: 0).verify(vector.initData).fields
        let signed = TelegramSigner.signInitData(fields, botToken: vector.botToken)
        #expect(RawQuery(signed)["hash"] == RawQuery(vector.initData)["hash"])
    }

    @Test func signedWidgetFieldsVerify() throws {
        let fields = ["id": "42", "first_name": "Ana", "username": "ana", "auth_date": "1700000000"]
        let signed = TelegramSigner.signLoginWidget(fields, botToken: Self.token)
        #expect(signed.count == fields.count + 1)
        let user = try LoginWidgetVerifier(botToken: Self.token, maxAge: 0).verify(signed)
        #expect(user == TelegramUser(id: 42, firstName: "Ana", username: "ana"))
    }

    @Test func signedWidgetFieldsAreRefusedUnderAnotherToken() {
        let signed = TelegramSigner.signLoginWidget(["id": "42", "first_name": "Ana", "auth_date": "1700000000"], botToken: Self.token)
        let verifier = LoginWidgetVerifier(botToken: "other:token", maxAge: 0)
        #expect(Outcome { try verifier.verify(signed) } == .refused(.invalidHash))
    }

    @Test func signingTheRecordedWidgetVectorReproducesItsHash() throws {
        let vector = try #require(try Vectors.load().loginWidget.first { $0.valid })
        var fields = vector.fields
        fields["hash"] = nil
        #expect(TelegramSigner.signLoginWidget(fields, botToken: vector.botToken) == vector.fields)
    }
}
