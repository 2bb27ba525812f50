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
    /// What a YES contract is worth once the market has a result (`nil` until then).
    public var settlementYesValue: Dollars?

    public init(ticker: String, eventTicker: String, seriesTicker: String, grid: PriceGrid, status: String, settlementYesValue: Dollars? = nil) {
        self.ticker = ticker
        self.eventTicker = eventTicker
        self.seriesTicker = seriesTicker
        self.grid = grid
        self.status = status
        self.settlementYesValue = settlementYesValue
    }

    /// Kalshi calls an open market `active` (REST) or `open` (filters).
    public var isOpen: Bool { status == "active" || status == "open" }
}

/// Where a catalog reads a venue's markets from (the venue's REST API; a fixed list in tests).
public protocol MarketListing: Sendable {
    /// Every market open for trading now.
    func openMarkets() async throws -> [MarketInfo]
    /// One market, or `nil` when the venue does not list it.
    func market(_ ticker: String) async throws -> MarketInfo?
    /// The markets of `tickers` the venue lists (any status), in one request where the venue allows
    /// (`MarketCatalog` asks about `tickersPerLookup` at most).
    func markets(_ tickers: [String]) async throws -> [MarketInfo]
}

extension MarketListing {
    /// One market after another: for a listing that cannot be asked about several at once.
    public func markets(_ tickers: [String]) async throws -> [MarketInfo] {
        var found: [MarketInfo] = []
        for ticker in tickers { if let market = try await market(ticker) { found.append(market) } }
        return found
    }
}

/// A Kalshi venue's listing over its REST API.
public struct KalshiMarketListing: MarketListing {
    let client: KalshiDataClient

    public init(client: KalshiDataClient) { self.client = client }

    static func info(_ market: KalshiMarket) -> MarketInfo? {
        guard let grid = try? market.priceGrid() else { return nil }
        let series = market.eventTicker.split(separator: "-").first.map(String.init) ?? market.eventTicker
        return MarketInfo(ticker: market.ticker, eventTicker: market.eventTicker, seriesTicker: series, grid: grid, status: market.status,
                          settlementYesValue: market.settlementYesValue)
    }

    public func openMarkets() async throws -> [MarketInfo] {
        var filter = MarketFilter()
        filter.status = .open
        var markets: [MarketInfo] = []
        for try await market in client.markets(filter) {
            if let info = Self.info(market) { markets.append(info) }
        }
        return markets
    }

    /// `GET /markets?tickers=A,B,…` (every status): a start-up holding positions in many markets learns
    /// their results in one round trip, not one per market.
    public func markets(_ tickers: [String]) async throws -> [MarketInfo] {
        var filter = MarketFilter()
        filter.tickers = tickers
        var found: [MarketInfo] = []
        for try await market in client.markets(filter) {
            if let info = Self.info(market) { found.append(info) }
        }
        return found
    }

    public func market(_ ticker: String) async throws -> MarketInfo? {
        do {
            return Self.info(try await client.market(ticker))
        } catch {
            if case .rejected(404, _, _, _) = error.kind { return nil }
            throw error
        }
    }
}

/// Markets of one venue, loaded on demand and refreshed on an interval, so every order is checked
/// against the trading venue's own listing (in hybrid mode the data venue's listing can differ).
public actor MarketCatalog {
    private let listing: any MarketListing
    private var markets: [String: MarketInfo] = [:]

    public init(listing: any MarketListing) { self.listing = listing }

    public init(client: KalshiDataClient) { self.init(listing: KalshiMarketListing(client: client)) }

    /// Loads every open market (paginated); returns how many.
    @discardableResult
    public func refreshOpenMarkets() async throws -> Int {
        var fresh: [String: MarketInfo] = [:]
        for market in try await listing.openMarkets() { fresh[market.ticker] = market }
        markets = fresh
        return fresh.count
    }

    /// The market, fetched from the venue when not known yet; `nil` when the venue does not list it.
    public func info(_ ticker: String) async -> MarketInfo? {
        if let known = markets[ticker] { return known }
        guard let market = try? await listing.market(ticker) else { return nil }
        markets[ticker] = market
        return market
    }

    /// The market as the venue lists it now (not the cached copy): its result once it has one.
    public func current(_ ticker: String) async -> MarketInfo? {
        guard let market = try? await listing.market(ticker) else { return markets[ticker] }
        markets[ticker] = market
        return market
    }

    /// Markets per listing request of `current(_:)`: Kalshi documents no limit for `GET /markets?tickers=`;
    /// its order-book batch takes 100.
    static let tickersPerLookup = 100

    /// The markets of `tickers` as the venue lists them now, asked together (`tickersPerLookup` a request);
    /// a market the venue could not be asked about (or does not list) is the cached copy, if any, as
    /// `current(_:)` does for one.
    public func current(_ tickers: [String]) async -> [String: MarketInfo] {
        // A request that fails costs only its own markets (the result check asks again later).
        for chunk in tickers.chunked(Self.tickersPerLookup) {
            for market in (try? await listing.markets(Array(chunk))) ?? [] { markets[market.ticker] = market }
        }
        var answer: [String: MarketInfo] = [:]
        for ticker in tickers { answer[ticker] = markets[ticker] }
        return answer
    }

    /// A lifecycle change seen on the data feed (closed, settled, grid changed).
    public func update(_ ticker: String, status: String? = nil, grid: PriceGrid? = nil) {
        if let status { markets[ticker]?.status = status }
        if let grid { markets[ticker]?.grid = grid }
    }

    public var tickers: [String] { markets.keys.sorted() }
}

extension ListedMarket {
    /// A market as a run's orders need it: a Kalshi ticker from the trading venue's listing, a Polymarket
    /// token from its directory; `nil` when the venue does not list it (or the run has no such venue).
    static func lookup(_ platform: Platform, _ instrument: String, catalog: MarketCatalog, polymarket: PolymarketConnection?) async -> ListedMarket? {
        switch platform {
        case .kalshi:
            return await catalog.info(instrument).map {
                ListedMarket(platform: .kalshi, ticker: $0.ticker, eventTicker: $0.eventTicker, isOpen: $0.isOpen, status: $0.status, grid: $0.grid,
                             fees: .kalshi(seriesTicker: $0.seriesTicker))
            }
        case .polymarket:
            return await polymarket?.listed(instrument)
        }
    }
}
