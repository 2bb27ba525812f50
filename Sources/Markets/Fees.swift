/// A fee coefficient applied to `C · P · (1 − P)`, in parts per million (0.07 = 70,000 ppm).
public struct FeeRate: Hashable, Sendable, CustomStringConvertible {
    public let ppm: Int64

    public init(ppm: Int64) { self.ppm = ppm }

    /// Parses a decimal coefficient such as "0.07" or "0.0175" (up to 6 decimals, non-negative).
    public init(parsing text: String) throws(FixedPointError) {
        let value = try Dollars(parsing: text)
        guard value.micros >= 0 else {
            throw FixedPointError(kind: "fee rate", input: text, reason: .negativeNotAllowed)
        }
        ppm = value.micros
    }

    /// General taker fee: 0.07.
    public static let kalshiTaker = FeeRate(ppm: 70_000)
    /// Maker fee on markets with maker fees: 0.0175 (= 0.25 × 0.07).
    public static let kalshiMaker = FeeRate(ppm: 17_500)
    /// S&P 500 (`INX*`) and Nasdaq-100 (`NASDAQ100*`) series: 0.035.
    public static let kalshiIndexTaker = FeeRate(ppm: 35_000)

    public var description: String { Dollars(micros: ppm).wireString }
}

/// Whether an execution added liquidity (maker) or took it (taker).
public enum LiquidityRole: String, Sendable, Hashable, Codable {
    case maker
    case taker
}

/// Kalshi's published fee formulas, for pre-trade estimates. Accounting uses the `fee_cost` the exchange
/// reports on each fill, which can differ by sub-cent rounding (kalshi.md §6).
public enum KalshiFees {
    /// `ceil(rate · C · P · (1 − P))` to the cent, with C in contracts and P in dollars.
    ///
    /// Computed exactly in 128-bit integers: rate (ppm) × count (hundredths) × P (µ$) × (1 − P) (µ$) is
    /// the fee in units of 10⁻²⁰ dollars, i.e. 10⁻¹⁸ cents.
    public static func estimate(rate: FeeRate, count: Contracts, price: Price) -> Dollars {
        let product = Int128(rate.ppm) * Int128(count.magnitude.hundredths)
            * Int128(price.micros) * Int128(price.complement.micros)
        let cents = FixedMath.divide(product, by: 1_000_000_000_000_000_000, .up)
        // Bounded: rate ≤ 9.2e12 ppm is absurd in practice; clamp rather than trap on a hostile input.
        let micros = Int64(clamping: cents * 10_000)
        return Dollars(micros: micros)
    }

    /// The fee coefficient for a series and liquidity role (taker 0.07, 0.035 for the index series;
    /// maker 0.0175 where a market charges maker fees).
    public static func rate(seriesTicker: String, role: LiquidityRole) -> FeeRate {
        switch role {
        case .maker:
            return .kalshiMaker
        case .taker:
            let upper = seriesTicker.uppercased()
            return upper.hasPrefix("INX") || upper.hasPrefix("NASDAQ100") ? .kalshiIndexTaker : .kalshiTaker
        }
    }
}

/// How a venue charges for an execution, per fill: a venue-neutral seam so paper fills and balance
/// checks price fees the way the trading venue does.
public enum FeeSchedule: Hashable, Sendable {
    /// Kalshi: `ceil(rate × C × P × (1 − P))` to the cent, per role.
    case kalshi(taker: FeeRate, maker: FeeRate)
    /// Polymarket: takers pay `rate × C × P × (1 − P)`, floored to 5 decimals (pUSD); makers pay nothing.
    case polymarket(taker: FeeRate)
    case free

    /// Kalshi's general schedule for a series (taker 0.07, 0.035 for the index series; no maker fee on the
    /// markets this program trades).
    public static func kalshi(seriesTicker: String) -> FeeSchedule {
        .kalshi(taker: KalshiFees.rate(seriesTicker: seriesTicker, role: .taker), maker: FeeRate(ppm: 0))
    }

    /// Polymarket's taker rate from `GET /fee-rate` (`fee_rate_bps`; 100 bps = 1 %).
    public static func polymarket(feeRateBps: Int64) -> FeeSchedule {
        .polymarket(taker: FeeRate(ppm: max(0, feeRateBps) * 100))
    }

    /// The fee of one fill of `count` contracts at `price`.
    public func fee(count: Contracts, price: Price, role: LiquidityRole) -> Dollars {
        switch self {
        case let .kalshi(taker, maker):
            return KalshiFees.estimate(rate: role == .taker ? taker : maker, count: count, price: price)
        case let .polymarket(taker):
            guard role == .taker else { return .zero }
            // rate (ppm) × count (hundredths) × P (µ$) × (1 − P) (µ$) = 10⁻²⁰ dollars; floored to 10⁻⁵ dollars.
            let product = Int128(taker.ppm) * Int128(count.magnitude.hundredths) * Int128(price.micros) * Int128(price.complement.micros)
            let hundredThousandths = FixedMath.divide(product, by: 1_000_000_000_000_000, .down)
            return Dollars(micros: Int64(clamping: hundredThousandths * 10))
        case .free:
            return .zero
        }
    }
}
