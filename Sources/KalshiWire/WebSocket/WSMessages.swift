import Foundation
import Markets

/// `orderbook_snapshot.msg`: each side's key is absent when that side is empty.
public struct WSOrderbookSnapshot: Sendable, Hashable, Codable {
    public var marketTicker: String
    public var marketID: String?
    public var yesDollarsFP: [PriceLevelFP]?
    public var noDollarsFP: [PriceLevelFP]?

    public init(marketTicker: String, yes: [PriceLevelFP], no: [PriceLevelFP]) {
        self.marketTicker = marketTicker
        marketID = nil
        yesDollarsFP = yes.isEmpty ? nil : yes
        noDollarsFP = no.isEmpty ? nil : no
    }

    enum CodingKeys: String, CodingKey {
        case marketTicker = "market_ticker"
        case marketID = "market_id"
        case yesDollarsFP = "yes_dollars_fp"
        case noDollarsFP = "no_dollars_fp"
    }

    /// The domain book. `yesPriceScale`: the subscription used `use_yes_price`, so NO levels are quoted
    /// on the YES scale and are converted back to NO bid prices.
    public func orderBook(yesPriceScale: Bool) throws(OrderBookError) -> OrderBook {
        let no = (noDollarsFP ?? []).map { BookLevel(price: yesPriceScale ? $0.price.complement : $0.price, size: $0.count) }
        return try OrderBook(ticker: marketTicker, yesBids: (yesDollarsFP ?? []).map { BookLevel(price: $0.price, size: $0.count) }, noBids: no)
    }
}

/// `orderbook_delta.msg`: a signed size change at one price of one side.
public struct WSOrderbookDelta: Sendable, Hashable, Codable {
    public var marketTicker: String
    public var marketID: String?
    public var priceDollars: Price
    public var deltaFP: Contracts
    public var side: OutcomeSide
    /// Present only when your own order caused the change.
    public var clientOrderID: String?
    public var tsMs: Int64?

    public init(marketTicker: String, price: Price, delta: Contracts, side: OutcomeSide, clientOrderID: String? = nil, tsMs: Int64? = nil) {
        self.marketTicker = marketTicker
        priceDollars = price
        deltaFP = delta
        self.side = side
        self.clientOrderID = clientOrderID
        self.tsMs = tsMs
    }

    enum CodingKeys: String, CodingKey {
        case side
        case marketTicker = "market_ticker"
        case marketID = "market_id"
        case priceDollars = "price_dollars"
        case deltaFP = "delta_fp"
        case clientOrderID = "client_order_id"
        case tsMs = "ts_ms"
    }
}

/// `ticker.msg`.
public struct WSTicker: Sendable, Hashable, Codable {
    public var marketTicker: String
    public var priceDollars: Dollars?
    public var yesBidDollars: Dollars?
    public var yesAskDollars: Dollars?
    public var yesBidSizeFP: Contracts?
    public var yesAskSizeFP: Contracts?
    public var volumeFP: Contracts?
    public var tsMs: Int64?

    public init(marketTicker: String, price: Dollars?, yesBid: Dollars?, yesAsk: Dollars?, yesBidSize: Contracts?, yesAskSize: Contracts?,
                volume: Contracts?, tsMs: Int64?) {
        self.marketTicker = marketTicker
        priceDollars = price
        yesBidDollars = yesBid
        yesAskDollars = yesAsk
        yesBidSizeFP = yesBidSize
        yesAskSizeFP = yesAskSize
        volumeFP = volume
        self.tsMs = tsMs
    }

    enum CodingKeys: String, CodingKey {
        case marketTicker = "market_ticker"
        case priceDollars = "price_dollars"
        case yesBidDollars = "yes_bid_dollars"
        case yesAskDollars = "yes_ask_dollars"
        case yesBidSizeFP = "yes_bid_size_fp"
        case yesAskSizeFP = "yes_ask_size_fp"
        case volumeFP = "volume_fp"
        case tsMs = "ts_ms"
    }
}

