/// A table printed as Markdown with padded columns: readable in a terminal, and pasted as is into RESULTS.md.
public struct Table {
    public var headers: [String]
    public var rows: [[String]] = []

    public init(_ headers: String...) { self.headers = headers }

    public mutating func add(_ cells: String...) { rows.append(cells) }

    /// The first column is left-aligned (labels), the others right-aligned (figures).
    public func render() -> String {
        let widths = headers.indices.map { column in
            ([headers] + rows).map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            let padded = headers.indices.map { column -> String in
                let cell = cells.indices.contains(column) ? cells[column] : ""
                let gap = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + gap : gap + cell
            }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.indices.map { column in
            column == 0 ? ":" + String(repeating: "-", count: widths[column] + 1) : String(repeating: "-", count: widths[column] + 1) + ":"
        }.joined(separator: "|") + "|"
        return ([line(headers), rule] + rows.map(line)).joined(separator: "\n")
    }
}
