import Markets

/// `Market` (OAS 3.31.0). Required fields the product uses are strict; unknown fields are ignored.
public struct KalshiMarket: Hashable, Sendable, Codable {
    public var ticker: String
    public var eventTicker: String
    public var marketType: String
    /// `initialized|inactive|active|closed|determined|disputed|amended|finalized`.
    public var status: String
    public var openTime: String
    public var closeTime: String
    public var yesBidDollars: Dollars
    public var yesAskDollars: Dollars
    public var noBidDollars: Dollars
    public var noAskDollars: Dollars
    public var yesBidSizeFP: Contracts
    public var yesAskSizeFP: Contracts
    public var lastPriceDollars: Dollars
    public var volumeFP: Contracts
    public var openInterestFP: Contracts
    public var result: String
    public var priceLevelStructure: String
    public var priceRanges: [PriceRangeWire]
    public var title: String?
    public var yesSubTitle: String?
    public var noSubTitle: String?
    public var createdTime: String?
    /// What a YES contract settled at (scalar markets; `result` says it for binary ones).
    public var settlementValueDollars: Dollars?
    public var exchangeIndex: Int?
    // Required by Kalshi's schema, descriptive here (the product never reads them; the simulator sends them).
    public var updatedTime: String?
    public var latestExpirationTime: String?
    public var settlementTimerSeconds: Int?
    public var notionalValueDollars: Dollars?
    public var previousYesBidDollars: Dollars?
    public var previousYesAskDollars: Dollars?
    public var previousPriceDollars: Dollars?
    public var volume24hFP: Contracts?
    public var canCloseEarly: Bool?
    public var expirationValue: String?
    public var rulesPrimary: String?
    public var rulesSecondary: String?

    public init(ticker: String, eventTicker: String, status: String, openTime: String, closeTime: String,
                priceLevelStructure: String, priceRanges: [PriceRangeWire]) {
        self.ticker = ticker
        self.eventTicker = eventTicker
        marketType = "binary"
        self.status = status
        self.openTime = openTime
        self.closeTime = closeTime
        yesBidDollars = .zero
        yesAskDollars = .zero
        noBidDollars = .zero
        noAskDollars = .zero
        yesBidSizeFP = .zero
        yesAskSizeFP = .zero
        lastPriceDollars = .zero
        volumeFP = .zero
        openInterestFP = .zero
        result = ""
        self.priceLevelStructure = priceLevelStructure
        self.priceRanges = priceRanges
    }

    /// Whether orders are accepted now.
    public var isOpen: Bool { status == "active" }

    /// The market's price grid.
    public func priceGrid() throws(PriceGridError) -> PriceGrid { try PriceGrid(wire: priceRanges) }

    enum CodingKeys: String, CodingKey {
        case ticker, status, result, title
        case eventTicker = "event_ticker"
        case marketType = "market_type"
        case openTime = "open_time"
        case closeTime = "close_time"
        case yesBidDollars = "yes_bid_dollars"
        case yesAskDollars = "yes_ask_dollars"
        case noBidDollars = "no_bid_dollars"
        case noAskDollars = "no_ask_dollars"
        case yesBidSizeFP = "yes_bid_size_fp"
        case yesAskSizeFP = "yes_ask_size_fp"
        case lastPriceDollars = "last_price_dollars"
        case volumeFP = "volume_fp"
        case openInterestFP = "open_interest_fp"
        case priceLevelStructure = "price_level_structure"
        case priceRanges = "price_ranges"
        case yesSubTitle = "yes_sub_title"
        case noSubTitle = "no_sub_title"
        case createdTime = "created_time"
        case settlementValueDollars = "settlement_value_dollars"
        case exchangeIndex = "exchange_index"
        case updatedTime = "updated_time"
        case latestExpirationTime = "latest_expiration_time"
        case settlementTimerSeconds = "settlement_timer_seconds"
        case notionalValueDollars = "notional_value_dollars"
        case previousYesBidDollars = "previous_yes_bid_dollars"
        case previousYesAskDollars = "previous_yes_ask_dollars"
        case previousPriceDollars = "previous_price_dollars"
        case volume24hFP = "volume_24h_fp"
        case canCloseEarly = "can_close_early"
        case expirationValue = "expiration_value"
        case rulesPrimary = "rules_primary"
        case rulesSecondary = "rules_secondary"
    }

    /// What one YES contract is worth now that the market has a result, or `nil` while it has none.
    public var settlementYesValue: Dollars? { KalshiSettlement.yesValue(result: result, settlementValue: settlementValueDollars) }
}

/// Reading a Kalshi market's result as money.
public enum KalshiSettlement {
    /// $1 for `yes`, $0 for `no`, the settlement value (between $0 and $1) for `scalar`; `nil` for no
    /// result yet or anything unreadable (never guessed).
    public static func yesValue(result: String?, settlementValue: Dollars?) -> Dollars? {
        switch result?.lowercased() {
        case "yes": return .one
        case "no": return .zero
        case "scalar":
            guard let value = settlementValue, value.micros >= 0, value <= .one else { return nil }
            return value
        default: return nil
        }
    }
}

