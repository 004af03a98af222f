import Foundation
internal import CXLSXWriter

/// A cell's value, typed as a spreadsheet stores it: numbers as numbers, days as dates.
public enum Cell: Sendable, Equatable {
    case text(String)
    case integer(Int64)
    /// An amount in minor units, stored as the currency amount (1250 → 12.5) shown with two
    /// decimals, so sums and charts in the spreadsheet work in money, not cents.
    case money(Int64)
    /// A UTC calendar day, stored as a date shown "yyyy-mm-dd".
    case day(Date)
    /// A month, stored as the date of its first day (UTC) shown "yyyy-mm".
    case month(Date)
    case empty
}

/// One sheet: a bold header row frozen at the top, then the rows.
public struct Sheet: Sendable, Equatable {
    /// At most 31 characters, none of `[]:*?/\` (the format's rule).
    public var name: String
    public var header: [String]
    public var rows: [[Cell]]

    public init(name: String, header: [String], rows: [[Cell]]) {
        self.name = name
        self.header = header
        self.rows = rows
    }
}

/// Writes `.xlsx` workbooks with libxlsxwriter.
///
///     let bytes = try Workbook.xlsx([Sheet(name: "Sales", header: ["Day", "Revenue"],
///                                          rows: [[.day(date), .money(1250)]])])
public enum Workbook {
    /// The rows a sheet may hold, its header included (the format's limit).
    public static let maximumRows = 1_048_576

    /// The workbook as the bytes of an `.xlsx` file. libxlsxwriter writes to a file, so this
    /// writes one (and the library's own scratch files) in `temporaryDirectory`, reads it back
    /// and removes it, whatever happens.
    public static func xlsx(_ sheets: [Sheet], temporaryDirectory: String = NSTemporaryDirectory()) throws -> [UInt8] {
        let lib = try LibXLSXWriter.load()
        let folder = temporaryDirectory.hasSuffix("/") ? String(temporaryDirectory.dropLast()) : temporaryDirectory
        let path = "\(folder)/tenda-\(UUID().uuidString).xlsx"
        defer { unlink(path) }
        // The options' tmpdir is the caller's string: kept alive by strdup until the workbook is closed.
        guard let scratch = strdup(folder) else { throw SpreadsheetError("out of memory") }
        defer { free(scratch) }
        var options = lxw_workbook_options()
        options.tmpdir = scratch
        guard let workbook = path.withCString({ lib.workbookNew($0, &options) }) else {
            throw SpreadsheetError("libxlsxwriter could not start a workbook at \(path)")
        }
        // workbook_close frees the workbook whatever happened, so it runs after a failed write too.
        var failure: (any Error)?
        do {
            try write(sheets, into: workbook, lib)
        } catch {
            failure = error
        }
        let closed = lib.close(workbook)
        if let failure { throw failure }
        try lib.check(closed, "writing \(path)")
        return try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    }

    private static func write(_ sheets: [Sheet], into workbook: OpaquePointer, _ lib: LibXLSXWriter) throws {
        func format(_ numberFormat: String?, bold: Bool = false) throws -> OpaquePointer {
            guard let format = lib.addFormat(workbook) else { throw SpreadsheetError("libxlsxwriter could not add a format") }
            if let numberFormat { numberFormat.withCString { lib.setNumFormat(format, $0) } }
            if bold { lib.setBold(format) }
            return format
        }
        let bold = try format(nil, bold: true)
        let money = try format("#,##0.00")
        let day = try format("yyyy-mm-dd")
        let month = try format("yyyy-mm")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current

        for sheet in sheets {
            guard sheet.rows.count < maximumRows else {
                throw SpreadsheetError("sheet \(sheet.name) has \(sheet.rows.count) rows; a sheet holds at most \(maximumRows - 1) below its header")
            }
            guard sheet.header.count <= 16_384, sheet.rows.allSatisfy({ $0.count <= 16_384 }) else {
                throw SpreadsheetError("sheet \(sheet.name) has more than 16384 columns")
            }
            guard let worksheet = sheet.name.withCString({ lib.addWorksheet(workbook, $0) }) else {
                throw SpreadsheetError("libxlsxwriter refused the sheet name \"\(sheet.name)\"")
            }
            for (column, title) in sheet.header.enumerated() {
                try lib.check(title.withCString { lib.writeString(worksheet, 0, lxw_col_t(column), $0, bold) }, "sheet \(sheet.name), header")
            }
            lib.freezePanes(worksheet, 1, 0)
            var widths = sheet.header.map { $0.count + 2 }
            for (index, row) in sheet.rows.enumerated() {
                let r = lxw_row_t(index + 1)
                for (column, cell) in row.enumerated() {
                    let c = lxw_col_t(column)
                    let status: lxw_error
                    var shown = 10
                    switch cell {
                    case .text(let text):
                        status = text.withCString { lib.writeString(worksheet, r, c, $0, nil) }
                        shown = text.count + 2
                    case .integer(let value):
                        // A double holds every integer up to 2^53 exactly: far beyond any count or amount here.
                        status = lib.writeNumber(worksheet, r, c, Double(value), nil)
                    case .money(let minorUnits):
                        status = lib.writeNumber(worksheet, r, c, Double(minorUnits) / 100, money)
                        shown = String(minorUnits).count + 4
                    case .day(let date), .month(let date):
                        let parts = calendar.dateComponents([.year, .month, .day], from: date)
                        let year = parts.year ?? 0, monthNumber = parts.month ?? 1, dayNumber = parts.day ?? 1
                        let isMonth = if case .month = cell { true } else { false }
                        if (1900...9999).contains(year) {
                            var value = lxw_datetime(year: Int32(year), month: Int32(monthNumber), day: Int32(isMonth ? 1 : dayNumber),
                                                     hour: 0, min: 0, sec: 0)
                            status = lib.writeDatetime(worksheet, r, c, &value, isMonth ? month : day)
                        } else {
                            // Spreadsheet dates start in 1900: earlier days are written as their text.
                            let text = isMonth ? String(format: "%04d-%02d", year, monthNumber)
                                               : String(format: "%04d-%02d-%02d", year, monthNumber, dayNumber)
                            status = text.withCString { lib.writeString(worksheet, r, c, $0, nil) }
                        }
                    case .empty:
                        continue
                    }
                    try lib.check(status, "sheet \(sheet.name), row \(index + 1), column \(column + 1)")
                    if column < widths.count { widths[column] = max(widths[column], shown) }
                }
            }
            for (column, width) in widths.enumerated() {
                try lib.check(lib.setColumn(worksheet, lxw_col_t(column), lxw_col_t(column), Double(min(max(width, 10), 60)), nil),
                              "sheet \(sheet.name), column width")
            }
        }
    }
}
