import Foundation
import Markets

/// `OrderStatus`; WebSocket `user_orders` may also send `unknown`.
public enum KalshiOrderStatus: String, Hashable, Sendable, Codable {
    case resting, canceled, executed, unknown
}

/// `Order` (OAS 3.31.0).
public struct KalshiOrder: Hashable, Sendable, Codable {
    public var orderID: String
    public var userID: String
    public var clientOrderID: String
    public var ticker: String
    public var outcomeSide: OutcomeSide
    public var bookSide: BookSide
    public var type: String
    public var status: KalshiOrderStatus
    public var yesPriceDollars: Dollars
    public var noPriceDollars: Dollars
    public var fillCountFP: Contracts
    public var remainingCountFP: Contracts
    public var initialCountFP: Contracts
    public var takerFeesDollars: Dollars
    public var makerFeesDollars: Dollars
    public var takerFillCostDollars: Dollars
    public var makerFillCostDollars: Dollars
    public var createdTime: String?
    public var lastUpdateTime: String?
    public var expirationTime: String?
    public var exchangeIndex: Int?

    public init(orderID: String, userID: String, clientOrderID: String, ticker: String, bookSide: BookSide, status: KalshiOrderStatus,
                yesPrice: Price, initialCount: Contracts, fillCount: Contracts, remainingCount: Contracts,
                takerFees: Dollars = .zero, makerFees: Dollars = .zero, takerFillCost: Dollars = .zero, makerFillCost: Dollars = .zero,
                createdTime: String? = nil, lastUpdateTime: String? = nil) {
        self.orderID = orderID
        self.userID = userID
        self.clientOrderID = clientOrderID
        self.ticker = ticker
        self.bookSide = bookSide
        outcomeSide = bookSide == .bid ? .yes : .no
        type = "limit"
        self.status = status
        yesPriceDollars = yesPrice.dollars
        noPriceDollars = yesPrice.complement.dollars
        initialCountFP = initialCount
        fillCountFP = fillCount
        remainingCountFP = remainingCount
        takerFeesDollars = takerFees
        makerFeesDollars = makerFees
        takerFillCostDollars = takerFillCost
        makerFillCostDollars = makerFillCost
        self.createdTime = createdTime
        self.lastUpdateTime = lastUpdateTime
    }

    enum CodingKeys: String, CodingKey {
        case ticker, type, status
        case orderID = "order_id"
        case userID = "user_id"
        case clientOrderID = "client_order_id"
        case outcomeSide = "outcome_side"
        case bookSide = "book_side"
        case yesPriceDollars = "yes_price_dollars"
        case noPriceDollars = "no_price_dollars"
        case fillCountFP = "fill_count_fp"
        case remainingCountFP = "remaining_count_fp"
        case initialCountFP = "initial_count_fp"
        case takerFeesDollars = "taker_fees_dollars"
        case makerFeesDollars = "maker_fees_dollars"
        case takerFillCostDollars = "taker_fill_cost_dollars"
        case makerFillCostDollars = "maker_fill_cost_dollars"
        case createdTime = "created_time"
        case lastUpdateTime = "last_update_time"
        case expirationTime = "expiration_time"
        case exchangeIndex = "exchange_index"
    }
}

public struct GetOrdersResponse: Hashable, Sendable, Codable {
    public var orders: [KalshiOrder]
    public var cursor: String?
    public init(orders: [KalshiOrder], cursor: String?) {
        self.orders = orders
        self.cursor = cursor
    }
}

public struct GetOrderResponse: Hashable, Sendable, Codable {
    public var order: KalshiOrder
    public init(order: KalshiOrder) { self.order = order }
}

/// `Fill` (OAS 3.31.0). `fill_id` equals `trade_id`; join to orders by `order_id`.
public struct KalshiFill: Hashable, Sendable, Codable {
    public var fillID: String
    public var tradeID: String
    public var orderID: String
    public var ticker: String
    public var marketTicker: String
    public var outcomeSide: OutcomeSide
    public var bookSide: BookSide
    public var countFP: Contracts
    public var yesPriceDollars: Dollars
    public var noPriceDollars: Dollars
    public var isTaker: Bool
    public var feeCost: Dollars
    public var exchangeIndex: Int
    public var createdTime: String?
    public var ts: Int64?