public struct GetMarketsResponse: Hashable, Sendable, Codable {
    public var markets: [KalshiMarket]
    /// Empty or absent: no more pages.
    public var cursor: String?
    public init(markets: [KalshiMarket], cursor: String?) {
        self.markets = markets
        self.cursor = cursor
    }
}

public struct GetMarketResponse: Hashable, Sendable, Codable {
    public var market: KalshiMarket
    public init(market: KalshiMarket) { self.market = market }
}

/// `EventData`.
public struct KalshiEvent: Hashable, Sendable, Codable {
    public var eventTicker: String
    public var seriesTicker: String
    public var title: String
    public var subTitle: String
    public var mutuallyExclusive: Bool
    public var markets: [KalshiMarket]?
    public var exchangeIndex: Int?
    /// `MECNET`, `DIRECNET` or "".
    public var collateralReturnType: String?
    public var settlementSources: [KalshiSettlementSource]?

    public init(eventTicker: String, seriesTicker: String, title: String, subTitle: String, mutuallyExclusive: Bool,
                markets: [KalshiMarket]? = nil) {
        self.eventTicker = eventTicker
        self.seriesTicker = seriesTicker
        self.title = title
        self.subTitle = subTitle
        self.mutuallyExclusive = mutuallyExclusive
        self.markets = markets
    }

    enum CodingKeys: String, CodingKey {
        case title, markets
        case eventTicker = "event_ticker"
        case seriesTicker = "series_ticker"
        case subTitle = "sub_title"
        case mutuallyExclusive = "mutually_exclusive"
        case exchangeIndex = "exchange_index"
        case collateralReturnType = "collateral_return_type"
        case settlementSources = "settlement_sources"
    }
}

/// `SettlementSource`: where a market's result is determined.
public struct KalshiSettlementSource: Hashable, Sendable, Codable {
    public var name: String?
    public var url: String?
    public init(name: String?, url: String?) {
        self.name = name
        self.url = url
    }
}

public struct GetEventsResponse: Hashable, Sendable, Codable {
    public var events: [KalshiEvent]
    public var cursor: String?
    public init(events: [KalshiEvent], cursor: String?) {
        self.events = events
        self.cursor = cursor
    }
}

public struct GetEventResponse: Hashable, Sendable, Codable {
    public var event: KalshiEvent
    /// Deprecated top-level copy of the markets.
    public var markets: [KalshiMarket]?
    public init(event: KalshiEvent, markets: [KalshiMarket]?) {
        self.event = event
        self.markets = markets
    }
}

/// A public trade.
public struct KalshiTrade: Hashable, Sendable, Codable {
    public var tradeID: String
    public var ticker: String
    public var countFP: Contracts
    public var yesPriceDollars: Dollars
    public var noPriceDollars: Dollars
    public var takerOutcomeSide: OutcomeSide
    public var takerBookSide: BookSide
    public var createdTime: String
    public var isBlockTrade: Bool?

    public init(tradeID: String, ticker: String, count: Contracts, yesPrice: Price, takerBookSide: BookSide, createdTime: String) {
        self.tradeID = tradeID
        self.ticker = ticker
        countFP = count
        yesPriceDollars = yesPrice.dollars
        noPriceDollars = yesPrice.complement.dollars
        self.takerBookSide = takerBookSide
        takerOutcomeSide = takerBookSide == .bid ? .yes : .no
        self.createdTime = createdTime
    }

    enum CodingKeys: String, CodingKey {
        case ticker
        case tradeID = "trade_id"
        case countFP = "count_fp"
        case yesPriceDollars = "yes_price_dollars"
        case noPriceDollars = "no_price_dollars"
        case takerOutcomeSide = "taker_outcome_side"
        case takerBookSide = "taker_book_side"
        case createdTime = "created_time"
        case isBlockTrade = "is_block_trade"
    }
}

public struct GetTradesResponse: Hashable, Sendable, Codable {
    public var trades: [KalshiTrade]
    public var cursor: String?
    public init(trades: [KalshiTrade], cursor: String?) {
        self.trades = trades
        self.cursor = cursor
    }
}

/// `GET /markets/orderbooks` element.
public struct TickerOrderbook: Hashable, Sendable, Codable {
    public var ticker: String
    public var orderbookFP: OrderbookFP
    public init(ticker: String, orderbookFP: OrderbookFP) {
        self.ticker = ticker
        self.orderbookFP = orderbookFP
    }
    enum CodingKeys: String, CodingKey {
        case ticker
        case orderbookFP = "orderbook_fp"
    }
}

public struct GetMarketOrderbooksResponse: Hashable, Sendable, Codable {
    public var orderbooks: [TickerOrderbook]
    public init(orderbooks: [TickerOrderbook]) { self.orderbooks = orderbooks }
}

/// `GET /exchange/status`.
public struct ExchangeStatus: Hashable, Sendable, Codable {
    public var exchangeActive: Bool
    public var tradingActive: Bool
    public var exchangeEstimatedResumeTime: String?

    public init(exchangeActive: Bool, tradingActive: Bool) {
        self.exchangeActive = exchangeActive
        self.tradingActive = tradingActive
    }

    enum CodingKeys: String, CodingKey {
        case exchangeActive = "exchange_active"
        case tradingActive = "trading_active"
        case exchangeEstimatedResumeTime = "exchange_estimated_resume_time"
    }
}
