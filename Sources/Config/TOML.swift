/// The part of TOML chatwarden's configuration uses, parsed in Swift.
///
/// Tables (`[a]`, `[a.b]`), `key = value` with bare or quoted keys, basic and literal strings,
/// integers, booleans, and arrays of those (across lines, trailing comma allowed); comments and
/// blank lines. Anything else is an error naming the line and column, as is every syntax error.
/// (TOMLKit was used before: its C++ parser asserted, and read out of bounds with assertions off,
/// on inputs the configuration fuzzer found, and leaked every table it parsed.)
enum TOML {
    indirect enum Value: Equatable {
        case string(String)
        case integer(Int)
        case bool(Bool)
        case array([Value])
        case table(Table)
    }

    /// A table: its entries and the line each key was written on.
    struct Table: Equatable {
        var entries: [String: Value] = [:]
        var lines: [String: Int] = [:]
        var order: [String] = []
    }

    struct ParseError: Error {
        var line: Int
        var column: Int
        var message: String
    }

    static func parse(_ text: String) throws(ParseError) -> Table {
        var parser = Parser(Array(text.unicodeScalars))
        return try parser.document()
    }

    struct Parser {
        let s: [Unicode.Scalar]
        var i = 0
        var line = 1
        var lineStart = 0

        init(_ scalars: [Unicode.Scalar]) { s = scalars }

        var column: Int { i - lineStart + 1 }

        func fail(_ message: String) -> ParseError { ParseError(line: line, column: column, message: message) }

        var atEnd: Bool { i >= s.count }
        func peek(_ offset: Int = 0) -> Unicode.Scalar? { i + offset < s.count ? s[i + offset] : nil }

