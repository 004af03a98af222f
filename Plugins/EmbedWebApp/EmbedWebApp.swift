import Foundation
import PackagePlugin

/// Carries the MiniApp (`web/`, every file) and Debian's Chart.js inside the module it is
/// applied to, as a generated Swift source (`EmbeddedWebApp+Generated.swift`).
///
/// Every file is declared as an input, and SwiftPM asks the plugin again on each build, so an
/// edited, added or removed file of `web/` regenerates the source and rebuilds the module.
@main
struct EmbedWebApp: BuildToolPlugin {
    /// Debian's `libjs-chart.js` (installed by `.ci/install-deps`), the one file from outside the repository.
    static let chartJS = "/usr/share/javascript/chart.js/chart.min.js"

    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let web = context.package.directoryURL.appendingPathComponent("web")
        guard FileManager.default.fileExists(atPath: Self.chartJS) else {
            throw PluginError("\(Self.chartJS) is missing: the binary carries Chart.js, so install Debian's libjs-chart.js (bash .ci/install-deps)")
        }
        let files = try Self.files(under: web)
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedWebApp+Generated.swift")
        return [.buildCommand(
            displayName: "Embedding web/ (\(files.count) files) and Chart.js",
            executable: try context.tool(named: "embed-web-app").url,
            arguments: [output.path, web.path, Self.chartJS] + files.map(\.path),
            inputFiles: files + [URL(fileURLWithPath: Self.chartJS)],
            outputFiles: [output])]
    }

    /// The regular files under `folder`, hidden ones (editor droppings, `.DS_Store`) left out, in a stable order.
    static func files(under folder: URL) throws -> [URL] {
        guard let walk = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey],
                                                        options: [.skipsHiddenFiles]) else {
            throw PluginError("cannot read \(folder.path)")
        }
        var files: [URL] = []
        for case let url as URL in walk where try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true {
            files.append(url)
        }
        return files.sorted { $0.path < $1.path }
    }
}

struct PluginError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
