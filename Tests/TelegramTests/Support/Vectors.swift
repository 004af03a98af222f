import Foundation
import Telegram
import Testing

/// The recorded vectors in `fixtures/telegram/initdata.json`, shared with the other layers.
struct Vectors: Decodable {
    let initData: [InitDataVector]
    let thirdParty: [ThirdPartyVector]
    let loginWidget: [LoginWidgetVector]

    /// Reads the fixture file, found from this source file so that any working directory works.
    static func load() throws -> Vectors {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Support
            .deletingLastPathComponent()  // TelegramTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()
        let file = packageRoot.appending(path: "fixtures/telegram/initdata.json")
        return try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: file))
    }
}

/// The vectors say only "valid" or not; the reason follows from how each invalid one was
/// made: the only invalid vectors with a time limit are genuine data that is too old
/// (`expiredVectorIsGenuineWithoutATimeLimit` proves it), every other one has a wrong
/// hash or signature.
private func expectedOutcome(valid: Bool, maxAge: TimeInterval, forgery: TelegramAuthError.Code) -> Outcome {
    if valid { return .valid }
    return maxAge > 0 ? .refused(.expired) : .refused(forgery)
}

struct InitDataVector: Decodable, Sendable, CustomTestStringConvertible {
    let source: String
    let botToken: String
    let initData: String
    let maxAge: TimeInterval
    let valid: Bool

    var testDescription: String { source }
    var expected: Outcome { expectedOutcome(valid: valid, maxAge: maxAge, forgery: .invalidHash) }
}

struct ThirdPartyVector: Decodable, Sendable, CustomTestStringConvertible {
    let source: String
    let botId: Int64
    let publicKey: String
    let initData: String
    let maxAge: TimeInterval
    let valid: Bool

    var testDescription: String { source }
    var expected: Outcome { expectedOutcome(valid: valid, maxAge: maxAge, forgery: .invalidSignature) }

    var environment: ThirdPartyInitDataVerifier.Environment {
        get throws {
            switch publicKey {
            case "production": return .production
            case "test": return .test
            default: throw VectorError.unknownPublicKey(publicKey)
            }
        }
    }
}

struct LoginWidgetVector: Decodable, Sendable, CustomTestStringConvertible {
    let source: String
    let botToken: String
    let fields: [String: String]
    let maxAge: TimeInterval
    let valid: Bool

    var testDescription: String { source }
    var expected: Outcome { expectedOutcome(valid: valid, maxAge: maxAge, forgery: .invalidHash) }
}

enum VectorError: Error {
    case unknownPublicKey(String)
}