/// `trade.msg`.
public struct WSTrade: Sendable, Hashable, Codable {
    public var tradeID: String
    public var marketTicker: String
    public var yesPriceDollars: Dollars
    public var noPriceDollars: Dollars
    public var countFP: Contracts
    public var takerOutcomeSide: OutcomeSide
    public var takerBookSide: BookSide
    public var tsMs: Int64?

    public init(_ trade: KalshiTrade, tsMs: Int64?) {
        tradeID = trade.tradeID
        marketTicker = trade.ticker
        yesPriceDollars = trade.yesPriceDollars
        noPriceDollars = trade.noPriceDollars
        countFP = trade.countFP
        takerOutcomeSide = trade.takerOutcomeSide
        takerBookSide = trade.takerBookSide
        self.tsMs = tsMs
    }

    enum CodingKeys: String, CodingKey {
        case tradeID = "trade_id"
        case marketTicker = "market_ticker"
        case yesPriceDollars = "yes_price_dollars"
        case noPriceDollars = "no_price_dollars"
        case countFP = "count_fp"
        case takerOutcomeSide = "taker_outcome_side"
        case takerBookSide = "taker_book_side"
        case tsMs = "ts_ms"
    }
}

/// `fill.msg` (private): `trade_id` is the fill id.
public struct WSFill: Sendable, Hashable, Codable {
    public var tradeID: String
    public var orderID: String
    public var clientOrderID: String?
    public var marketTicker: String
    public var isTaker: Bool
    public var yesPriceDollars: Dollars
    public var countFP: Contracts
    public var feeCost: Dollars
    public var outcomeSide: OutcomeSide
    public var bookSide: BookSide
    public var postPositionFP: Contracts?
    public var tsMs: Int64?

    public init(_ fill: KalshiFill, clientOrderID: String?, postPosition: Contracts?, tsMs: Int64?) {
        tradeID = fill.tradeID
        orderID = fill.orderID
        self.clientOrderID = clientOrderID
        marketTicker = fill.ticker
        isTaker = fill.isTaker
        yesPriceDollars = fill.yesPriceDollars
        countFP = fill.countFP
        feeCost = fill.feeCost
        outcomeSide = fill.outcomeSide
        bookSide = fill.bookSide
        postPositionFP = postPosition
        self.tsMs = tsMs
    }

    enum CodingKeys: String, CodingKey {
        case tradeID = "trade_id"
        case orderID = "order_id"
        case clientOrderID = "client_order_id"
        case marketTicker = "market_ticker"
        case isTaker = "is_taker"
        case yesPriceDollars = "yes_price_dollars"
        case countFP = "count_fp"
        case feeCost = "fee_cost"
        case outcomeSide = "outcome_side"
        case bookSide = "book_side"
        case postPositionFP = "post_position_fp"
        case tsMs = "ts_ms"
    }
}

/// `user_order.msg` (private).
public struct WSUserOrder: Sendable, Hashable, Codable {
    public var orderID: String
    public var ticker: String
    public var status: KalshiOrderStatus
    public var outcomeSide: OutcomeSide
    public var bookSide: BookSide
    public var yesPriceDollars: Dollars
    public var fillCountFP: Contracts
    public var remainingCountFP: Contracts
    public var initialCountFP: Contracts
    public var clientOrderID: String
    public var lastUpdateReason: String?

    public init(_ order: KalshiOrder, reason: String?) {
        orderID = order.orderID
        ticker = order.ticker
        status = order.status
        outcomeSide = order.outcomeSide
        bookSide = order.bookSide
        yesPriceDollars = order.yesPriceDollars
        fillCountFP = order.fillCountFP
        remainingCountFP = order.remainingCountFP
        initialCountFP = order.initialCountFP
        clientOrderID = order.clientOrderID
        lastUpdateReason = reason
    }

