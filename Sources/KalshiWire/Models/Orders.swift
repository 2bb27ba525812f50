import Markets

/// `time_in_force` of a V2 order.
public enum TimeInForce: String, Hashable, Sendable, Codable, CaseIterable {
    case fillOrKill = "fill_or_kill"
    case goodTillCanceled = "good_till_canceled"
    case immediateOrCancel = "immediate_or_cancel"
}

/// `self_trade_prevention_type`.
public enum SelfTradePreventionType: String, Hashable, Sendable, Codable, CaseIterable {
    /// Cancel the incoming (taker) order when it would cross one's own resting order.
    case takerAtCross = "taker_at_cross"
    /// Cancel one's own resting (maker) order and continue.
    case maker
}

/// `POST /portfolio/events/orders` body (`CreateOrderV2Request`). Prices are YES prices.
public struct CreateOrderV2Request: Hashable, Sendable, Codable {
    public var ticker: String
    public var clientOrderID: String?
    public var side: BookSide
    public var count: Contracts
    public var price: Price
    public var timeInForce: TimeInForce
    public var selfTradePreventionType: SelfTradePreventionType
    /// Unix seconds; only with `good_till_canceled`.
    public var expirationTime: Int64?
    public var postOnly: Bool?
    public var reduceOnly: Bool?
    public var cancelOrderOnPause: Bool?
    public var subaccount: Int?
    public var orderGroupID: String?
    /// Shard; `-1` forces auto-routing, `nil` auto-routes by ticker.
    public var exchangeIndex: Int?

    public init(
        ticker: String, clientOrderID: String?, side: BookSide, count: Contracts, price: Price,
        timeInForce: TimeInForce, selfTradePreventionType: SelfTradePreventionType = .takerAtCross,
        expirationTime: Int64? = nil, postOnly: Bool? = nil, reduceOnly: Bool? = nil, cancelOrderOnPause: Bool? = nil,
        subaccount: Int? = nil, orderGroupID: String? = nil, exchangeIndex: Int? = nil
    ) {
        self.ticker = ticker
        self.clientOrderID = clientOrderID
        self.side = side
        self.count = count
        self.price = price
        self.timeInForce = timeInForce
        self.selfTradePreventionType = selfTradePreventionType
        self.expirationTime = expirationTime
        self.postOnly = postOnly
        self.reduceOnly = reduceOnly
        self.cancelOrderOnPause = cancelOrderOnPause
        self.subaccount = subaccount
        self.orderGroupID = orderGroupID
        self.exchangeIndex = exchangeIndex
    }

    enum CodingKeys: String, CodingKey {
        case ticker, side, count, price
        case clientOrderID = "client_order_id"
        case timeInForce = "time_in_force"
        case selfTradePreventionType = "self_trade_prevention_type"
        case expirationTime = "expiration_time"
        case postOnly = "post_only"
        case reduceOnly = "reduce_only"
        case cancelOrderOnPause = "cancel_order_on_pause"
        case subaccount
        case orderGroupID = "order_group_id"
        case exchangeIndex = "exchange_index"
    }
}

/// `CreateOrderV2Response` (201).
public struct CreateOrderV2Response: Hashable, Sendable, Codable {
    public let orderID: String
    public let clientOrderID: String?
    public let fillCount: Contracts
    public let remainingCount: Contracts
    public let averageFillPrice: Dollars?
    public let averageFeePaid: Dollars?
    public let tsMs: Int64

    public init(orderID: String, clientOrderID: String?, fillCount: Contracts, remainingCount: Contracts,
                averageFillPrice: Dollars?, averageFeePaid: Dollars?, tsMs: Int64) {
        self.orderID = orderID
        self.clientOrderID = clientOrderID
        self.fillCount = fillCount
        self.remainingCount = remainingCount
        self.averageFillPrice = averageFillPrice
        self.averageFeePaid = averageFeePaid
        self.tsMs = tsMs
    }

    enum CodingKeys: String, CodingKey {
        case orderID = "order_id"
        case clientOrderID = "client_order_id"
        case fillCount = "fill_count"
        case remainingCount = "remaining_count"
        case averageFillPrice = "average_fill_price"
        case averageFeePaid = "average_fee_paid"
        case tsMs = "ts_ms"
    }
}

/// Kalshi's error body `{code, message, details}` (every field optional in the spec).
public struct KalshiErrorBody: Hashable, Sendable, Codable {
    public var code: String?
    public var message: String?
    public var details: String?

    public init(code: String?, message: String?, details: String? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }
}