    public init(fillID: String, orderID: String, ticker: String, bookSide: BookSide, count: Contracts, yesPrice: Price,
                isTaker: Bool, feeCost: Dollars, createdTime: String?, ts: Int64?) {
        self.fillID = fillID
        tradeID = fillID
        self.orderID = orderID
        self.ticker = ticker
        marketTicker = ticker
        self.bookSide = bookSide
        outcomeSide = bookSide == .bid ? .yes : .no
        countFP = count
        yesPriceDollars = yesPrice.dollars
        noPriceDollars = yesPrice.complement.dollars
        self.isTaker = isTaker
        self.feeCost = feeCost
        exchangeIndex = 0
        self.createdTime = createdTime
        self.ts = ts
    }

    enum CodingKeys: String, CodingKey {
        case ticker, ts
        case fillID = "fill_id"
        case tradeID = "trade_id"
        case orderID = "order_id"
        case marketTicker = "market_ticker"
        case outcomeSide = "outcome_side"
        case bookSide = "book_side"
        case countFP = "count_fp"
        case yesPriceDollars = "yes_price_dollars"
        case noPriceDollars = "no_price_dollars"
        case isTaker = "is_taker"
        case feeCost = "fee_cost"
        case exchangeIndex = "exchange_index"
        case createdTime = "created_time"
    }
}

public struct GetFillsResponse: Hashable, Sendable, Codable {
    public var fills: [KalshiFill]
    public var cursor: String?
    public init(fills: [KalshiFill], cursor: String?) {
        self.fills = fills
        self.cursor = cursor
    }
}

/// `MarketPosition`: `position_fp` is signed (+ YES, − NO).
public struct KalshiMarketPosition: Hashable, Sendable, Codable {
    public var ticker: String
    public var exchangeIndex: Int
    public var totalTradedDollars: Dollars
    public var positionFP: Contracts
    public var marketExposureDollars: Dollars
    public var realizedPnlDollars: Dollars
    public var feesPaidDollars: Dollars
    /// RFC 3339 string (not an integer).
    public var lastUpdatedTs: String

    public init(ticker: String, position: Contracts, totalTraded: Dollars, exposure: Dollars, realizedPnl: Dollars,
                feesPaid: Dollars, lastUpdated: String) {
        self.ticker = ticker
        exchangeIndex = 0
        totalTradedDollars = totalTraded
        positionFP = position
        marketExposureDollars = exposure
        realizedPnlDollars = realizedPnl
        feesPaidDollars = feesPaid
        lastUpdatedTs = lastUpdated
    }

    enum CodingKeys: String, CodingKey {
        case ticker
        case exchangeIndex = "exchange_index"
        case totalTradedDollars = "total_traded_dollars"
        case positionFP = "position_fp"
        case marketExposureDollars = "market_exposure_dollars"
        case realizedPnlDollars = "realized_pnl_dollars"
        case feesPaidDollars = "fees_paid_dollars"
        case lastUpdatedTs = "last_updated_ts"
    }
}

/// `EventPosition`.
public struct KalshiEventPosition: Hashable, Sendable, Codable {
    public var eventTicker: String
    public var totalCostDollars: Dollars
    public var totalCostSharesFP: Contracts
    public var eventExposureDollars: Dollars
    public var realizedPnlDollars: Dollars
    public var feesPaidDollars: Dollars

    public init(eventTicker: String, totalCost: Dollars, totalCostShares: Contracts, exposure: Dollars, realizedPnl: Dollars, feesPaid: Dollars) {
        self.eventTicker = eventTicker
        totalCostDollars = totalCost
        totalCostSharesFP = totalCostShares
        eventExposureDollars = exposure
        realizedPnlDollars = realizedPnl
        feesPaidDollars = feesPaid
    }

