/// A number of contracts in hundredths (1 = 0.01 contract), Kalshi's `FixedPointCount` granularity.
///
/// Signed, because positions (+ YES, − NO) and book deltas are. Order counts must be positive; that is
/// checked where an order is built, not here.
public struct Contracts: CheckedFixedPointArithmetic {
    /// Hundredths per contract.
    public static let scale: Int64 = 100
    static let decimals = 2

    public let hundredths: Int64

    public init(hundredths: Int64) { self.hundredths = hundredths }
    public init(scaledValue: Int64) { hundredths = scaledValue }
    public var scaledValue: Int64 { hundredths }

    public static let zero = Contracts(hundredths: 0)

    /// Whole contracts, e.g. `Contracts.whole(10)` for "10.00".
    public static func whole(_ count: Int64) throws(ArithmeticOverflowError) -> Contracts {
        let (hundredths, overflow) = count.multipliedReportingOverflow(by: scale)
        guard !overflow else { throw ArithmeticOverflowError(operation: "Contracts.whole(\(count))") }
        return Contracts(hundredths: hundredths)
    }

    /// Parses a Kalshi `FixedPointCount` string ("10.00", "10", "0.01", "-3.50") exactly.
    public init(parsing text: String) throws(FixedPointError) {
        hundredths = try FixedPointParser.parse(text, scale: Self.decimals, allowNegative: true, kind: "FixedPointCount")
    }

    /// Parses the wire form from raw UTF-8 bytes (the WebSocket fast path).
    public init(utf8 bytes: UnsafeRawBufferPointer) throws(FixedPointError) {
        hundredths = try FixedPointParser.parse(bytes: bytes, scale: Self.decimals, allowNegative: true, kind: "FixedPointCount")
    }

    /// The wire form, always two decimals: "10.00".
    public var wireString: String {
        FixedPointParser.format(hundredths, scale: Self.decimals, minimumDecimals: Self.decimals)
    }

    public var isPositive: Bool { hundredths > 0 }
    /// |self|; saturates at the largest count for the one value without a positive twin (`Int64.min`).
    public var magnitude: Contracts { Contracts(hundredths: hundredths >= 0 ? hundredths : (hundredths == .min ? .max : -hundredths)) }
    /// −self; saturating like `magnitude` (use `negatedChecked()` where overflow must be reported).
    public var negated: Contracts { Contracts(hundredths: hundredths == .min ? .max : -hundredths) }

    /// The count in whole contracts when it has no fractional part.
    public var exactWhole: Int64? { hundredths % Self.scale == 0 ? hundredths / Self.scale : nil }
}

extension Contracts: CustomStringConvertible {
    public var description: String { wireString }
}

