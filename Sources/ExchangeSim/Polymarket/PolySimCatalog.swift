import Markets
import PolymarketWire

/// A binary market (a condition) the Polymarket simulator lists: its YES and NO tokens, tick, minimum
/// size, neg-risk flag and fee.
public struct PolySimMarketSpec: Sendable, Hashable {
    public var conditionID: String
    public var question: String
    public var slug: String
    /// Decimal uint256 token ids.
    public var yesToken: String
    public var noToken: String
    public var tick: PolyTickSize
    public var minimumSize: Dollars
    public var negRisk: Bool
    /// `base_fee` of `GET /fee-rate`, basis points (takers pay `rate × C × P × (1 − P)`).
    public var feeRateBps: Int64
    public var active = true
    public var closed = false
    /// The outcome that won, once resolved.
    public var winner: OutcomeSide?
    /// Where synthetic activity centres the YES book.
    public var fairPrice: Price
    /// The Kalshi market the embedded default pairs this one with (informational).
    public var pairedKalshiTicker: String?

    public init(question: String, slug: String, tick: PolyTickSize, minimumSize: Dollars, negRisk: Bool, feeRateBps: Int64, fairPrice: Price,
                pairedKalshiTicker: String? = nil) {
        // Ids as the venue makes them: a 32-byte condition id and two 256-bit token ids, here derived from the slug.
        conditionID = Hex.encode(Keccak256.hash("condition:" + slug))
        yesToken = UInt256(bigEndian: Keccak256.hash("token:yes:" + slug))?.description ?? "1"
        noToken = UInt256(bigEndian: Keccak256.hash("token:no:" + slug))?.description ?? "2"
        self.question = question
        self.slug = slug
        self.tick = tick
        self.minimumSize = minimumSize
        self.negRisk = negRisk
        self.feeRateBps = feeRateBps
        self.fairPrice = fairPrice
        self.pairedKalshiTicker = pairedKalshiTicker
    }

    /// The outcome a token represents in this market.
    public func outcome(of token: String) -> OutcomeSide? {
        token == yesToken ? .yes : token == noToken ? .no : nil
    }

    public func token(_ side: OutcomeSide) -> String { side == .yes ? yesToken : noToken }
}

/// The Polymarket simulator's default listing: markets that mirror some of the Kalshi simulator's (so the
/// embedded default has pairs to arbitrage), on cent and tenth-of-a-cent ticks, one of them neg-risk and
/// one charging taker fees.
public enum PolySimCatalog {
    public static func standard() -> [PolySimMarketSpec] {
        func price(_ micros: Int64) -> Price { Price(micros: micros) ?? Price(micros: 500_000)! }
        let five = Dollars(micros: 5_000_000)
        return [
            PolySimMarketSpec(question: "Will the Bills win on Jan 11?", slug: "nfl-buf-2026-01-11", tick: .cent, minimumSize: five, negRisk: false,
                              feeRateBps: 0, fairPrice: price(350_000), pairedKalshiTicker: "KXNFL-26JAN11-BUF"),
            PolySimMarketSpec(question: "Will the Chiefs win on Jan 11?", slug: "nfl-kc-2026-01-11", tick: .cent, minimumSize: five, negRisk: false,
                              feeRateBps: 0, fairPrice: price(450_000), pairedKalshiTicker: "KXNFL-26JAN11-KC"),
            PolySimMarketSpec(question: "NYC high above 64°F on Jan 11?", slug: "nyc-high-64-2026-01-11", tick: .cent, minimumSize: five, negRisk: true,
                              feeRateBps: 0, fairPrice: price(100_000), pairedKalshiTicker: "KXHIGHNY-26JAN11-T64"),
            PolySimMarketSpec(question: "Bitcoin above $100k on Jan 11?", slug: "btc-100k-2026-01-11", tick: PolyTickSize(micros: 1_000)!,
                              minimumSize: five, negRisk: false, feeRateBps: 200, fairPrice: price(512_000), pairedKalshiTicker: "KXBTC-26JAN11-B100K"),
        ]
    }
}
