import Foundation
import Testing

/// The MiniApp's DOM-free modules (API client, event reducer, formatting, texts) under `node --test`.
@Suite(.timeLimit(.minutes(3))) struct NodeModuleTests {
    @Test func theWebModulesPassTheirNodeTests() async throws {
        let node = ["/usr/bin/node", "/usr/local/bin/node", "/usr/bin/nodejs"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let executable = try #require(node, "Node.js is needed for web/tests: run `bash .ci/install-deps` (Debian: apt-get install nodejs)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--test", "--test-reporter=spec", "tests/"]
        process.currentDirectoryURL = packageRoot.appendingPathComponent("web")
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // Read on a thread of its own: blocking one of Swift's cooperative threads (two on CI)
        // for the seconds node runs would starve every other test of the run meanwhile.
        let text = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            Thread {
                let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                continuation.resume(returning: text)
            }.start()
        }
        #expect(process.terminationStatus == 0, "node --test web/tests/ failed:\n\(text)")
        // The spec reporter's summary ("ℹ tests 44", "ℹ pass 44", "ℹ fail 0"): every test ran and
        // passed, and there were some (a bare "pass" would also match "pass 0").
        let tests = Self.summary("tests", in: text), passed = Self.summary("pass", in: text), failed = Self.summary("fail", in: text)
        #expect(tests ?? 0 > 0 && passed == tests && failed == 0, "node's summary: \(tests ?? -1) tests, \(passed ?? -1) passed, \(failed ?? -1) failed\n\(text)")
    }

    /// The number on the summary line `ℹ <word> <n>` of node's spec reporter.
    static func summary(_ word: String, in text: String) -> Int? {
        text.split(separator: "\n").lazy.compactMap { line -> Int? in
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == "ℹ", parts[1] == word else { return nil }
            return Int(parts[2])
        }.last
    }
}
