import Markets

/// A market the simulator lists.
public struct SimMarketSpec: Sendable, Hashable {
    public var ticker: String
    public var eventTicker: String
    public var seriesTicker: String
    public var title: String
    public var grid: PriceGrid
    /// `price_level_structure` label (informational; logic keys off the grid).
    public var structure: String
    /// `active` trades; anything else refuses orders with `MARKET_INACTIVE`.
    public var status: String = "active"
    public var exchangeIndex: Int = 0
    /// Where synthetic activity centres the book, if enabled.
    public var fairPrice: Price

    public init(ticker: String, eventTicker: String, seriesTicker: String, title: String, grid: PriceGrid, structure: String, fairPrice: Price) {
        self.ticker = ticker
        self.eventTicker = eventTicker
        self.seriesTicker = seriesTicker
        self.title = title
        self.grid = grid
        self.structure = structure
        self.fairPrice = fairPrice
    }
}

/// The simulator's default listing: a few events with cent and sub-cent grids on two shards.
public enum SimCatalog {
    public static func standard() -> [SimMarketSpec] {
        func price(_ micros: Int64) -> Price { Price(micros: micros) ?? Price(micros: 500_000)! }
        var specs: [SimMarketSpec] = []
        for (index, team) in ["BUF", "KC", "PHI", "DAL"].enumerated() {
            specs.append(SimMarketSpec(
                ticker: "KXNFL-26JAN11-\(team)", eventTicker: "KXNFL-26JAN11", seriesTicker: "KXNFL",
                title: "Will \(team) win on Jan 11?", grid: .linearCent, structure: "linear_cent",
                fairPrice: price(350_000 + Int64(index) * 100_000)))
        }
        for (index, strike) in ["T60", "T62", "T64"].enumerated() {
            specs.append(SimMarketSpec(
                ticker: "KXHIGHNY-26JAN11-\(strike)", eventTicker: "KXHIGHNY-26JAN11", seriesTicker: "KXHIGHNY",
                title: "NYC high above \(strike.dropFirst())°F on Jan 11?", grid: .taperedDeciCent, structure: "tapered_deci_cent",
                fairPrice: price(600_000 - Int64(index) * 250_000)))
        }
        var btc = SimMarketSpec(
            ticker: "KXBTC-26JAN11-B100K", eventTicker: "KXBTC-26JAN11", seriesTicker: "KXBTC",
            title: "Bitcoin above $100k on Jan 11?", grid: .deciCent, structure: "deci_cent", fairPrice: price(512_000))
        btc.exchangeIndex = 2
        specs.append(btc)
        return specs
    }
}
