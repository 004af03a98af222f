import Foundation
import Spreadsheet
import Testing

/// The workbook writer under what it must refuse: each refusal is a ``SpreadsheetError`` with
/// a reason, and no temporary file is left behind, whether the workbook was written or not.
@Suite(.timeLimit(.minutes(1))) struct WorkbookTests {
    /// A fresh temporary folder, removed after `body`; `body` gets its path.
    func inFolder(_ body: (String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-workbook-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try body(folder)
    }

    @Test func aWorkbookIsAZipAndLeavesNoFileBehind() throws {
        try inFolder { (folder: String) throws in
            let bytes = try Workbook.xlsx([Sheet(name: "Vendas", header: ["Dia", "Receita"],
                                                 rows: [[.day(Date(timeIntervalSince1970: 0)), .money(1_250)], [.text("pão \"de\" queijo, <b>"), .integer(-3)], [.empty, .month(Date())]])],
                                          temporaryDirectory: folder)
            #expect(bytes.starts(with: Array("PK".utf8)) && bytes.count > 1_000)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        }
    }

    @Test func refusalsSayWhyAndLeaveNoFileBehind() throws {
        try inFolder { (folder: String) throws in
            let badName = #expect(throws: SpreadsheetError.self) {
                try Workbook.xlsx([Sheet(name: "a/b", header: ["x"], rows: [])], temporaryDirectory: folder)
            }
            #expect(badName?.description.contains("a/b") == true, "\(String(describing: badName))")
            let sameName = #expect(throws: SpreadsheetError.self) {
                try Workbook.xlsx([Sheet(name: "One", header: [], rows: []), Sheet(name: "One", header: [], rows: [])], temporaryDirectory: folder)
            }
            #expect(sameName != nil)
            let tooMany = #expect(throws: SpreadsheetError.self) {
                try Workbook.xlsx([Sheet(name: "Big", header: ["n"], rows: Array(repeating: [.integer(1)], count: Workbook.maximumRows))],
                                  temporaryDirectory: folder)
            }
            #expect(tooMany?.description.contains("at most") == true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        }
        let missingFolder = "/nonexistent-" + UUID().uuidString
        let nowhere = #expect(throws: SpreadsheetError.self) {
            try Workbook.xlsx([Sheet(name: "S", header: ["x"], rows: [])], temporaryDirectory: missingFolder)
        }
        #expect(nowhere != nil)
    }
}
