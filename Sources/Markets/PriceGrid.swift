/// One band of a market's `price_ranges`: prices from `start` to `end` inclusive in steps of `step`.
public struct PriceRange: Hashable, Sendable, CustomStringConvertible {
    public let start: Dollars
    public let end: Dollars
    public let step: Dollars

    /// Validates the band: `0 ≤ start < end ≤ 1` and `step > 0`.
    public init(start: Dollars, end: Dollars, step: Dollars) throws(PriceGridError) {
        guard step.micros > 0 else { throw PriceGridError("step \(step.wireString) must be positive") }
        guard start.micros >= 0, end.micros <= Dollars.scale, start < end else {
            throw PriceGridError("range \(start.wireString)–\(end.wireString) must satisfy 0 ≤ start < end ≤ 1")
        }
        self.start = start
        self.end = end
        self.step = step
    }

    /// Parses the wire object `{"start": "0.10", "end": "0.90", "step": "0.01"}`.
    public init(start: String, end: String, step: String) throws(PriceGridError) {
        func parse(_ field: String, _ text: String) throws(PriceGridError) -> Dollars {
            do { return try Dollars(parsing: text) } catch { throw PriceGridError("\(field): \(error)") }
        }
        try self.init(start: parse("start", start), end: parse("end", end), step: parse("step", step))
    }

    func contains(_ micros: Int64) -> Bool {
        micros >= start.micros && micros <= end.micros && (micros - start.micros) % step.micros == 0
    }

    /// The grid point of this band nearest to `micros` in `direction`, if the band has one that way.
    func gridPoint(near micros: Int64, _ direction: RoundingDirection) -> Int64? {
        switch direction {
        case .down:
            guard micros >= start.micros else { return nil }
            let capped = min(micros, end.micros)
            return start.micros + (capped - start.micros) / step.micros * step.micros
        case .up:
            guard micros <= end.micros else { return nil }
            let floored = max(micros, start.micros)
            let point = start.micros + (floored - start.micros + step.micros - 1) / step.micros * step.micros
            return point <= end.micros ? point : nil
        }
    }

    public var description: String { "{start: \(start.wireString), end: \(end.wireString), step: \(step.wireString)}" }
}

/// A market's price grid is malformed.
public struct PriceGridError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = "invalid price_ranges: " + description }
}

/// The valid YES prices of a market, from its `price_ranges`. Valid means on some band's grid and
/// strictly between $0 and $1. Kalshi replaces a market's grid with `price_level_structure_updated`.
public struct PriceGrid: Hashable, Sendable, CustomStringConvertible {
    public let ranges: [PriceRange]

    public init(ranges: [PriceRange]) throws(PriceGridError) {
        guard !ranges.isEmpty else { throw PriceGridError("no ranges") }
        self.ranges = ranges
    }

    /// `linear_cent`: $0.01 everywhere.
    public static let linearCent = grid([(0, 1_000_000, 10_000)])
    /// `deci_cent`: $0.001 everywhere.
    public static let deciCent = grid([(0, 1_000_000, 1_000)])
    /// `tapered_deci_cent`: $0.001 below $0.10 and above $0.90, $0.01 between.
    public static let taperedDeciCent = grid([(0, 100_000, 1_000), (100_000, 900_000, 10_000), (900_000, 1_000_000, 1_000)])

    private static func grid(_ bands: [(Int64, Int64, Int64)]) -> PriceGrid {
        // Constant bands known to be valid; built without the throwing path.
        PriceGrid(unchecked: bands.map { PriceRange(unchecked: $0.0, $0.1, $0.2) })
    }

    private init(unchecked ranges: [PriceRange]) { self.ranges = ranges }

    /// Whether `price` is an order price this market accepts.
    public func contains(_ price: Price) -> Bool {
        ranges.contains { $0.contains(price.micros) }
    }

    /// The nearest valid price at or below (`.down`) or at or above (`.up`) `price`, or `nil` if the grid
    /// has none that way inside (0, 1).
    public func round(_ price: Price, _ direction: RoundingDirection) -> Price? {
        let candidates = ranges.compactMap { $0.gridPoint(near: price.micros, direction) }.compactMap(Price.init(micros:))
        return direction == .down ? candidates.max() : candidates.min()
    }

    /// Rounds a trader's limit onto the grid toward the safe side, then maps it to the V2 order.
    ///
    /// The grid is on YES prices. A buyer never pays more and a seller never receives less than asked:
    /// buy YES rounds the YES price down, sell YES rounds it up; buy NO @ q is an ask at 1 − q, so the YES
    /// price rounds up (the NO price paid goes down); sell NO rounds the YES price down.
    public func safeQuote(action: OrderAction, side: OutcomeSide, price: Price) -> KalshiV2Quote? {
        let quote = KalshiV2Quote(action: action, side: side, price: price)
        let direction: RoundingDirection = quote.bookSide == .bid ? .down : .up
        return round(quote.yesPrice, direction).map { KalshiV2Quote(bookSide: quote.bookSide, yesPrice: $0) }
    }

    public var description: String { "[" + ranges.map(\.description).joined(separator: ", ") + "]" }
}

extension PriceRange {
    fileprivate init(unchecked start: Int64, _ end: Int64, _ step: Int64) {
        self.start = Dollars(micros: start)
        self.end = Dollars(micros: end)
        self.step = Dollars(micros: step)
    }
}
