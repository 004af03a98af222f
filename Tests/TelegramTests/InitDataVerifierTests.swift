import Foundation
import Telegram
import Testing

@Suite(.timeLimit(.minutes(1))) struct InitDataVerifierTests {
    /// The first recorded vector (init-data-golang), signed for `token`.
    static let token = "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8"
    static let recorded = "query_id=AAHdF6IQAAAAAN0XohDhrOrc&user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%22%2C%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C%22is_premium%22%3Atrue%7D&auth_date=1662771648&hash=c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b2"
    static let recordedAuthDate = Date(timeIntervalSince1970: 1_662_771_648)

    let unlimited = InitDataVerifier(botToken: token, maxAge: 0)

    @Test(arguments: try Vectors.load().initData)
    func recordedVectorHasItsRecordedOutcome(_ vector: InitDataVector) {
        let verifier = InitDataVerifier(botToken: vector.botToken, maxAge: vector.maxAge)
        // Real time, so a vector that is only valid without a time limit comes out expired.
        #expect(Outcome { try verifier.verify(vector.initData, now: Date()) } == vector.expected)
    }

    @Test(arguments: try Vectors.load().initData.filter { $0.expected == .refused(.expired) })
    func expiredVectorIsGenuineWithoutATimeLimit(_ vector: InitDataVector) {
        let verifier = InitDataVerifier(botToken: vector.botToken, maxAge: 0)
        #expect(Outcome { try verifier.verify(vector.initData) } == .valid)
    }

    @Test func userAndFieldsOfTheFirstVectorAreParsed() throws {
        let data = try unlimited.verify(Self.recorded)
        let user = try #require(data.user)
        #expect(user.id == 279_058_397)
        #expect(user.firstName == "Vladislav")
        #expect(user.lastName == "Kibenko")
        #expect(user.username == "vdkfrost")
        #expect(user.languageCode == "ru")
        #expect(user.isPremium == true)
        #expect(user.isBot == nil)
        #expect(data.receiver == nil)
        #expect(data.queryId == "AAHdF6IQAAAAAN0XohDhrOrc")
        #expect(data.authDate == Self.recordedAuthDate)
        #expect(data.startParam == nil)
        #expect(Set(data.fields.keys) == ["query_id", "user", "auth_date"])
    }

    @Test func launchFromAChatExposesReceiverChatAndStartParam() throws {
        let vector = try #require(try Vectors.load().initData.first { $0.initData.contains("receiver=") && $0.valid })
        let data = try InitDataVerifier(botToken: vector.botToken, maxAge: 0).verify(vector.initData)
        #expect(data.user?.id == 222)
        #expect(data.user?.isBot == true)
        #expect(data.user?.allowsWriteToPM == false)
        #expect(data.user?.photoURL == "user-photo")
        #expect(data.receiver?.id == 991)
        #expect(data.receiver?.username == "receiver-username")
        #expect(data.queryId == "QUERY")
        #expect(data.startParam == "debug")
        #expect(data.chatType == "sender")
        #expect(data.chatInstance == "888")
        #expect(data.fields["can_send_after"] == "10000")
        #expect(data.fields["hash"] == nil)
    }

    @Test(arguments: [
        ("query_id", "AAHdF6IQAAAAAN0XohDhrOrc", "AAHdF6IQAAAAAN0XohDhrOrd"),
        ("user", "279058397", "279058398"),
        ("user", "vdkfrost", "vdkfrosT"),
        ("auth_date", "1662771648", "1662771649"),
    ])
    func tamperingWithAnyFieldIsRefused(key: String, original: String, forged: String) throws {
        var query = RawQuery(Self.recorded)
        let value = try #require(query[key])
        #expect(value.contains(original))
        query[key] = value.replacingOccurrences(of: original, with: forged)
        #expect(Outcome { try unlimited.verify(query.text) } == .refused(.invalidHash))
    }

    @Test func addingAFieldIsRefused() {
        let forged = Self.recorded + "&start_param=admin"
        #expect(Outcome { try unlimited.verify(forged) } == .refused(.invalidHash))
    }

    @Test(arguments: [[3, 2, 1, 0], [3, 0, 1, 2], [1, 0, 2, 3], [2, 1, 3, 0]])
    func reorderingThePairsKeepsTheDataValid(order: [Int]) {
        let pairs = RawQuery(Self.recorded).pairs
        var reordered = RawQuery("")
        reordered.pairs = order.map { pairs[$0] }
        #expect(reordered.text != Self.recorded)
        #expect(Outcome { try unlimited.verify(reordered.text) } == .valid)
    }

    @Test func removingTheHashIsRefused() {
        var query = RawQuery(Self.recorded)
        query["hash"] = nil
        #expect(Outcome { try unlimited.verify(query.text) } == .refused(.missingHash))
    }

    @Test(arguments: [
        "",
        "zz",
        String(repeating: "z", count: 64),
        String(repeating: "0", count: 64),
        String(repeating: "0", count: 63),
        "c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b",  // one digit short
        "c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b3",  // last digit changed
        "c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b2c501",
        "c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2%62",  // "b" percent-encoded is fine, but short
        "%C3%A9501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b2",  // non-ASCII
    ])
    func garbageHashIsRefused(hash: String) {
        var query = RawQuery(Self.recorded)
        query["hash"] = hash
        #expect(Outcome { try unlimited.verify(query.text) } == .refused(.invalidHash))
    }

    @Test func percentEncodedHashDigitsAreDecodedLikeAnyValue() {
        var query = RawQuery(Self.recorded)
        query["hash"] = "c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2%622"
        #expect(Outcome { try unlimited.verify(query.text) } == .valid)
    }

    @Test(arguments: [
        (-3600.0, Outcome.valid),  // the clocks disagree; the signature still proves Telegram issued it
        (0, .valid),
        (3600, .valid),
        (86_400, .valid),  // exactly the limit is still fresh
        (86_401, .refused(.expired)),
        (400 * 86_400, .refused(.expired)),
    ])
    func freshnessIsJudgedAgainstTheInjectedClock(secondsAfterSigning: TimeInterval, expected: Outcome) {
        let verifier = InitDataVerifier(botToken: Self.token, maxAge: 86_400)
        let now = Self.recordedAuthDate.addingTimeInterval(secondsAfterSigning)
        #expect(Outcome { try verifier.verify(Self.recorded, now: now) } == expected)
    }

    @Test func aZeroMaxAgeNeverExpires() {
        let farFuture = Self.recordedAuthDate.addingTimeInterval(50 * 365 * 86_400)
        #expect(Outcome { try unlimited.verify(Self.recorded, now: farFuture) } == .valid)
    }

    @Test func aForgedHashIsRefusedBeforeTheAgeIsLookedAt() {
        var query = RawQuery(Self.recorded)
        query["query_id"] = "forged"
        let verifier = InitDataVerifier(botToken: Self.token, maxAge: 60)
        #expect(Outcome { try verifier.verify(query.text) } == .refused(.invalidHash))
    }

    @Test func plusDecodesAsASpaceInTheRecordedVector() throws {
        let vector = try #require(try Vectors.load().initData.first { $0.initData.contains("%3A+%22") && $0.valid })
        let data = try InitDataVerifier(botToken: vector.botToken, maxAge: 0).verify(vector.initData)
        let user = try #require(data.user)
        #expect(user.id == 123_456_789)
        #expect(user.firstName == "PlaceholderFirstName")
        #expect(user.lastName == "PlaceholderLastName 🇺🇦")
        #expect(user.username == "Latand")
        #expect(user.languageCode == "en")
        #expect(user.isPremium == true)
        #expect(user.allowsWriteToPM == true)
        #expect(data.fields["user"]?.hasPrefix(#"{"id": "123456789", "first_name""#) == true)
    }

    @Test func plusAndPercentTwentyAreTheSameSpaceButPercentTwoBIsAPlus() throws {
        let signed = TelegramSigner.signInitData(
            ["auth_date": "1700000000", "start_param": "a b+c", "user": #"{"id":1,"first_name":"Ana Maria"}"#],
            botToken: Self.token)
        #expect(signed.contains("a%20b%2Bc"))
        let withPluses = signed.replacingOccurrences(of: "%20", with: "+")
        #expect(withPluses != signed)
        let data = try unlimited.verify(withPluses)
        #expect(data.startParam == "a b+c")
        #expect(data.user?.firstName == "Ana Maria")
    }

    @Test func userJSONIsCheckedExactlyAsSentWithItsEscapes() throws {
        let json = #"{"id":7,"first_name":"Zé","photo_url":"https:\/\/t.me\/i\/userpic\/320\/x.svg"}"#
        let signed = TelegramSigner.signInitData(["auth_date": "1700000000", "user": json], botToken: Self.token)
        let data = try unlimited.verify(signed)
        #expect(data.fields["user"] == json)
        #expect(data.user?.photoURL == "https://t.me/i/userpic/320/x.svg")
        #expect(data.user?.firstName == "Zé")
    }

    @Test func theSignatureFieldIsCoveredByTheHash() {
        let signed = TelegramSigner.signInitData(
            ["auth_date": "1700000000", "signature": "c2lnbmF0dXJl", "user": #"{"id":1,"first_name":"A"}"#],
            botToken: Self.token)
        #expect(Outcome { try unlimited.verify(signed) } == .valid)
        var query = RawQuery(signed)
        query["signature"] = nil
        #expect(Outcome { try unlimited.verify(query.text) } == .refused(.invalidHash))
    }

    @Test(arguments: [
        "",
        "&",
        "auth_date",
        "=1&hash=00",
        "auth_date=%ZZ&hash=00",
        "auth_date=1%2&hash=00",
        "auth_date=1%&hash=00",
        "user=%FF%FE&hash=00",
        "auth_date=1&auth_date=1&hash=00",
        "hash=00&hash=00",
    ])
    func malformedInputIsRefusedAsMalformed(raw: String) {
        #expect(Outcome { try unlimited.verify(raw) } == .refused(.malformed))
    }

    @Test(arguments: [
        (["auth_date": "1700000000", "user": "not json"], TelegramAuthError.Code.invalidUser),
        (["auth_date": "1700000000", "user": #"{"first_name":"No id"}"#], .invalidUser),
        (["auth_date": "1700000000", "user": #"{"id":"seven","first_name":"A"}"#], .invalidUser),
        (["auth_date": "1700000000", "user": #"{"id":1,"first_name":"A","is_bot":"maybe"}"#], .invalidUser),
        (["auth_date": "1700000000", "receiver": "[]"], .invalidUser),
        (["query_id": "q", "user": #"{"id":1,"first_name":"A"}"#], .missingAuthDate),
        (["auth_date": "yesterday"], .malformed),
        (["auth_date": "-5"], .malformed),
        (["auth_date": "1.5"], .malformed),
    ])
    func genuinelySignedButUnusableDataIsRefused(fields: [String: String], expected: TelegramAuthError.Code) {
        let signed = TelegramSigner.signInitData(fields, botToken: Self.token)
        #expect(Outcome { try unlimited.verify(signed) } == .refused(expected))
    }

    @Test func errorsCarryAMessage() {
        do {
            _ = try unlimited.verify("hash=00")
            Issue.record("verification should have failed")
        } catch {
            #expect(error.code == .invalidHash)
            #expect(!error.message.isEmpty)
        }
    }
}
