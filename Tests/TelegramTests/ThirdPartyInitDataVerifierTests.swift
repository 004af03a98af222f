import Foundation
import Telegram
import Testing

@Suite(.timeLimit(.minutes(1))) struct ThirdPartyInitDataVerifierTests {
    /// The recorded production-signed vector (init-data-golang), for bot 7342037359.
    static let botId: Int64 = 7_342_037_359
    static let recorded = "user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%20%2B%20-%20%3F%20%5C%2F%22%2C%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C%22is_premium%22%3Atrue%2C%22allows_write_to_pm%22%3Atrue%2C%22photo_url%22%3A%22https%3A%5C%2F%5C%2Ft.me%5C%2Fi%5C%2Fuserpic%5C%2F320%5C%2F4FPEE4tmP3ATHa57u6MqTDih13LTOiMoKoLDRG4PnSA.svg%22%7D&chat_instance=8134722200314281151&chat_type=private&auth_date=1733584787&hash=2174df5b000556d044f3f020384e879c8efcab55ddea2ced4eb752e93e7080d6&signature=zL-ucjNyREiHDE8aihFwpfR9aggP2xiAo3NSpfe-p7IbCisNlDKlo7Kb6G4D0Ao2mBrSgEk4maLSdv6MLIlADQ"
    static let recordedAuthDate = Date(timeIntervalSince1970: 1_733_584_787)

    let unlimited = ThirdPartyInitDataVerifier(botId: botId, maxAge: 0)

    @Test(arguments: try Vectors.load().thirdParty)
    func recordedVectorHasItsRecordedOutcome(_ vector: ThirdPartyVector) throws {
        let verifier = ThirdPartyInitDataVerifier(
            botId: vector.botId, environment: try vector.environment, maxAge: vector.maxAge)
        #expect(Outcome { try verifier.verify(vector.initData, now: Date()) } == vector.expected)
    }

    @Test func userAndFieldsAreParsed() throws {
        let data = try unlimited.verify(Self.recorded)
        let user = try #require(data.user)
        #expect(user.id == 279_058_397)
        #expect(user.firstName == "Vladislav + - ? /")
        #expect(user.username == "vdkfrost")
        #expect(user.allowsWriteToPM == true)
        #expect(user.photoURL == "https://t.me/i/userpic/320/4FPEE4tmP3ATHa57u6MqTDih13LTOiMoKoLDRG4PnSA.svg")
        #expect(data.chatType == "private")
        #expect(data.chatInstance == "8134722200314281151")
        #expect(data.authDate == Self.recordedAuthDate)
        #expect(data.fields["signature"] != nil)
        #expect(data.fields["hash"] == nil)
    }

    @Test(arguments: [
        ("user", "279058397", "279058398"),
        ("user", "%20%2B%20", "%20%20%20"),
        ("chat_instance", "8134722200314281151", "8134722200314281152"),
        ("chat_type", "private", "group"),
        ("auth_date", "1733584787", "1733584788"),
    ])
    func tamperingWithAnySignedFieldIsRefused(key: String, original: String, forged: String) throws {
        var query = RawQuery(Self.recorded)
        let value = try #require(query[key])
        #expect(value.contains(original))
        query[key] = value.replacingOccurrences(of: original, with: forged)
        #expect(Outcome { try unlimited.verify(query.text) } == .refused(.invalidSignature))
    }

    @Test(arguments: [String?.none, "0000", "2174df5b000556d044f3f020384e879c8efcab55ddea2ced4eb752e93e7080d7"])
    func theHashIsNotPartOfTheSignature(hash: String?) {
        var query = RawQuery(Self.recorded)
        query["hash"] = hash
        #expect(Outcome { try unlimited.verify(query.text) } == .valid)
    }

    @Test func reorderingThePairsKeepsTheDataValid() {
        var query = RawQuery(Self.recorded)
        query.pairs.reverse()
        #expect(Outcome { try unlimited.verify(query.text) } == .valid)
    }

    @Test func anotherBotsIdIsRefused() {
        let verifier = ThirdPartyInitDataVerifier(botId: Self.botId + 1, maxAge: 0)
        #expect(Outcome { try verifier.verify(Self.recorded) } == .refused(.invalidSignature))
    }

    @Test func removingTheSignatureIsRefused() {
        var query = RawQuery(Self.recorded)
        query["signature"] = nil
        #expect(Outcome { try unlimited.verify(query.text) } == .refused(.missingSignature))
    }

    @Test(arguments: [
        "",
        "!!!!",
        "zL-ucjNyREiHDE8aihFwpfR9aggP2xiAo3NSpfe-p7IbCisNlDKlo7Kb6G4D0Ao2mBrSgEk4maLSdv6MLIlAD",  // a character short
        "zL-ucjNyREiHDE8aihFwpfR9aggP2xiAo3NSpfe-p7IbCisNlDKlo7Kb6G4D0Ao2mBrSgEk4maLSdv6MLIlADA",  // last character changed
        "zL-ucjNyREiHDE8aihFwpfR9aggP2xiAo3NSpfe-p7IbCisNlDKlo7Kb6G4D0Ao2mBrSgEk4maLSdv6MLIlADQAAAA",
        String(repeating: "A", count: 86),
    ])
    func garbageSignatureIsRefused(signature: String) {
        var query = RawQuery(Self.recorded)
        query["signature"] = signature
        #expect(Outcome { try unlimited.verify(query.text) } == .refused(.invalidSignature))
    }

    @Test(arguments: [
        (3600.0, Outcome.valid),
        (86_400, .valid),
        (86_401, .refused(.expired)),
    ])
    func freshnessIsJudgedAgainstTheInjectedClock(secondsAfterSigning: TimeInterval, expected: Outcome) {
        let verifier = ThirdPartyInitDataVerifier(botId: Self.botId, environment: .production, maxAge: 86_400)
        let now = Self.recordedAuthDate.addingTimeInterval(secondsAfterSigning)
        #expect(Outcome { try verifier.verify(Self.recorded, now: now) } == expected)
    }

    @Test(arguments: ["", "signature=%ZZ", "user=1&user=2&signature=AA"])
    func malformedInputIsRefusedAsMalformed(raw: String) {
        #expect(Outcome { try unlimited.verify(raw) } == .refused(.malformed))
    }
}
