import Foundation
import KalshiWire
import Markets

/// `GET /markets` filters (kalshi.md §3.3). Only one status per request.
public struct MarketFilter: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable { case unopened, open, paused, closed, settled }
    public enum MultivariateFilter: String, Sendable, Hashable { case only, exclude }

    public var status: Status?
    public var eventTicker: String?
    public var seriesTicker: String?
    public var tickers: [String] = []
    public var minCreatedTs: Int64?
    public var maxCreatedTs: Int64?
    public var minUpdatedTs: Int64?
    public var maxUpdatedTs: Int64?
    public var minCloseTs: Int64?
    public var maxCloseTs: Int64?
    public var minSettledTs: Int64?
    public var maxSettledTs: Int64?
    public var multivariate: MultivariateFilter?
    /// Page size, 1–1000.
    public var limit = 1_000

    public init(status: Status? = nil) { self.status = status }

    var query: [(name: String, value: String)] {
        var query: [(name: String, value: String)] = [("limit", String(limit))]
        func add(_ name: String, _ value: (some CustomStringConvertible)?) { if let value { query.append((name, value.description)) } }
        add("status", status?.rawValue)
        add("event_ticker", eventTicker)
        add("series_ticker", seriesTicker)
        if !tickers.isEmpty { query.append(("tickers", tickers.joined(separator: ","))) }
        add("min_created_ts", minCreatedTs)
        add("max_created_ts", maxCreatedTs)
        add("min_updated_ts", minUpdatedTs)
        add("max_updated_ts", maxUpdatedTs)
        add("min_close_ts", minCloseTs)
        add("max_close_ts", maxCloseTs)
        add("min_settled_ts", minSettledTs)
        add("max_settled_ts", maxSettledTs)
        add("mve_filter", multivariate?.rawValue)
        return query
    }
}

/// Read-only Kalshi market data over REST. It holds its transport privately and exposes no method that
/// could place, amend or cancel an order: production credentials given to it can only read.
public final class KalshiDataClient: Sendable {
    private let transport: KalshiTransport

    public init(transport: KalshiTransport) { self.transport = transport }

    /// Opens the connection ahead of the first request.
    public func warmUp() async { await transport.warmUp() }

    public func shutdown() async throws { try await transport.shutdown() }

    /// Markets matching `filter`, page by page as the caller iterates.
    public func markets(_ filter: MarketFilter = MarketFilter()) -> Paginated<KalshiMarket> {
        let transport = transport
        return Paginated { cursor in
            var query = filter.query
            if let cursor { query.append(("cursor", cursor)) }
            let page = try await transport.send(KalshiRequest(.get, "/markets", query: query), as: GetMarketsResponse.self)
            return (page.markets, page.cursor)
        }
    }

    public func market(_ ticker: String) async throws(KalshiAPIError) -> KalshiMarket {
        try await transport.send(KalshiRequest(.get, "/markets/" + KalshiRequest.segment(ticker)), as: GetMarketResponse.self).market
    }

    /// Events (excluding multivariate combos), optionally with their markets nested.
    public func events(status: MarketFilter.Status? = nil, seriesTicker: String? = nil, withNestedMarkets: Bool = false, limit: Int = 200) -> Paginated<KalshiEvent> {
        let transport = transport
        return Paginated { cursor in
            var query: [(name: String, value: String)] = [("limit", String(limit)), ("with_nested_markets", String(withNestedMarkets))]
            if let status { query.append(("status", status.rawValue)) }
            if let seriesTicker { query.append(("series_ticker", seriesTicker)) }
            if let cursor { query.append(("cursor", cursor)) }
            let page = try await transport.send(KalshiRequest(.get, "/events", query: query), as: GetEventsResponse.self)
            return (page.events, page.cursor)
        }
    }

    public func event(_ eventTicker: String, withNestedMarkets: Bool = true) async throws(KalshiAPIError) -> GetEventResponse {
        try await transport.send(
            KalshiRequest(.get, "/events/" + KalshiRequest.segment(eventTicker), query: [("with_nested_markets", String(withNestedMarkets))]),
            as: GetEventResponse.self)
    }

    /// The market's book from `orderbook_fp` (bids only; asks implied). `depth` 0 = all levels.
    public func orderbook(_ ticker: String, depth: Int = 0) async throws -> OrderBook {
        let query: [(name: String, value: String)] = depth > 0 ? [("depth", String(depth))] : []
        let response = try await transport.send(
            KalshiRequest(.get, "/markets/\(KalshiRequest.segment(ticker))/orderbook", query: query), as: GetMarketOrderbookResponse.self)
        return try response.orderbookFP.orderBook(ticker: ticker)
    }

    /// Up to 100 books in one request.
    public func orderbooks(_ tickers: [String]) async throws -> [OrderBook] {
        guard !tickers.isEmpty else { return [] }
        var books: [OrderBook] = []
        for chunk in stride(from: 0, to: tickers.count, by: 100).map({ Array(tickers[$0..<min($0 + 100, tickers.count)]) }) {
            let response = try await transport.send(
                KalshiRequest(.get, "/markets/orderbooks", query: chunk.map { ("tickers", $0) }), as: GetMarketOrderbooksResponse.self)
            for entry in response.orderbooks { books.append(try entry.orderbookFP.orderBook(ticker: entry.ticker)) }
        }
        return books
    }

    /// Public trades, newest first.
    public func trades(ticker: String? = nil, minTs: Int64? = nil, maxTs: Int64? = nil, limit: Int = 1_000) -> Paginated<KalshiTrade> {
        let transport = transport
        return Paginated { cursor in
            var query: [(name: String, value: String)] = [("limit", String(limit))]
            if let ticker { query.append(("ticker", ticker)) }
            if let minTs { query.append(("min_ts", String(minTs))) }
            if let maxTs { query.append(("max_ts", String(maxTs))) }
            if let cursor { query.append(("cursor", cursor)) }
            let page = try await transport.send(KalshiRequest(.get, "/markets/trades", query: query), as: GetTradesResponse.self)
            return (page.trades, page.cursor)
        }
    }

    /// A series and its fee rules.
    public func series(_ ticker: String) async throws(KalshiAPIError) -> KalshiSeries {
        try await transport.send(KalshiRequest(.get, "/series/" + KalshiRequest.segment(ticker)), as: GetSeriesResponse.self).series
    }

    public func exchangeStatus() async throws(KalshiAPIError) -> ExchangeStatus {
        try await transport.send(KalshiRequest(.get, "/exchange/status"), as: ExchangeStatus.self)
    }
}
