import Foundation
import Testing

/// Reads a workbook back the way an owner's spreadsheet program does: LibreOffice (Debian's
/// libreoffice-calc-nogui, which CI installs) converts it, headless, to one CSV file per sheet
/// (values as stored, not as shown) and to flat ODF, whose cells say their type (float, date,
/// string). A test that finds no LibreOffice fails: reading the zip's XML would only check
/// what libxlsxwriter wrote, not that a spreadsheet program reads it.
struct LibreOfficeReader {
    /// One cell as LibreOffice stored it: its type and its value (a date as "yyyy-mm-dd").
    struct TypedCell: Equatable, CustomStringConvertible {
        var type: String
        var value: String
        var description: String { "\(type):\(value)" }
    }

    /// Each sheet's rows of values, from the CSV export.
    var values: [String: [[String]]] = [:]
    /// Each sheet's rows of typed cells, from the flat ODF export.
    var types: [String: [[TypedCell]]] = [:]

    static func program() throws -> String {
        for path in ["/usr/bin/libreoffice", "/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        throw ReaderError("LibreOffice is not installed (apt-get install --no-install-recommends libreoffice-calc-nogui, as .ci/install-deps does)")
    }

    struct ReaderError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Converts `bytes` (an .xlsx file) in a temporary folder, with a profile of its own so that
    /// parallel runs do not share LibreOffice's user installation, and removes the folder after.
    static func read(xlsx bytes: [UInt8]) async throws -> LibreOfficeReader {
        let office = try program()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenda-xlsx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let book = "\(folder)/report.xlsx"
        try Data(bytes).write(to: URL(fileURLWithPath: book))
        // CSV filter options: comma, double quote, UTF-8, from line 1, default cell format, en-US,
        // quote text, detect special numbers, values not "as shown", no formulas, no BOM, every sheet (-1).
        let csv = "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,true,true,false,false,false,-1"
        for format in [csv, "fods"] {
            let process = try SpawnedProcess(office, [
                "-env:UserInstallation=file://\(folder)/profile", "--headless", "--norestore", "--convert-to", format,
                "--outdir", "\(folder)/out", book,
            ], output: "\(folder)/office.log", errors: "\(folder)/office.log")
            var waited = 0
            while process.isRunning {
                guard waited < 1_200 else {
                    process.terminate()
                    throw ReaderError("LibreOffice did not finish converting to \(format) in 120 s")
                }
                try await Task.sleep(for: .milliseconds(100))
                waited += 1
            }
            guard process.terminationStatus == 0 else {
                let log = (try? String(contentsOfFile: "\(folder)/office.log", encoding: .utf8)) ?? ""
                throw ReaderError("LibreOffice exited with \(process.terminationStatus) converting to \(format): \(log)")
            }
        }
        var reader = LibreOfficeReader()
        let outputs = try FileManager.default.contentsOfDirectory(atPath: "\(folder)/out")
        for file in outputs where file.hasPrefix("report-") && file.hasSuffix(".csv") {
            let sheet = String(file.dropFirst("report-".count).dropLast(".csv".count))
            reader.values[sheet] = parseCSV(try String(contentsOfFile: "\(folder)/out/\(file)", encoding: .utf8))
        }
        guard outputs.contains("report.fods") else { throw ReaderError("LibreOffice wrote no report.fods: \(outputs)") }
        reader.types = parseFlatODF(try String(contentsOfFile: "\(folder)/out/report.fods", encoding: .utf8))
        return reader
    }

    /// RFC 4180: fields split by commas, quoted fields may hold commas, quotes ("") and line breaks.
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = ""
        var quoted = false, afterQuote = false
        var characters = Array(text)[...]
        while let c = characters.popFirst() {
            if quoted {
                if c == "\"" {
                    if characters.first == "\"" { field.append("\""); characters.removeFirst() } else { quoted = false; afterQuote = true }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.isEmpty && !afterQuote {
                quoted = true
            } else if c == "," {
                row.append(field); field = ""; afterQuote = false
            } else if c == "\n" || c == "\r\n" || c == "\r" {
                row.append(field); rows.append(row); row = []; field = ""; afterQuote = false
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    /// The typed cells of every sheet of a flat ODF spreadsheet (`.fods`), trailing empty cells
    /// and rows dropped; repeated cells and rows expanded.
    static func parseFlatODF(_ xml: String) -> [String: [[TypedCell]]] {
        var sheets: [String: [[TypedCell]]] = [:]
        var sheet: String?, rows: [[TypedCell]] = [], row: [TypedCell] = [], rowRepeat = 1
        var rest = xml[...]
        func attribute(_ name: String, in tag: Substring) -> String? {
            guard let start = tag.range(of: " \(name)=\"") else { return nil }
            let value = tag[start.upperBound...].prefix { $0 != "\"" }
            return String(value).replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
                .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
        }
        func trimmed(_ cells: [TypedCell]) -> [TypedCell] {
            var cells = cells
            while cells.last?.type == "" { cells.removeLast() }
            return cells
        }
        while let open = rest.firstIndex(of: "<"), let end = rest[open...].firstIndex(of: ">") {
            let tag = rest[open...end]
            rest = rest[rest.index(after: end)...]
            let closing = tag.hasPrefix("</")
            if !closing && tag.hasPrefix("<table:table ") {
                sheet = attribute("table:name", in: tag); rows = []
            } else if closing && tag.hasPrefix("</table:table>") {
                if let sheet {
                    while rows.last?.isEmpty == true { rows.removeLast() }
                    sheets[sheet] = rows
                }
                sheet = nil
            } else if !closing && (tag.hasPrefix("<table:table-row ") || tag.hasPrefix("<table:table-row>") || tag.hasPrefix("<table:table-row/")) {
                row = []
                rowRepeat = Int(attribute("table:number-rows-repeated", in: tag) ?? "1") ?? 1
                if tag.hasSuffix("/>") { rows += Array(repeating: [], count: min(rowRepeat, 100)) }
            } else if closing && tag.hasPrefix("</table:table-row>") {
                rows += Array(repeating: trimmed(row), count: min(rowRepeat, 100))
            } else if !closing && (tag.hasPrefix("<table:table-cell ") || tag.hasPrefix("<table:table-cell>") || tag.hasPrefix("<table:table-cell/")
                                   || tag.hasPrefix("<table:covered-table-cell")) {
                let type = attribute("office:value-type", in: tag) ?? ""
                var value = attribute("office:value", in: tag) ?? attribute("office:date-value", in: tag) ?? ""
                if type == "string", !tag.hasSuffix("/>"), let close = rest.range(of: "</table:table-cell>") {
                    // The text is in <text:p> paragraphs inside the cell (the file is indented between elements).
                    let inside = String(rest[..<close.lowerBound])
                    let paragraphs = inside.components(separatedBy: "<text:p").dropFirst().map { part -> String in
                        let body = part.drop { $0 != ">" }.dropFirst()
                        return String(body.prefix { _ in true }.components(separatedBy: "</text:p>").first ?? "")
                    }
                    value = paragraphs.joined(separator: "\n").replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
                        .replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&quot;", with: "\"")
                        .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&apos;", with: "'")
                }
                let repeated = Int(attribute("table:number-columns-repeated", in: tag) ?? "1") ?? 1
                row += Array(repeating: TypedCell(type: type, value: value), count: min(repeated, 64))
            }
        }
        return sheets
    }
}
