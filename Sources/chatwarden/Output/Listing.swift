import ArgumentParser
import Archive
import Support

/// How a listing is printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Aligned columns for people; chat text escaped and cut to fit.
    case table
    /// One JSON object per line, every field, for machines.
    case json
    /// RFC 4180 CSV with a header row, cells that could run as spreadsheet formulas defused.
    case csv
}

/// A column of a listing.
struct Column {
    var title: String
    /// Maximum display width in a table (nil: as wide as the widest cell).
    var maxWidth: Int?
    /// The width a streamed table gives the column when it has no maximum (its rows are printed
    /// batch by batch, before the widest cell is known).
    var typicalWidth: Int? = nil
}

/// Rows of a listing, printed in any ``OutputFormat``. JSON rows carry typed values; tables and
/// CSV show their text.
struct Listing {
    var columns: [Column]
    /// Cell text per row, one per column.
    var rows: [[String]] = []
    /// The JSON object per row (may carry more fields than the table shows).
    var objects: [JSONValue] = []
    /// Table cells already escaped and highlighted (row, column) → text; shown as they are.
    var rendered: [Int: [Int: String]] = [:]

    init(columns: [Column]) {
        self.columns = columns
    }

    mutating func append(_ cells: [String], json: JSONValue) {
        rows.append(cells)
        objects.append(json)
    }

    func print(_ format: OutputFormat, to out: inout String) {
        print(format, to: &out, header: true, streamed: false)
    }

    /// Prints the rows, with the header row or not (CSV and tables); `streamed`: a table printed
    /// in parts, whose column widths are fixed (``Column/typicalWidth``) rather than measured.
    func print(_ format: OutputFormat, to out: inout String, header: Bool, streamed: Bool) {
        switch format {
        case .json:
            for object in objects {
                object.write(to: &out)
                out += "\n"
            }
        case .csv:
            if header { out += CSV.byteOrderMark + columns.map { CSV.cell($0.title) }.joined(separator: ",") + "\r\n" }
            for row in rows {
                out += row.map(CSV.cell).joined(separator: ",") + "\r\n"
            }
        case .table:
            let cells = rows.enumerated().map { rowIndex, row in
                row.enumerated().map { index, cell -> String in
                    if let ready = rendered[rowIndex]?[index] { return ready }
                    let safe = Terminal.escape(cell)
                    if let max = columns[index].maxWidth { return Terminal.truncate(safe, to: max) }
                    return safe
                }
            }
            var widths = columns.map { Terminal.width($0.title) }
            if streamed {
                for (i, column) in columns.enumerated() {
                    widths[i] = max(widths[i], column.maxWidth ?? column.typicalWidth ?? 0)
                }
            } else {
                for row in cells {
                    for (i, cell) in row.enumerated() { widths[i] = max(widths[i], Terminal.width(cell)) }
                }
            }
            func line(_ row: [String]) -> String {
                var text = ""
                for (i, cell) in row.enumerated() {
                    text += i == row.count - 1 ? cell : Terminal.pad(cell, to: widths[i]) + "  "
                }
                return text
            }
            if header { out += Terminal.bold(line(columns.map(\.title))) + "\n" }
            for row in cells { out += line(row) + "\n" }
        }
    }

    func print(_ format: OutputFormat) {
        var out = ""
        print(format, to: &out)
        Swift.print(out, terminator: "")
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
