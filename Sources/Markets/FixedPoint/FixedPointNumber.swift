/// What `Dollars`, `Contracts` and `Price` share: an exact scaled `Int64`, a wire string, JSON coding as
/// that string (numbers tolerated on input), and ordering. `Dollars` and `Contracts` also get checked
/// arithmetic.
public protocol FixedPointNumber: Hashable, Comparable, Sendable, Codable {
    /// The value in the type's smallest unit (micro-dollars, hundredths of a contract).
    var scaledValue: Int64 { get }
    /// Parses the wire form exactly.
    init(parsing text: String) throws(FixedPointError)
    /// The wire form.
    var wireString: String { get }
}

extension FixedPointNumber {
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.scaledValue < rhs.scaledValue }

    /// Decodes the documented string form, and also a JSON number (some Kalshi WebSocket fields arrive as
    /// numbers); a number is converted through its exact decimal text, never through arithmetic.
    public init(from decoder: any Decoder) throws {
        self = try Self(parsing: FixedPointCoding.decodeText(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wireString)
    }
}

/// Fixed-point quantities that can be added and subtracted (with overflow reported, never trapped).
public protocol CheckedFixedPointArithmetic: FixedPointNumber, CustomStringConvertible {
    init(scaledValue: Int64)
}

extension CheckedFixedPointArithmetic {
    public func adding(_ other: Self) throws(ArithmeticOverflowError) -> Self {
        let (sum, overflow) = scaledValue.addingReportingOverflow(other.scaledValue)
        guard !overflow else { throw ArithmeticOverflowError(operation: "\(self) + \(other)") }
        return Self(scaledValue: sum)
    }

    public func subtracting(_ other: Self) throws(ArithmeticOverflowError) -> Self {
        let (difference, overflow) = scaledValue.subtractingReportingOverflow(other.scaledValue)
        guard !overflow else { throw ArithmeticOverflowError(operation: "\(self) - \(other)") }
        return Self(scaledValue: difference)
    }
}
