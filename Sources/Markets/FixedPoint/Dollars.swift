/// An amount of money in micro-dollars (1 = $0.000001), the finest precision Kalshi emits.
///
/// Signed: balances, P&L and exposures can be negative. Arithmetic is checked and throws
/// `ArithmeticOverflowError` instead of trapping or wrapping.
public struct Dollars: CheckedFixedPointArithmetic {
    /// Micro-dollars per dollar.
    public static let scale: Int64 = 1_000_000
    static let decimals = 6

    public let micros: Int64

    public init(micros: Int64) { self.micros = micros }
    public init(scaledValue: Int64) { micros = scaledValue }
    public var scaledValue: Int64 { micros }

    public static let zero = Dollars(micros: 0)
    public static let one = Dollars(micros: scale)

    /// Whole dollars, e.g. `Dollars(whole: 500)` for $500.00.
    public static func whole(_ dollars: Int64) throws(ArithmeticOverflowError) -> Dollars {
        let (micros, overflow) = dollars.multipliedReportingOverflow(by: scale)
        guard !overflow else { throw ArithmeticOverflowError(operation: "Dollars.whole(\(dollars))") }
        return Dollars(micros: micros)
    }

    /// Legacy integer cents (the pre-2026 Kalshi fields and the signal format's `yes_ask`).
    public static func cents(_ cents: Int64) throws(ArithmeticOverflowError) -> Dollars {
        let (micros, overflow) = cents.multipliedReportingOverflow(by: 10_000)
        guard !overflow else { throw ArithmeticOverflowError(operation: "Dollars.cents(\(cents))") }
        return Dollars(micros: micros)
    }

    /// Parses a Kalshi `FixedPointDollars` string ("0.56", "0.5600", "-12.345678") exactly.
    public init(parsing text: String) throws(FixedPointError) {
        micros = try FixedPointParser.parse(text, scale: Self.decimals, allowNegative: true, kind: "FixedPointDollars")
    }

    /// Parses the wire form from raw UTF-8 bytes (the WebSocket fast path).
    public init(utf8 bytes: UnsafeRawBufferPointer) throws(FixedPointError) {
        micros = try FixedPointParser.parse(bytes: bytes, scale: Self.decimals, allowNegative: true, kind: "FixedPointDollars")
    }

    /// The wire form: at least two decimals, trailing zeros trimmed beyond ("0.56", "0.005", "500.00").
    public var wireString: String {
        FixedPointParser.format(micros, scale: Self.decimals, minimumDecimals: 2)
    }

    /// The amount in whole cents if it is exact, else `nil`.
    public var exactCents: Int64? { micros % 10_000 == 0 ? micros / 10_000 : nil }

    public func multiplied(by factor: Int64) throws(ArithmeticOverflowError) -> Dollars {
        let (product, overflow) = micros.multipliedReportingOverflow(by: factor)
        guard !overflow else { throw ArithmeticOverflowError(operation: "\(self) × \(factor)") }
        return Dollars(micros: product)
    }

    /// |self|; saturates for the one value without a positive twin (`Int64.min`).
    public var magnitude: Dollars { Dollars(micros: micros >= 0 ? micros : (micros == .min ? .max : -micros)) }

    /// −self; saturates for the one value without a positive twin (`Int64.min`).
    public var negated: Dollars { Dollars(micros: micros == .min ? .max : -micros) }

    /// Rounds onto whole cents in the given direction.
    public func roundedToCents(_ direction: RoundingDirection) -> Dollars {
        Dollars(micros: FixedMath.round(micros, toMultipleOf: 10_000, direction))
    }
}

extension Dollars {
    /// The volume-weighted price of `count` contracts that cost (or brought) `notional` in all, per
    /// contract, rounded in `direction`; `nil` when the count is not positive or the price does not fit.
    public static func average(of notional: Dollars, over count: Contracts, rounding direction: RoundingDirection) -> Dollars? {
        guard count.hundredths > 0 else { return nil }
        let micros = FixedMath.divide(Int128(notional.micros) * Int128(Contracts.scale), by: Int128(count.hundredths), direction)
        return Int64(exactly: micros).map(Dollars.init(micros:))
    }
}

extension Dollars: CustomStringConvertible {
    /// Human form for logs and reports: "$500.00", "-$0.0525".
    public var description: String {
        let text = wireString
        return text.hasPrefix("-") ? "-$" + text.dropFirst() : "$" + text
    }
}

/// Integer helpers shared by the fixed-point types.
enum FixedMath {
    /// Rounds `value` onto a multiple of `unit` (> 0) in the given direction.
    static func round(_ value: Int64, toMultipleOf unit: Int64, _ direction: RoundingDirection) -> Int64 {
        let remainder = value % unit
        guard remainder != 0 else { return value }
        let truncated = value - remainder  // toward zero
        switch direction {
        case .down: return value < 0 ? truncated - unit : truncated
        case .up: return value < 0 ? truncated : truncated + unit
        }
    }

    /// `numerator / denominator` rounded in the given direction (denominator > 0).
    static func divide(_ numerator: Int128, by denominator: Int128, _ direction: RoundingDirection) -> Int128 {
        let quotient = numerator / denominator
        let remainder = numerator % denominator
        guard remainder != 0 else { return quotient }
        switch direction {
        case .down: return numerator < 0 ? quotient - 1 : quotient
        case .up: return numerator < 0 ? quotient : quotient + 1
        }
    }
}

/// Decoding helper for fixed-point values that may arrive as JSON strings or JSON numbers.
enum FixedPointCoding {
    static func decodeText(from decoder: any Decoder) throws -> String {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) { return text }
        if let integer = try? container.decode(Int64.self) { return String(integer) }
        // `Double.description` is the shortest text that round-trips, so a JSON number written with up
        // to 15 significant digits comes back as the digits that were sent ("0.56", not 0.5600000000000001).
        // Exponent forms ("1e-07") are then refused by the parser. (`Decimal` decoding traps on Linux.)
        if let number = try? container.decode(Double.self), number.isFinite { return number.description }
        throw DecodingError.dataCorruptedError(
            in: container, debugDescription: "expected a fixed-point string or number")
    }
}