    enum CodingKeys: String, CodingKey {
        case ticker, status
        case orderID = "order_id"
        case outcomeSide = "outcome_side"
        case bookSide = "book_side"
        case yesPriceDollars = "yes_price_dollars"
        case fillCountFP = "fill_count_fp"
        case remainingCountFP = "remaining_count_fp"
        case initialCountFP = "initial_count_fp"
        case clientOrderID = "client_order_id"
        case lastUpdateReason = "last_update_reason"
    }

    /// What `Codable` reads, from fields already parsed (`WSInbound.fastUserOrder`).
    init(fields: AnswerFields) throws(AnswerReadError) {
        orderID = try fields.required(fields.string("order_id"), "order_id")
        ticker = try fields.required(fields.string("ticker"), "ticker")
        status = try fields.required(fields.enumeration("status", KalshiOrderStatus.self), "status")
        outcomeSide = try fields.required(fields.enumeration("outcome_side", OutcomeSide.self), "outcome_side")
        bookSide = try fields.required(fields.enumeration("book_side", BookSide.self), "book_side")
        yesPriceDollars = try fields.required(fields.fixed("yes_price_dollars", Dollars.self), "yes_price_dollars")
        fillCountFP = try fields.required(fields.fixed("fill_count_fp", Contracts.self), "fill_count_fp")
        remainingCountFP = try fields.required(fields.fixed("remaining_count_fp", Contracts.self), "remaining_count_fp")
        initialCountFP = try fields.required(fields.fixed("initial_count_fp", Contracts.self), "initial_count_fp")
        clientOrderID = try fields.required(fields.string("client_order_id"), "client_order_id")
        lastUpdateReason = try fields.string("last_update_reason")
    }
}

/// `market_position.msg` (private).
public struct WSMarketPosition: Sendable, Hashable, Codable {
    public var marketTicker: String
    public var positionFP: Contracts
    public var positionCostDollars: Dollars
    public var realizedPnlDollars: Dollars
    public var feesPaidDollars: Dollars

    public init(marketTicker: String, position: Contracts, cost: Dollars, realizedPnl: Dollars, feesPaid: Dollars) {
        self.marketTicker = marketTicker
        positionFP = position
        positionCostDollars = cost
        realizedPnlDollars = realizedPnl
        feesPaidDollars = feesPaid
    }

    enum CodingKeys: String, CodingKey {
        case marketTicker = "market_ticker"
        case positionFP = "position_fp"
        case positionCostDollars = "position_cost_dollars"
        case realizedPnlDollars = "realized_pnl_dollars"
        case feesPaidDollars = "fees_paid_dollars"
    }
}

/// `market_lifecycle_v2.msg`.
public struct WSMarketLifecycle: Sendable, Hashable, Codable {
    /// `created`, `activated`, `deactivated`, `close_date_updated`, `determined`, `settled`,
    /// `price_level_structure_updated`, `metadata_updated`.
    public var eventType: String
    public var marketTicker: String
    public var result: String?
    public var priceLevelStructure: String?
    public var priceRanges: [PriceRangeWire]?
    public var isDeactivated: Bool?
    /// A scalar market's settlement value per YES contract (dollars).
    public var settlementValue: Dollars?

    public init(eventType: String, marketTicker: String, result: String? = nil, priceLevelStructure: String? = nil,
                priceRanges: [PriceRangeWire]? = nil, isDeactivated: Bool? = nil, settlementValue: Dollars? = nil) {
        self.eventType = eventType
        self.marketTicker = marketTicker
        self.result = result
        self.settlementValue = settlementValue
        self.priceLevelStructure = priceLevelStructure
        self.priceRanges = priceRanges
        self.isDeactivated = isDeactivated
    }

    enum CodingKeys: String, CodingKey {
        case result
        case eventType = "event_type"
        case marketTicker = "market_ticker"
        case priceLevelStructure = "price_level_structure"
        case priceRanges = "price_ranges"
        case isDeactivated = "is_deactivated"
        case settlementValue = "settlement_value"
    }

    /// What one YES contract is worth, once the event says the market has a result.
    public var settlementYesValue: Dollars? { KalshiSettlement.yesValue(result: result, settlementValue: settlementValue) }
}
