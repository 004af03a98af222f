import Foundation
import Telegram
import Testing

@Suite(.timeLimit(.minutes(1))) struct TelegramUserTests {
    func decode(_ json: String) throws -> TelegramUser {
        try JSONDecoder().decode(TelegramUser.self, from: Data(json.utf8))
    }

    @Test func decodesTelegramsSnakeCaseAndIgnoresUnknownKeys() throws {
        let user = try decode(#"{"id":222,"first_name":"A","last_name":"B","username":"ab","language_code":"en","is_premium":false,"is_bot":true,"photo_url":"p","allows_write_to_pm":true,"added_to_attachment_menu":false,"future_field":{"x":[1]}}"#)
        #expect(user == TelegramUser(
            id: 222, firstName: "A", lastName: "B", username: "ab", languageCode: "en",
            isPremium: false, isBot: true, photoURL: "p", allowsWriteToPM: true))
    }

    @Test func acceptsNumbersAndBooleansWrittenAsStrings() throws {
        let user = try decode(#"{"id":"123456789","first_name":"A","is_premium":"true","is_bot":"false","allows_write_to_pm":"true"}"#)
        #expect(user.id == 123_456_789)
        #expect(user.isPremium == true)
        #expect(user.isBot == false)
        #expect(user.allowsWriteToPM == true)
    }

    @Test func absentAndNullOptionalsAreNil() throws {
        let user = try decode(#"{"id":1,"first_name":"A","last_name":null,"is_premium":null}"#)
        #expect(user == TelegramUser(id: 1, firstName: "A"))
    }

    @Test func idsBeyondThirtyTwoBitsSurvive() throws {
        #expect(try decode(#"{"id":7342037359,"first_name":"A"}"#).id == 7_342_037_359)
    }

    @Test(arguments: [
        #"{"first_name":"A"}"#,
        #"{"id":1}"#,
        #"{"id":"1x","first_name":"A"}"#,
        #"{"id":1,"first_name":"A","is_bot":"yes"}"#,
        #"{"id":1,"first_name":2}"#,
        #"[]"#,
    ])
    func refusesWhatIsNotAUser(json: String) {
        #expect(throws: DecodingError.self) { try decode(json) }
    }

    @Test func encodesWithTelegramsKeysAndRoundTrips() throws {
        let user = TelegramUser(id: 5, firstName: "A", username: "a", isPremium: true, allowsWriteToPM: false)
        let data = try JSONEncoder().encode(user)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["id", "first_name", "username", "is_premium", "allows_write_to_pm"])
        #expect(try JSONDecoder().decode(TelegramUser.self, from: data) == user)
    }
}
