import Foundation
@testable import Telegram

// Telegram's sign-in data, as the server receives it: MiniApp `initData` (a query string) and
// the Login Widget's fields (a JSON object, as `POST /api/auth/widget` reads it).
//
// The input is tried as it is (nearly always refused by the signature, which is checked
// first), and then signed with the bot token exactly as Telegram would sign it, so that the
// parsing after the signature (`auth_date`, the `user` JSON) sees the fuzzer's bytes too.
// Beyond "no crash", one property is checked: whatever the signer signs, the verifier's
// signature check accepts.

/// The verifiers. (Statics, not globals: libFuzzer's `main` replaces this file's top-level
/// code, which therefore never runs; statics are set up on first use.)
enum Verifiers {
    static let botToken = "42:FUZZ-TOKEN"
    static let initData = InitDataVerifier(botToken: botToken, maxAge: 0)
    static let recentInitData = InitDataVerifier(botToken: botToken, maxAge: 86_400)
    static let thirdParty = ThirdPartyInitDataVerifier(botId: 7_342_037_359, maxAge: 0)  // the bot of the committed third-party seeds
    static let loginWidget = LoginWidgetVerifier(botToken: botToken, maxAge: 86_400)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInitData(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Data(bytes: start, count: count)
    let text = String(decoding: bytes, as: UTF8.self)

    _ = try? Verifiers.initData.verify(text)
    _ = try? Verifiers.recentInitData.verify(text)
    _ = try? Verifiers.thirdParty.verify(text)
    if let fields = try? QueryString.decode(text) {
        checkSignedInitDataVerifies(fields)
        checkSignedLoginWidgetVerifies(fields)
    }

    // The Login Widget route's reading of its JSON body.
    if let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] {
        let fields = object.compactMapValues { value -> String? in
            if let text = value as? String { return text }
            if let number = value as? NSNumber { return number.stringValue }
            return nil
        }
        _ = try? Verifiers.loginWidget.verify(fields)
        checkSignedLoginWidgetVerifies(fields)
    }
    _ = try? JSONDecoder().decode(TelegramUser.self, from: bytes)
    return 0
}

/// Data the signer signed may be refused for its content, never for its hash.
func checkSignedInitDataVerifies(_ fields: [String: String]) {
    let signed = TelegramSigner.signInitData(fields, botToken: Verifiers.botToken)
    do {
        _ = try Verifiers.initData.verify(signed)
        _ = try Verifiers.recentInitData.verify(signed)
    } catch {
        guard error.code != .invalidHash, error.code != .missingHash else {
            fatalError("initData signed with the bot token failed its hash check: \(error) for \(signed.debugDescription)")
        }
    }
}

func checkSignedLoginWidgetVerifies(_ fields: [String: String]) {
    let signed = TelegramSigner.signLoginWidget(fields, botToken: Verifiers.botToken)
    do {
        _ = try Verifiers.loginWidget.verify(signed)
    } catch {
        guard error.code != .invalidHash, error.code != .missingHash else {
            fatalError("Login Widget fields signed with the bot token failed their hash check: \(error) for \(signed)")
        }
    }
}
