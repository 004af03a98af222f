/// Why a workbook could not be written: the library is missing, or it refused a call.
public struct SpreadsheetError: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) { self.description = description }
}
