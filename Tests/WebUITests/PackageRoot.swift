import Foundation

/// The repository's root folder: `web/` and `fixtures/` are found from here.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
