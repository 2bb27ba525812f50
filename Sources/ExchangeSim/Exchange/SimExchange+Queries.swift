import Foundation
import KalshiWire
import Markets

/// Opaque cursors: the offset of the next page.
enum SimCursor {
    static func encode(_ offset: Int) -> String { "p" + String(offset) }
    static func decode(_ cursor: String?) -> Result<Int, SimError> {
        guard let cursor, !cursor.isEmpty else { return .success(0) }
        guard cursor.hasPrefix("p"), let offset = Int(cursor.dropFirst()), offset >= 0 else {
            return .failure(.badRequest("invalid cursor"))
        }
        return .success(offset)
    }

    /// One page of `items` and the cursor of the next ("" when done).
    static func page<T>(_ items: [T], cursor: String?, limit: Int) -> Result<(items: [T], cursor: String), SimError> {
        decode(cursor).map { offset in
            let end = min(items.count, offset + limit)
            let slice = offset < items.count ? Array(items[offset..<end]) : []
            return (slice, end < items.count ? encode(end) : "")
        }
    }
}

extension SimExchange {
    func wireMarket(_ market: SimMarket) -> KalshiMarket {
        let spec = market.spec
        var wire = KalshiMarket(ticker: spec.ticker, eventTicker: spec.eventTicker, status: spec.status,
                                openTime: "2026-01-01T00:00:00Z", closeTime: "2027-01-11T23:59:00Z",
                                priceLevelStructure: spec.structure, priceRanges: spec.grid.ranges.map(PriceRangeWire.init))
        let book = market.book.orderBook
        wire.title = spec.title
        wire.exchangeIndex = spec.exchangeIndex
        if let bid = book.bestBid(.yes) { wire.yesBidDollars = bid.price.dollars; wire.yesBidSizeFP = bid.size }
        if let ask = book.bestAsk(.yes) { wire.yesAskDollars = ask.price.dollars; wire.yesAskSizeFP = ask.size }
        if let bid = book.bestBid(.no) { wire.noBidDollars = bid.price.dollars }
        if let ask = book.bestAsk(.no) { wire.noAskDollars = ask.price.dollars }
        wire.lastPriceDollars = market.lastPrice?.dollars ?? .zero
        wire.volumeFP = market.volume
        wire.result = market.result ?? ""
        // What Kalshi's schema requires of every market, with plausible simulator values.
        wire.yesSubTitle = spec.title + ": Yes"
        wire.noSubTitle = spec.title + ": No"
        wire.createdTime = "2025-12-01T00:00:00Z"
        wire.updatedTime = "2026-01-01T00:00:00Z"
        wire.latestExpirationTime = "2027-01-18T23:59:00Z"
        wire.settlementTimerSeconds = 300
        wire.notionalValueDollars = .one
        wire.previousYesBidDollars = wire.yesBidDollars
        wire.previousYesAskDollars = wire.yesAskDollars
        wire.previousPriceDollars = wire.lastPriceDollars
        wire.volume24hFP = market.volume
        wire.openInterestFP = market.volume
        wire.canCloseEarly = false
        wire.expirationValue = ""
        wire.rulesPrimary = "If \(spec.title) resolves Yes, the market resolves to Yes (simulated)."
        wire.rulesSecondary = ""
        return wire
    }

    /// Kalshi's status filter words → market statuses.
    static func matches(status filter: String?, _ status: String) -> Bool {
        switch filter {
        case nil, "": true
        case "open": status == "active"
        case "paused": status == "inactive"
        case "unopened": status == "initialized"
        case "closed": status == "closed"
        case "settled": status == "finalized"
        default: false
        }
    }

    public func listMarkets(status: String?, eventTicker: String?, seriesTicker: String?, tickers: [String], cursor: String?, limit: Int) -> Result<GetMarketsResponse, SimError> {
        if let status, !["open", "paused", "unopened", "closed", "settled"].contains(status) {
            return .failure(.badRequest("invalid status filter \(status)"))
        }
        guard (1...1_000).contains(limit) else { return .failure(.badRequest("limit must be 1-1000")) }
        let selected = self.tickers.compactMap { markets[$0] }.filter { market in
            Self.matches(status: status, market.spec.status)
                && (eventTicker.map { market.spec.eventTicker == $0 } ?? true)
                && (seriesTicker.map { market.spec.seriesTicker == $0 } ?? true)
                && (tickers.isEmpty || tickers.contains(market.spec.ticker))
        }
        return SimCursor.page(selected, cursor: cursor, limit: limit).map { page in
            GetMarketsResponse(markets: page.items.map(wireMarket), cursor: page.cursor)
        }
    }

    public func market(_ ticker: String) -> Result<GetMarketResponse, SimError> {
        guard let market = markets[ticker] else { return .failure(SimError(404, "market_not_found", "market \(ticker) not found")) }
        return .success(GetMarketResponse(market: wireMarket(market)))
    }

