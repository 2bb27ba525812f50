/// A JSON document (RFC 8259, plus one trailing comma in an object or array as Foundation allows) read
/// straight from UTF-8 bytes, for the hot inputs read often enough that
/// Foundation's `JSONDecoder` shows: a signal line took 84 µs to decode there (the largest single step
/// between a signal's arrival and its order), a few microseconds here. Numbers keep their literal text,
/// so an exact reader (integers, fixed-point decimals) takes them without a detour through `Double`.
public enum JSONValue: Sendable, Equatable {
    /// Members by name; a name given twice keeps its last value.
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    /// The number's literal, checked against JSON's number grammar.
    case number(String)
    case bool(Bool)
    case null

    /// Why a text is not JSON, and where (a byte offset).
    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public let offset: Int
        public let reason: String
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    /// Arrays and objects nest at most this deep (a hostile line cannot exhaust the stack).
    public static let maxDepth = 64

    /// Parses one whole document (surrounding whitespace allowed, nothing else).
    public static func parse(_ text: String) throws(SyntaxError) -> JSONValue {
        var reader = Reader(bytes: Array(text.utf8))
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.index == reader.bytes.count else { throw reader.error("unexpected text after the value") }
        return value
    }

    /// A member of an object (nil for any other value, or when absent).
    public subscript(key: String) -> JSONValue? {
        if case let .object(members) = self { return members[key] }
        return nil
    }

    /// What kind of value this is, for error messages ("expected a string, found a number").
    public var kind: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }

    /// The number as an `Int` when it is one exactly (`5`, `-0`, `5.0`, `5e2`), else nil.
    public var exactInteger: Int? {
        guard case let .number(text) = self else { return nil }
        if let value = Int(text) { return value }
        guard let value = Double(text), value.isFinite else { return nil }
        return Int(exactly: value)
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        func error(_ reason: String) -> SyntaxError { SyntaxError(offset: index, reason: reason) }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws(SyntaxError) -> JSONValue {
            skipSpace()
            guard index < bytes.count else { throw error("unexpected end of text") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw error("unexpected character")
            }
        }

        private mutating func literal(_ word: StaticString) throws(SyntaxError) {
            let count = word.utf8CodeUnitCount
            guard bytes.count - index >= count else { throw error("unexpected end of text") }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
                throw error("unexpected character")
            }
            index += count
        }

        private mutating func object(depth: Int) throws(SyntaxError) -> JSONValue {
            try enter(depth)
            var members: [String: JSONValue] = [:]
            while try !closes(with: UInt8(ascii: "}")) {
                guard bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name in quotes") }
                let name = try string()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after a member name") }
                index += 1
                members[name] = try value(depth: depth)
                if try ended(by: UInt8(ascii: "}"), in: "an object") { break }
            }
            return .object(members)
        }

        private mutating func array(depth: Int) throws(SyntaxError) -> JSONValue {
            try enter(depth)
            var elements: [JSONValue] = []
            while try !closes(with: UInt8(ascii: "]")) {
                elements.append(try value(depth: depth))
                if try ended(by: UInt8(ascii: "]"), in: "an array") { break }
            }
            return .array(elements)
        }

        /// Past a container's opening bracket, `depth` containers deep.
        private mutating func enter(_ depth: Int) throws(SyntaxError) {
            guard depth <= JSONValue.maxDepth else { throw error("nested more than \(JSONValue.maxDepth) deep") }
            index += 1
        }

        /// Whether the container ends here, where a member or element could start: right after its opening
        /// bracket (empty), or after a comma (one trailing comma, as Foundation's readers accept, and so the
        /// signal parser before this one).
        private mutating func closes(with close: UInt8) throws(SyntaxError) -> Bool {
            skipSpace()
            guard index < bytes.count else { throw error("unexpected end of text") }
            guard bytes[index] == close else { return false }
            index += 1
            return true
        }

        /// After a member or element: true when `close` ends the container, false past a comma.
        private mutating func ended(by close: UInt8, in container: String) throws(SyntaxError) -> Bool {
            skipSpace()
            guard index < bytes.count else { throw error("unexpected end of text") }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                return false
            case close:
                index += 1
                return true
            default:
                throw error("expected ',' or '\(Character(Unicode.Scalar(close)))' in \(container)")
            }
        }

        /// A string from its opening quote; the text must be valid UTF-8 and every escape well formed.
        private mutating func string() throws(SyntaxError) -> String {
            index += 1
            let start = index
            // The usual case: no escape, read in one piece.
            while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\"), bytes[index] >= 0x20 {
                index += 1
            }
            guard index < bytes.count else { throw error("unterminated string") }
            if bytes[index] == UInt8(ascii: "\"") {
                defer { index += 1 }
                return try text(bytes[start..<index], at: start)
            }
            var out = Array(bytes[start..<index])
            while true {
                guard index < bytes.count else { throw error("unterminated string") }
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return try text(out[...], at: start)
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.count else { throw error("unterminated string") }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"): try unicodeEscape(into: &out)
                    default:
                        index -= 1
                        throw error("unknown escape in a string")
                    }
                case 0..<0x20:
                    throw error("control character in a string")
                default:
                    out.append(byte)
                    index += 1
                }
            }
        }

        private func text(_ utf8: ArraySlice<UInt8>, at offset: Int) throws(SyntaxError) -> String {
            guard let text = String(validating: utf8, as: UTF8.self) else { throw SyntaxError(offset: offset, reason: "a string is not valid UTF-8") }
            return text
        }

        /// `\uXXXX` (after the `u`), a surrogate pair as one character; a lone surrogate is refused.
        private mutating func unicodeEscape(into out: inout [UInt8]) throws(SyntaxError) {
            var scalar = try hex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw error("a lone surrogate in a \\u escape")
                }
                index += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw error("a lone surrogate in a \\u escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw error("a lone surrogate in a \\u escape")
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw error("not a Unicode scalar") }
            UTF8.encode(unicode) { out.append($0) }
        }

        private mutating func hex4() throws(SyntaxError) -> UInt32 {
            guard bytes.count - index >= 4 else { throw error("a \\u escape needs four hex digits") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw error("a \\u escape needs four hex digits")
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, returned as written.
        private mutating func number() throws(SyntaxError) -> String {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("a number needs a digit") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if index < bytes.count, isDigit(bytes[index]) { throw error("a number may not start with 0") }
            } else {
                skipDigits()
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else { throw error("a digit must follow the decimal point") }
                skipDigits()
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, isDigit(bytes[index]) else { throw error("an exponent needs a digit") }
                skipDigits()
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        private func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

        private mutating func skipDigits() {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
    }
}
