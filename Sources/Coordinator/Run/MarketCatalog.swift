import DataClient
import KalshiWire
import Markets

/// What an order needs to know about a market on the venue it trades on.
public struct MarketInfo: Sendable, Hashable {
    public var ticker: String
    public var eventTicker: String
    public var seriesTicker: String
    public var grid: PriceGrid
    public var status: String

    /// Kalshi calls an open market `active` (REST) or `open` (filters).
    public var isOpen: Bool { status == "active" || status == "open" }
}

/// Markets of one venue, loaded on demand and refreshed on an interval, so every order is checked
/// against the trading venue's own listing (in hybrid mode the data venue's listing can differ).
public actor MarketCatalog {
    private let client: KalshiDataClient
    private var markets: [String: MarketInfo] = [:]

    public init(client: KalshiDataClient) { self.client = client }

    static func info(_ market: KalshiMarket) -> MarketInfo? {
        guard let grid = try? market.priceGrid() else { return nil }
        let series = market.eventTicker.split(separator: "-").first.map(String.init) ?? market.eventTicker
        return MarketInfo(ticker: market.ticker, eventTicker: market.eventTicker, seriesTicker: series, grid: grid, status: market.status)
    }

    /// Loads every open market (paginated); returns how many.
    @discardableResult
    public func refreshOpenMarkets() async throws -> Int {
        var filter = MarketFilter()
        filter.status = .open
        var fresh: [String: MarketInfo] = [:]
        for try await market in client.markets(filter) {
            if let info = Self.info(market) { fresh[market.ticker] = info }
        }
        markets = fresh
        return fresh.count
    }

    /// The market, fetched from the venue when not known yet; `nil` when the venue does not list it.
    public func info(_ ticker: String) async -> MarketInfo? {
        if let known = markets[ticker] { return known }
        guard let market = try? await client.market(ticker), let info = Self.info(market) else { return nil }
        markets[ticker] = info
        return info
    }

    /// A lifecycle change seen on the data feed (closed, settled, grid changed).
    public func update(_ ticker: String, status: String? = nil, grid: PriceGrid? = nil) {
        if let status { markets[ticker]?.status = status }
        if let grid { markets[ticker]?.grid = grid }
    }

    public var tickers: [String] { markets.keys.sorted() }
}