        mutating func advance() {
            if s[i] == "\n" {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }

        mutating func skipSpaces() {
            while let c = peek(), c == " " || c == "\t" { i += 1 }
        }

        /// Spaces, comments and line breaks (inside arrays).
        mutating func skipBlank() {
            while let c = peek() {
                if c == " " || c == "\t" || c == "\r" || c == "\n" {
                    advance()
                } else if c == "#" {
                    while let d = peek(), d != "\n" { i += 1 }
                } else {
                    return
                }
            }
        }

        /// The end of a line: spaces, an optional comment, then a line break or the end.
        mutating func endOfLine() throws(ParseError) {
            skipSpaces()
            if peek() == "#" { while let d = peek(), d != "\n" { i += 1 } }
            if peek() == "\r" { i += 1 }
            guard atEnd || peek() == "\n" else { throw fail("expected the end of the line, found '\(peek()!)'") }
            if !atEnd { advance() }
        }

        mutating func document() throws(ParseError) -> Table {
            var root = Table()
            var path: [String] = []
            var definedTables = Set<String>()
            while true {
                skipBlank()
                guard !atEnd else { break }
                if peek() == "[" {
                    let headerLine = line
                    i += 1
                    if peek() == "[" { throw fail("arrays of tables ([[...]]) are not supported here") }
                    skipSpaces()
                    path = try dottedKey()
                    skipSpaces()
                    guard peek() == "]" else { throw fail("expected ']' to close the table name") }
                    i += 1
                    try endOfLine()
                    let name = path.joined(separator: ".")
                    guard definedTables.insert(name).inserted else {
                        throw ParseError(line: headerLine, column: 1, message: "table [\(name)] is defined twice")
                    }
                    try ensureTable(&root, path, line: headerLine)
                    continue
                }
                let keyLine = line, keyColumn = column
                let key = try dottedKey()
                skipSpaces()
                guard peek() == "=" else { throw fail("expected '=' after the key") }
                i += 1
                skipSpaces()
                let value = try self.value()
                try endOfLine()
                try insert(&root, path + key, value, line: keyLine, column: keyColumn)
            }
            return root
        }

        mutating func dottedKey() throws(ParseError) -> [String] {
            var parts: [String] = []
            while true {
                skipSpaces()
                parts.append(try simpleKey())
                skipSpaces()
                if peek() == "." { i += 1 } else { return parts }
            }
        }

        mutating func simpleKey() throws(ParseError) -> String {
            if peek() == "\"" { return try basicString() }
            if peek() == "'" { return try literalString() }
            var key = ""
            while let c = peek(),
                ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
            {
                key.unicodeScalars.append(c)
                i += 1
            }
            guard !key.isEmpty else {
                throw fail(
                    peek().map { "'\($0)' cannot start a key (letters, digits, '_', '-', or a quoted key)" }
                        ?? "a key is missing")
            }
            return key
        }

        mutating func value() throws(ParseError) -> Value {
            guard let c = peek() else { throw fail("a value is missing") }
            switch c {
            case "\"":
                if peek(1) == "\"" && peek(2) == "\"" { throw fail("multi-line strings are not supported here") }
                return .string(try basicString())
            case "'":
                if peek(1) == "'" && peek(2) == "'" { throw fail("multi-line strings are not supported here") }
                return .string(try literalString())
            case "[": return try array()
            case "{": throw fail("inline tables are not supported here: use a [table]")
            case "t", "f": return .bool(try boolean())
            default:
                if c == "+" || c == "-" || ("0"..."9").contains(c) { return .integer(try integer()) }
                throw fail("'\(c)' cannot start a value (a string in quotes, a number, true, false or a [list])")
            }
        }

        mutating func array() throws(ParseError) -> Value {
            i += 1
            var items: [Value] = []
            while true {
                skipBlank()
                guard !atEnd else { throw fail("the list is not closed with ']'") }
                if peek() == "]" {
                    i += 1
                    return .array(items)
                }
                items.append(try value())
                skipBlank()
                guard !atEnd else { throw fail("the list is not closed with ']'") }
                if peek() == "," {
                    i += 1
                } else if peek() != "]" {
                    throw fail("expected ',' or ']' in the list")
                }
            }
        }

        mutating func boolean() throws(ParseError) -> Bool {
            for (word, result) in [("true", true), ("false", false)] {
                let w = Array(word.unicodeScalars)
                if i + w.count <= s.count && Array(s[i..<i + w.count]) == w {
                    i += w.count
                    return result
                }
            }
            throw fail("expected true or false")
        }

        mutating func integer() throws(ParseError) -> Int {
            let startColumn = column
            var text = ""
            if let c = peek(), c == "+" || c == "-" {
                text.unicodeScalars.append(c)
                i += 1
            }
            var lastUnderscore = true
            while let c = peek(), ("0"..."9").contains(c) || c == "_" {
                if c == "_" {
                    if lastUnderscore { throw fail("a '_' in a number must sit between digits") }
                    lastUnderscore = true
                } else {
                    text.unicodeScalars.append(c)
                    lastUnderscore = false
                }
                i += 1
            }
            if let c = peek(), c == "." || c == "e" || c == "E" || c == "x" || c == "o" || c == "b" {
                throw fail("only whole decimal numbers are used here")
            }
            guard !lastUnderscore, let value = Int(text) else {
                throw ParseError(line: line, column: startColumn, message: "not a number, or out of range")
            }
            return value
        }

        mutating func basicString() throws(ParseError) -> String {
            i += 1
            var out = ""
            while true {
                guard let c = peek() else { throw fail("the string is not closed with '\"'") }
                if c == "\n" { throw fail("the string is not closed before the end of the line") }
                i += 1
                if c == "\"" { return out }
                if c == "\\" {
                    guard let e = peek() else { throw fail("the string is not closed with '\"'") }
                    i += 1
                    switch e {
                    case "\"": out += "\""
                    case "\\": out += "\\"
                    case "n": out += "\n"
                    case "t": out += "\t"
                    case "r": out += "\r"
                    case "b": out += "\u{08}"
                    case "f": out += "\u{0C}"
                    case "u", "U":
                        let digits = e == "u" ? 4 : 8
                        var v: UInt32 = 0
                        for _ in 0..<digits {
                            guard let h = peek(), let d = Int(String(h), radix: 16) else {
                                throw fail("expected \(digits) hex digits")
                            }
                            v = v * 16 + UInt32(d)
                            i += 1
                        }
                        guard let scalar = Unicode.Scalar(v) else { throw fail("\\\(e) names no character") }
                        out.unicodeScalars.append(scalar)
                    default: throw fail("unknown escape \\\(e)")
                    }
                    continue
                }
                out.unicodeScalars.append(c)
            }
        }

        mutating func literalString() throws(ParseError) -> String {
            i += 1
            var out = ""
            while true {
                guard let c = peek() else { throw fail("the string is not closed with \"'\"") }
                if c == "\n" { throw fail("the string is not closed before the end of the line") }
                i += 1
                if c == "'" { return out }
                out.unicodeScalars.append(c)
            }
        }

        func ensureTable(_ table: inout Table, _ path: [String], line: Int) throws(ParseError) {
            guard let head = path.first else { return }
            var child: Table
            switch table.entries[head] {
            case nil: child = Table()
            case .table(let t)?: child = t
            default: throw ParseError(line: line, column: 1, message: "'\(head)' is a value, not a table")
            }
            try ensureTable(&child, Array(path.dropFirst()), line: line)
            if table.entries[head] == nil {
                table.order.append(head)
                table.lines[head] = line
            }
            table.entries[head] = .table(child)
        }

        func insert(_ table: inout Table, _ path: [String], _ value: Value, line: Int, column: Int) throws(ParseError) {
            let head = path[0]
            if path.count == 1 {
                guard table.entries[head] == nil else {
                    throw ParseError(line: line, column: column, message: "'\(head)' is set twice")
                }
                table.entries[head] = value
                table.lines[head] = line
                table.order.append(head)
                return
            }
            var child: Table
            switch table.entries[head] {
            case nil:
                child = Table()
                table.order.append(head)
                table.lines[head] = line
            case .table(let t)?: child = t
            default: throw ParseError(line: line, column: column, message: "'\(head)' is a value, not a table")
            }
            try insert(&child, Array(path.dropFirst()), value, line: line, column: column)
            table.entries[head] = .table(child)
        }
    }
}
