/// A `.env` file is malformed. Names the line, never echoes its content (it may hold a secret).
public struct DotEnvError: Error, Hashable, Sendable, CustomStringConvertible {
    public let source: String
    public let line: Int
    public let reason: String

    public var description: String { "\(source):\(line): \(reason)" }
}

/// Parses `.env` files the way operators write them, without a shell.
///
/// - `KEY=value`, `export KEY=value`, spaces around `=` allowed; blank lines and `#` comments skipped.
/// - Unquoted values end at the line end or at ` #` (an inline comment) and are trimmed.
/// - `'single quotes'` are literal. `"double quotes"` understand `\n`, `\r`, `\t`, `\"`, `\\` and `\$`;
///   either kind may span lines (a PEM key pasted as is).
/// - Nothing is executed or expanded: `$(cmd)`, backticks and `$VAR` stay as written.
/// - A later assignment of the same key wins (and is reported: `parseReportingDuplicates`).
public enum DotEnv {
    /// A key assigned more than once: the value on `laterLine` is the one used.
    public struct Duplicate: Hashable, Sendable, CustomStringConvertible {
        public let key: String
        public let earlierLine: Int
        public let laterLine: Int
        public let source: String

        public var description: String {
            "\(source): \(key) is set on line \(earlierLine) and again on line \(laterLine); line \(laterLine) wins"
        }
    }

    public static func parse(_ text: String, source: String = ".env") throws(DotEnvError) -> [String: String] {
        try parseReportingDuplicates(text, source: source).values
    }

    /// The values, and every key assigned twice with both line numbers.
    public static func parseReportingDuplicates(_ text: String, source: String = ".env") throws(DotEnvError)
        -> (values: [String: String], duplicates: [Duplicate]) {
        var scanner = Scanner(Array(text.unicodeScalars), source: source)
        var values: [String: String] = [:]
        var lines: [String: Int] = [:]
        var duplicates: [Duplicate] = []
        while let (key, value, line) = try scanner.nextAssignment() {
            if let earlier = lines[key] { duplicates.append(Duplicate(key: key, earlierLine: earlier, laterLine: line, source: source)) }
            values[key] = value
            lines[key] = line
        }
        return (values, duplicates)
    }

    private struct Scanner {
        let chars: [Unicode.Scalar]
        let source: String
        var index = 0
        var line = 1

        init(_ chars: [Unicode.Scalar], source: String) {
            // A UTF-8 byte-order mark is not part of the first key.
            self.chars = chars.first == "\u{FEFF}" ? Array(chars.dropFirst()) : chars
            self.source = source
        }

        var atEnd: Bool { index >= chars.count }
        var current: Unicode.Scalar? { atEnd ? nil : chars[index] }

        func error(_ reason: String, line: Int? = nil) -> DotEnvError {
            DotEnvError(source: source, line: line ?? self.line, reason: reason)
        }

        mutating func advance() {
            if chars[index] == "\n" { line += 1 }
            index += 1
        }

        mutating func skipSpaces() {
            while let c = current, c == " " || c == "\t" || c == "\r" { advance() }
        }

        mutating func skipRestOfLine() {
            while let c = current, c != "\n" { advance() }
            if current == "\n" { advance() }
        }

        /// After a value: only spaces and an optional comment may follow on the line.
        mutating func finishLine() throws(DotEnvError) {
            skipSpaces()
            guard let c = current else { return }
            if c == "#" { skipRestOfLine(); return }
            guard c == "\n" else { throw error("unexpected text after the closing quote") }
            advance()
        }

        static func isKeyStart(_ c: Unicode.Scalar) -> Bool {
            (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || c == "_"
        }

        static func isKeyChar(_ c: Unicode.Scalar) -> Bool {
            isKeyStart(c) || (c >= "0" && c <= "9")
        }

        mutating func readKey() -> String {
            var key = String.UnicodeScalarView()
            while let c = current, Self.isKeyChar(c) { key.append(c); advance() }
            return String(key)
        }

        mutating func nextAssignment() throws(DotEnvError) -> (String, String, Int)? {
            while true {
                skipSpaces()
                guard let c = current else { return nil }
                if c == "\n" { advance(); continue }
                if c == "#" { skipRestOfLine(); continue }
                break
            }
            let startLine = line
            guard let first = current, Self.isKeyStart(first) else {
                throw error("expected KEY=VALUE (a variable name starts with a letter or _)")
            }
            var key = readKey()
            if key == "export", let c = current, c == " " || c == "\t" {
                skipSpaces()
                guard let next = current, Self.isKeyStart(next) else { throw error("expected a variable name after export") }
                key = readKey()
            }
            skipSpaces()
            guard current == "=" else {
                throw error("expected \"=\" after the variable name \(key)", line: startLine)
            }
            advance()
            skipSpaces()
            let value: String
            switch current {
            case "\"": value = try readQuoted(double: true, openedOn: startLine)
            case "'": value = try readQuoted(double: false, openedOn: startLine)
            default: value = readUnquoted()
            }
            return (key, value, startLine)
        }

        mutating func readUnquoted() -> String {
            var value = String.UnicodeScalarView()
            var previousWasSpace = false
            while let c = current, c != "\n" {
                if c == "#", previousWasSpace { skipRestOfLine(); return trimmed(value) }
                previousWasSpace = c == " " || c == "\t"
                value.append(c)
                advance()
            }
            if current == "\n" { advance() }
            return trimmed(value)
        }

        func trimmed(_ value: String.UnicodeScalarView) -> String {
            var scalars = Substring.UnicodeScalarView(value)
            while let last = scalars.last, last == " " || last == "\t" || last == "\r" { scalars.removeLast() }
            return String(String.UnicodeScalarView(scalars))
        }

        mutating func readQuoted(double: Bool, openedOn startLine: Int) throws(DotEnvError) -> String {
            let quote: Unicode.Scalar = double ? "\"" : "'"
            advance()  // opening quote
            var value = String.UnicodeScalarView()
            while true {
                guard let c = current else {
                    throw error("unterminated \(double ? "double" : "single")-quoted value", line: startLine)
                }
                if c == quote { advance(); break }
                if double, c == "\\", index + 1 < chars.count {
                    let next = chars[index + 1]
                    let escaped: Unicode.Scalar? = switch next {
                    case "n": "\n"
                    case "r": "\r"
                    case "t": "\t"
                    case "\"": "\""
                    case "\\": "\\"
                    case "$": "$"
                    default: nil
                    }
                    if let escaped {
                        value.append(escaped)
                        advance()
                        advance()
                        continue
                    }
                }
                if c != "\r" || index + 1 >= chars.count || chars[index + 1] != "\n" {
                    value.append(c)  // CRLF inside a quoted value becomes LF
                }
                advance()
            }
            try finishLine()
            return String(value)
        }
    }
}
