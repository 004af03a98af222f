import Foundation
import Testing

/// The MiniApp's DOM-free modules (API client, event reducer, formatting, texts) under `node --test`.
@Suite struct NodeModuleTests {
    @Test func theWebModulesPassTheirNodeTests() throws {
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
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "node --test web/tests/ failed:\n\(text)")
        #expect(text.contains("pass"), "node printed no results:\n\(text)")
    }
}