    /// The book as `orderbook_fp`, best `depth` levels per side (0 = all).
    public func orderbook(_ ticker: String, depth: Int) -> Result<GetMarketOrderbookResponse, SimError> {
        guard let market = markets[ticker] else { return .failure(SimError(404, "market_not_found", "market \(ticker) not found")) }
        guard (0...100).contains(depth) else { return .failure(.badRequest("depth must be 0-100")) }
        var wire = OrderbookFP(market.book.orderBook)
        if depth > 0 { wire = OrderbookFP(yesDollars: Array(wire.yesDollars.suffix(depth)), noDollars: Array(wire.noDollars.suffix(depth))) }
        return .success(GetMarketOrderbookResponse(orderbookFP: wire))
    }

    public func orderBook(_ ticker: String) -> OrderBook? { markets[ticker]?.book.orderBook }

    public func orderbooks(_ tickers: [String]) -> Result<GetMarketOrderbooksResponse, SimError> {
        guard (1...100).contains(tickers.count) else { return .failure(.badRequest("between 1 and 100 tickers")) }
        var books: [TickerOrderbook] = []
        for ticker in tickers {
            guard let market = markets[ticker] else { return .failure(SimError(404, "market_not_found", "market \(ticker) not found")) }
            books.append(TickerOrderbook(ticker: ticker, orderbookFP: OrderbookFP(market.book.orderBook)))
        }
        return .success(GetMarketOrderbooksResponse(orderbooks: books))
    }

    /// Public trades, newest first.
    public func trades(ticker: String?, cursor: String?, limit: Int) -> Result<GetTradesResponse, SimError> {
        guard (1...1_000).contains(limit) else { return .failure(.badRequest("limit must be 1-1000")) }
        let all = tickers.compactMap { markets[$0] }.filter { ticker == nil || $0.spec.ticker == ticker }
            .flatMap(\.trades).sorted { $0.tradeID.count != $1.tradeID.count ? $0.tradeID.count > $1.tradeID.count : $0.tradeID > $1.tradeID }
        return SimCursor.page(all, cursor: cursor, limit: limit).map { GetTradesResponse(trades: $0.items, cursor: $0.cursor) }
    }

    func wireEvents(_ nested: Bool) -> [KalshiEvent] {
        var seen: [String] = []
        var grouped: [String: [SimMarket]] = [:]
        for ticker in tickers {
            guard let market = markets[ticker] else { continue }
            if grouped[market.spec.eventTicker] == nil { seen.append(market.spec.eventTicker) }
            grouped[market.spec.eventTicker, default: []].append(market)
        }
        return seen.map { eventTicker in
            let members = grouped[eventTicker] ?? []
            let first = members[0].spec
            var event = KalshiEvent(eventTicker: eventTicker, seriesTicker: first.seriesTicker, title: first.title,
                                    subTitle: eventTicker, mutuallyExclusive: first.grid == .linearCent,
                                    markets: nested ? members.map(wireMarket) : nil)
            event.exchangeIndex = first.exchangeIndex
            event.collateralReturnType = first.grid == .linearCent ? "MECNET" : ""
            event.settlementSources = [KalshiSettlementSource(name: "Simulator", url: "http://127.0.0.1/")]
            return event
        }
    }

    public func events(withNestedMarkets: Bool, cursor: String?, limit: Int) -> Result<GetEventsResponse, SimError> {
        guard (1...200).contains(limit) else { return .failure(.badRequest("limit must be 1-200")) }
        return SimCursor.page(wireEvents(withNestedMarkets), cursor: cursor, limit: limit).map {
            GetEventsResponse(events: $0.items, cursor: $0.cursor)
        }
    }

    public func event(_ eventTicker: String, withNestedMarkets: Bool) -> Result<GetEventResponse, SimError> {
        guard let event = wireEvents(true).first(where: { $0.eventTicker == eventTicker }) else {
            return .failure(.notFound("event \(eventTicker)"))
        }
        var top = event
        if !withNestedMarkets { top.markets = nil }
        return .success(GetEventResponse(event: top, markets: event.markets))
    }

    func wireSeries() -> [KalshiSeries] {
        var seen: [String] = []
        var specs: [String: SimMarketSpec] = [:]
        for ticker in tickers {
            guard let spec = markets[ticker]?.spec, specs[spec.seriesTicker] == nil else { continue }
            seen.append(spec.seriesTicker)
            specs[spec.seriesTicker] = spec
        }
        return seen.compactMap { ticker in
            guard let spec = specs[ticker] else { return nil }
            var series = KalshiSeries(ticker: ticker, frequency: "daily", title: ticker, category: "simulated",
                                      feeType: "quadratic", feeMultiplier: 1)
            series.exchangeIndex = spec.exchangeIndex
            series.categories = ["simulated"]
            series.tags = []
            series.settlementSources = [KalshiSettlementSource(name: "Simulator", url: "http://127.0.0.1/")]
            series.contractURL = "http://127.0.0.1/contracts/\(ticker)"
            series.contractTermsURL = "http://127.0.0.1/contracts/\(ticker)/terms"
            series.additionalProhibitions = []
            return series
        }
    }

