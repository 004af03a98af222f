import Foundation
import Testing

/// The MiniApp's DOM-free modules (API client, event reducer, formatting, texts) under `node --test`.
@Suite(.timeLimit(.minutes(3))) struct NodeModuleTests {
    @Test func theWebModulesPassTheirNodeTests() async throws {
        let node = ["/usr/bin/node", "/usr/local/bin/node", "/usr/bin/nodejs"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let executable = try #require(node, "Node.js is needed for web/tests: run `bash .ci/install-deps` (Debian: apt-get install nodejs)")
        // Not Foundation's Process (its run() crashes the test process now and then: SpawnedProcess),
        // and waited for by polling, so no thread of Swift's cooperative pool (two on CI) is held.
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-node-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let process = try SpawnedProcess("/usr/bin/env", ["-C", packageRoot.appendingPathComponent("web").path, executable, "--test", "--test-reporter=spec", "tests/"],
                                         output: log, errors: log)
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning {
            guard ContinuousClock.now < deadline else { Issue.record("node --test ran past 120 s"); process.terminate(); return }
            try await Task.sleep(for: .milliseconds(20))
        }
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
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
