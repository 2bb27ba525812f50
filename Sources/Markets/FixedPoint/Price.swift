/// A contract price strictly between $0 and $1, in micro-dollars. Kalshi and Polymarket both quote in
/// this range; $0 and $1 are never valid order or book prices. Constructing one proves the range.
public struct Price: FixedPointNumber {
    public let micros: Int64

    /// Fails unless `0 < micros < 1_000_000`.
    public init?(micros: Int64) {
        guard micros > 0, micros < Dollars.scale else { return nil }
        self.micros = micros
    }

    /// Parses a `FixedPointDollars` string that must lie strictly between 0 and 1.
    public init(parsing text: String) throws(FixedPointError) {
        let dollars = try Dollars(parsing: text)
        guard let price = Price(dollars) else {
            throw FixedPointError(kind: "price", input: text, reason: .outOfRange("(0, 1) dollars"))
        }
        self = price
    }

    /// Legacy integer cents, 1...99.
    public init(cents: Int64) throws(FixedPointError) {
        guard cents >= 1, cents <= 99 else {
            throw FixedPointError(kind: "price in cents", input: String(cents), reason: .outOfRange("1...99"))
        }
        micros = cents * 10_000
    }

    public init?(_ dollars: Dollars) { self.init(micros: dollars.micros) }

    /// Reads this YES price as the price of `side` (a NO contract costs the complement).
    public func of(_ side: OutcomeSide) -> Price { side == .yes ? self : complement }

    /// The price of the other outcome: 1 − p (a NO price from a YES price and back).
    public var complement: Price {
        // 0 < p < 1 implies 0 < 1 − p < 1.
        Price(unchecked: Dollars.scale - micros)
    }

    public var dollars: Dollars { Dollars(micros: micros) }
    public var scaledValue: Int64 { micros }
    public var wireString: String { dollars.wireString }
    public var exactCents: Int64? { dollars.exactCents }

    /// Total cost of `count` contracts at this price, rounded onto whole micro-dollars in `direction`
    /// (`.up` for what a buyer pays, `.down` for what a seller receives).
    public func notional(_ count: Contracts, rounding direction: RoundingDirection = .up) throws(ArithmeticOverflowError) -> Dollars {
        let exact = Int128(micros) * Int128(count.hundredths)
        let micros = FixedMath.divide(exact, by: Int128(Contracts.scale), direction)
        guard let value = Int64(exactly: micros) else {
            throw ArithmeticOverflowError(operation: "\(self) × \(count)")
        }
        return Dollars(micros: value)
    }

    init(unchecked micros: Int64) { self.micros = micros }
}

extension Price: CustomStringConvertible {
    public var description: String { "$" + wireString }
}

