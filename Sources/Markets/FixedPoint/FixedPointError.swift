/// A wire string that is not an exact fixed-point number of the expected kind.
///
/// Equality is on the kind, the input and the reason code, so tests and callers can match on them while
/// the message stays free to improve.
public struct FixedPointError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Why the input was refused. A struct over a private enum so new reasons do not break callers.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        private enum Code: Hashable, Sendable {
            case empty
            case unexpectedCharacter(Character, offset: Int)
            case missingDigits
            case tooManyDecimals(maximum: Int)
            case negativeNotAllowed
            case overflow
            case outOfRange(String)
        }
        private let code: Code
        private init(_ code: Code) { self.code = code }

        public static let empty = Reason(.empty)
        public static let missingDigits = Reason(.missingDigits)
        public static let negativeNotAllowed = Reason(.negativeNotAllowed)
        public static let overflow = Reason(.overflow)
        public static func unexpectedCharacter(_ c: Character, offset: Int) -> Reason {
            Reason(.unexpectedCharacter(c, offset: offset))
        }
        public static func tooManyDecimals(maximum: Int) -> Reason { Reason(.tooManyDecimals(maximum: maximum)) }
        public static func outOfRange(_ range: String) -> Reason { Reason(.outOfRange(range)) }

        public var description: String {
            switch code {
            case .empty: "empty string"
            case let .unexpectedCharacter(c, offset): "unexpected character \"\(c)\" at offset \(offset)"
            case .missingDigits: "missing digits"
            case let .tooManyDecimals(maximum): "more than \(maximum) significant decimal places"
            case .negativeNotAllowed: "negative value not allowed"
            case .overflow: "value too large"
            case let .outOfRange(range): "outside \(range)"
            }
        }
    }

    /// The wire type that was being parsed, e.g. `FixedPointDollars`.
    public let kind: String
    /// The offending input, shortened to 64 characters so a hostile payload cannot flood a log.
    public let input: String
    public let reason: Reason

    public init(kind: String, input: String, reason: Reason) {
        self.kind = kind
        self.input = input.count > 64 ? String(input.prefix(64)) + "…" : input
        self.reason = reason
    }

    public var description: String { "invalid \(kind) \"\(input)\": \(reason)" }
}

/// Checked arithmetic on money or size overflowed `Int64`.
public struct ArithmeticOverflowError: Error, Hashable, Sendable, CustomStringConvertible {
    public let operation: String
    public init(operation: String) { self.operation = operation }
    public var description: String { "arithmetic overflow in \(operation)" }
}

/// How a value that falls between two representable values is brought onto one of them.
public enum RoundingDirection: Sendable, Hashable {
    /// Toward negative infinity.
    case down
    /// Toward positive infinity.
    case up
}