    enum CodingKeys: String, CodingKey {
        case eventTicker = "event_ticker"
        case totalCostDollars = "total_cost_dollars"
        case totalCostSharesFP = "total_cost_shares_fp"
        case eventExposureDollars = "event_exposure_dollars"
        case realizedPnlDollars = "realized_pnl_dollars"
        case feesPaidDollars = "fees_paid_dollars"
    }
}

public struct GetPositionsResponse: Hashable, Sendable, Codable {
    public var cursor: String?
    public var marketPositions: [KalshiMarketPosition]
    public var eventPositions: [KalshiEventPosition]

    public init(cursor: String?, marketPositions: [KalshiMarketPosition], eventPositions: [KalshiEventPosition]) {
        self.cursor = cursor
        self.marketPositions = marketPositions
        self.eventPositions = eventPositions
    }

    enum CodingKeys: String, CodingKey {
        case cursor
        case marketPositions = "market_positions"
        case eventPositions = "event_positions"
    }
}

/// `GET /portfolio/balance`: `balance` and `portfolio_value` are integer cents; `balance_dollars` exact.
public struct GetBalanceResponse: Hashable, Sendable, Codable {
    public var balance: Int64
    public var balanceDollars: Dollars
    public var portfolioValue: Int64
    public var updatedTs: Int64

    public init(balanceDollars: Dollars, portfolioValueCents: Int64, updatedTs: Int64) {
        balance = balanceDollars.micros / 10_000
        self.balanceDollars = balanceDollars
        portfolioValue = portfolioValueCents
        self.updatedTs = updatedTs
    }

    enum CodingKeys: String, CodingKey {
        case balance
        case balanceDollars = "balance_dollars"
        case portfolioValue = "portfolio_value"
        case updatedTs = "updated_ts"
    }

    /// Reads the answer with the project's JSON reader (`JSONDecoder` was ~14 µs of a GET balance's client
    /// CPU): what `Codable` accepts, the same fields required, the dollar amount exact.
    public init(json body: Data) throws(AnswerReadError) {
        let fields = try AnswerFields(body)
        balance = try fields.required(fields.integer("balance"), "balance")
        balanceDollars = try fields.required(fields.fixed("balance_dollars", Dollars.self), "balance_dollars")
        portfolioValue = try fields.required(fields.integer("portfolio_value"), "portfolio_value")
        updatedTs = try fields.required(fields.integer("updated_ts"), "updated_ts")
    }
}

/// `BucketLimit` and `GET /account/limits`.
public struct BucketLimit: Hashable, Sendable, Codable {
    public var refillRate: Int
    public var bucketCapacity: Int
    public init(refillRate: Int, bucketCapacity: Int) {
        self.refillRate = refillRate
        self.bucketCapacity = bucketCapacity
    }
    enum CodingKeys: String, CodingKey {
        case refillRate = "refill_rate"
        case bucketCapacity = "bucket_capacity"
    }
}

public struct GetAccountApiLimitsResponse: Hashable, Sendable, Codable {
    public var usageTier: String
    public var read: BucketLimit
    public var write: BucketLimit
    public var grants: [ApiUsageLevelGrant]?
    public init(usageTier: String, read: BucketLimit, write: BucketLimit, grants: [ApiUsageLevelGrant]? = nil) {
        self.usageTier = usageTier
        self.read = read
        self.write = write
        self.grants = grants
    }
    enum CodingKeys: String, CodingKey {
        case read, write, grants
        case usageTier = "usage_tier"
    }
}

/// `ApiUsageLevelGrant`: a usage level the account holds on an exchange lane.
public struct ApiUsageLevelGrant: Hashable, Sendable, Codable {
    public var exchangeInstance: String
    public var level: String
    public var source: String
    public var expiresTs: Int64?
    public init(exchangeInstance: String, level: String, source: String, expiresTs: Int64? = nil) {
        self.exchangeInstance = exchangeInstance
        self.level = level
        self.source = source
        self.expiresTs = expiresTs
    }
    enum CodingKeys: String, CodingKey {
        case level, source
        case exchangeInstance = "exchange_instance"
        case expiresTs = "expires_ts"
    }
}
