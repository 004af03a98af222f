import Foundation
import Testing

/// Every suite of the test targets declares a time limit, so a test that hangs fails the run
/// with its name instead of hanging CI until its 90 minutes are up. Read from the sources, as
/// ``RouteCoverageTests`` reads the requests.
@Suite(.timeLimit(.minutes(1))) struct SuiteLimitTests {
    @Test func everySuiteHasATimeLimit() throws {
        var unlimited: [String] = []
        let files = FileManager.default.enumerator(at: RouteCoverageTests.testsFolder, includingPropertiesForKeys: nil)
        while let url = files?.nextObject() as? URL {
            if url.lastPathComponent == "Fuzz" { files?.skipDescendants(); continue }  // a separate package, not run by `swift test`
            guard url.pathExtension == "swift" else { continue }
            let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            for (number, line) in lines.enumerated() {
                let place = "\(url.lastPathComponent):\(number + 1)"
                let text = line.trimmingCharacters(in: .whitespaces)
                // A suite declared with its traits on the line: it must name a time limit.
                if text.hasPrefix("@Suite"), !text.contains(".timeLimit(") { unlimited.append(place) }
                // A type holding tests with no `@Suite` above it is a suite without traits.
                if let name = text.firstMatch(of: /^(?:final )?(?:struct|class) (\w+Tests)\b/)?.1,
                   !lines[..<number].suffix(3).contains(where: { $0.contains("@Suite") }) {
                    unlimited.append("\(place) (\(name) has no @Suite)")
                }
            }
        }
        #expect(unlimited.isEmpty, "suites without .timeLimit: \(unlimited)")
    }
}
