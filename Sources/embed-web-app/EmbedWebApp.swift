import Foundation

// The EmbedWebApp plugin's generator: writes one Swift source holding every file it is given
// (web/'s, then Chart.js) as base64 in a plain string literal, with its modification time.
//
//     embed-web-app OUTPUT WEB_ROOT CHART_JS FILE…
//
// Base64 in string literals, not byte-array literals: an array of hundreds of thousands of
// integer literals is notoriously slow to type-check, while a long string literal costs about
// what reading it does (README, "The MiniApp": 0.06 s of CPU for all of it at -Onone). The bytes are decoded once, on first use, by `EmbeddedWebApp`.
// The output is rewritten only when it changes, so an unchanged web/ recompiles nothing.
//
// No top-level code: the fuzz build (Tests/Fuzz/run.sh) compiles every executable of the
// package, this one included, with `-sanitize=fuzzer`, which parses it as a library and links
// libFuzzer's own `main`. There (`TENDA_FUZZ_BUILD`) libFuzzer's first call, `LLVMFuzzerInitialize`,
// runs the generator with the command's arguments and exits; elsewhere `@main` does.

#if TENDA_FUZZ_BUILD
@_cdecl("LLVMFuzzerInitialize")
public func fuzzBuildInitialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> Int32 {
    EmbedWebApp.run((0..<Int(argc.pointee)).map { String(cString: argv.pointee[$0]!) })
    exit(0)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBuildTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 { 0 }
#else
@main
enum EmbedWebAppCommand {
    static func main() { EmbedWebApp.run(CommandLine.arguments) }
}
#endif

enum EmbedWebApp {
    static func run(_ arguments: [String]) {
        guard arguments.count >= 4 else {
            FileHandle.standardError.write(Data("usage: embed-web-app OUTPUT WEB_ROOT CHART_JS FILE…\n".utf8))
            exit(2)
        }
        let output = arguments[1], webRoot = arguments[2].hasSuffix("/") ? arguments[2] : arguments[2] + "/", chartJS = arguments[3]

        var text = """
            // Generated at build time by embed-web-app (the EmbedWebApp plugin) from web/ and Chart.js; not kept in git.

            extension EmbeddedWebApp {
                static let generatedFiles: [Source] = [

            """
        for file in arguments.dropFirst(4) {
            guard file.hasPrefix(webRoot) else {
                FileHandle.standardError.write(Data("embed-web-app: \(file) is not under \(webRoot)\n".utf8))
                exit(1)
            }
            text += "        " + source(file, as: String(file.dropFirst(webRoot.count))) + ",\n"
        }
        text += """
                ]
                static let generatedChartJS = \(source(chartJS, as: "vendor/chart.js"))
            }

            """
        if FileManager.default.contents(atPath: output) != Data(text.utf8) {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                FileHandle.standardError.write(Data("embed-web-app: cannot write \(output): \(error)\n".utf8))
                exit(1)
            }
        }
    }

    /// `Source(path: …, modified: …, base64: "…")` for one file; stops the build when it cannot be read.
    static func source(_ file: String, as path: String) -> String {
        guard let bytes = FileManager.default.contents(atPath: file),
              let modified = (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date else {
            FileHandle.standardError.write(Data("embed-web-app: cannot read \(file)\n".utf8))
            exit(1)
        }
        let quotedPath = path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return #"Source(path: "\#(quotedPath)", modified: \#(Int64(modified.timeIntervalSince1970)), base64: "\#(bytes.base64EncodedString())")"#
    }
}
