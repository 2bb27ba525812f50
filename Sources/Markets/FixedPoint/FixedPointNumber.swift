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

// MARK: Overflow-reporting operators

/// `+`, `-` and `*` on money and size report overflow by throwing `ArithmeticOverflowError`; they never
/// trap and never wrap. Every sum of amounts or counts in the product goes through them (`try a + b`).
extension CheckedFixedPointArithmetic {
    public static func + (lhs: Self, rhs: Self) throws(ArithmeticOverflowError) -> Self { try lhs.adding(rhs) }
    public static func - (lhs: Self, rhs: Self) throws(ArithmeticOverflowError) -> Self { try lhs.subtracting(rhs) }

    public static func * (lhs: Self, factor: Int64) throws(ArithmeticOverflowError) -> Self {
        let (product, overflow) = lhs.scaledValue.multipliedReportingOverflow(by: factor)
        guard !overflow else { throw ArithmeticOverflowError(operation: "\(lhs) × \(factor)") }
        return Self(scaledValue: product)
    }

    public static func += (lhs: inout Self, rhs: Self) throws(ArithmeticOverflowError) { lhs = try lhs + rhs }
    public static func -= (lhs: inout Self, rhs: Self) throws(ArithmeticOverflowError) { lhs = try lhs - rhs }

    /// The negation; only `Int64.min` has none (reported as overflow).
    public func negatedChecked() throws(ArithmeticOverflowError) -> Self {
        guard scaledValue != .min else { throw ArithmeticOverflowError(operation: "−\(self)") }
        return Self(scaledValue: -scaledValue)
    }

    /// `self + other`, clamped to the representable range: for counters shown to people (stats lines),
    /// where a saturated figure is better than none. Accounting uses `+`.
    public func addingSaturated(_ other: Self) -> Self {
        let (sum, overflow) = scaledValue.addingReportingOverflow(other.scaledValue)
        guard overflow else { return Self(scaledValue: sum) }
        return Self(scaledValue: other.scaledValue > 0 ? .max : .min)
    }
}

extension Sequence where Element: CheckedFixedPointArithmetic {
    /// The checked sum of the elements.
    public func sum() throws(ArithmeticOverflowError) -> Element {
        var total = Element(scaledValue: 0)
        for element in self { total = try total + element }
        return total
    }
}