    public func series(_ ticker: String) -> Result<GetSeriesResponse, SimError> {
        guard let series = wireSeries().first(where: { $0.ticker == ticker }) else { return .failure(.notFound("series \(ticker)")) }
        return .success(GetSeriesResponse(series: series))
    }

    public func seriesList() -> GetSeriesListResponse { GetSeriesListResponse(series: wireSeries()) }

    // MARK: Portfolio

    public func orders(account accountID: String, ticker: String?, status: String?, cursor: String?, limit: Int) -> Result<GetOrdersResponse, SimError> {
        guard (1...1_000).contains(limit) else { return .failure(.badRequest("limit must be 1-1000")) }
        if let status, KalshiOrderStatus(rawValue: status) == nil || status == "unknown" { return .failure(.badRequest("invalid status \(status)")) }
        let selected = orders.values.filter {
            $0.account == accountID && (ticker == nil || $0.ticker == ticker) && (status == nil || $0.status.rawValue == status)
        }.sorted { $0.createdMs != $1.createdMs ? $0.createdMs > $1.createdMs : $0.orderID.count != $1.orderID.count ? $0.orderID.count > $1.orderID.count : $0.orderID > $1.orderID }
        return SimCursor.page(selected, cursor: cursor, limit: limit).map { GetOrdersResponse(orders: $0.items.map(\.wire), cursor: $0.cursor) }
    }

    public func order(account accountID: String, orderID: String) -> Result<GetOrderResponse, SimError> {
        guard let record = orders[orderID], record.account == accountID else { return .failure(.notFound("order \(orderID)")) }
        return .success(GetOrderResponse(order: record.wire))
    }

    /// - Parameter staleness: fills made this recently are not shown yet (a read lagging the matching engine).
    public func fills(account accountID: String, ticker: String?, orderID: String?, cursor: String?, limit: Int,
                      staleness: Duration = .zero) -> Result<GetFillsResponse, SimError> {
        guard (1...1_000).contains(limit) else { return .failure(.badRequest("limit must be 1-1000")) }
        let shownBefore = nowMs - staleness.wholeMilliseconds
        let selected = (fills[accountID] ?? []).reversed().lazy.filter { staleness == .zero || $0.ms <= shownBefore }.map(\.fill)
            .filter { (ticker == nil || $0.ticker == ticker) && (orderID == nil || $0.orderID == orderID) }
        return SimCursor.page(Array(selected), cursor: cursor, limit: limit).map { GetFillsResponse(fills: $0.items, cursor: $0.cursor) }
    }

    public func positions(account accountID: String, ticker: String?, cursor: String?, limit: Int) -> Result<GetPositionsResponse, SimError> {
        let account = account(accountID)
        let held = tickers.compactMap { t -> KalshiMarketPosition? in
            guard ticker == nil || ticker == t, let p = account.positions[t] else { return nil }
            return KalshiMarketPosition(ticker: t, position: p.contracts, totalTraded: p.totalTraded, exposure: p.costBasis,
                                        realizedPnl: p.realizedPnl, feesPaid: p.feesPaid, lastUpdated: SimTime.rfc3339(milliseconds: p.lastUpdatedMs))
        }
        var events: [String: KalshiEventPosition] = [:]
        for position in held {
            guard let eventTicker = markets[position.ticker]?.spec.eventTicker else { continue }
            let previous = events[eventTicker]
            events[eventTicker] = KalshiEventPosition(
                eventTicker: eventTicker,
                totalCost: Dollars(micros: (previous?.totalCostDollars.micros ?? 0) + position.marketExposureDollars.micros),
                totalCostShares: Contracts(hundredths: (previous?.totalCostSharesFP.hundredths ?? 0) + position.positionFP.magnitude.hundredths),
                exposure: Dollars(micros: (previous?.eventExposureDollars.micros ?? 0) + position.marketExposureDollars.micros),
                realizedPnl: Dollars(micros: (previous?.realizedPnlDollars.micros ?? 0) + position.realizedPnlDollars.micros),
                feesPaid: Dollars(micros: (previous?.feesPaidDollars.micros ?? 0) + position.feesPaidDollars.micros))
        }
        return SimCursor.page(held, cursor: cursor, limit: max(1, min(limit, 1_000))).map {
            GetPositionsResponse(cursor: $0.cursor, marketPositions: $0.items, eventPositions: events.keys.sorted().compactMap { events[$0] })
        }
    }

    public func balance(account accountID: String) -> GetBalanceResponse {
        let account = account(accountID)
        let value = account.positions.values.reduce(Int64(0)) { $0 + $1.costBasis.micros }
        return GetBalanceResponse(balanceDollars: account.available, portfolioValueCents: value / 10_000, updatedTs: nowMs / 1_000)
    }

    /// Cash, reserved collateral and positions of an account (tests and reports).
    public func accountSnapshot(_ accountID: String) -> (balance: Dollars, available: Dollars, positions: [String: Contracts]) {
        let account = account(accountID)
        return (account.balance, account.available, account.positions.mapValues(\.contracts))
    }
}
