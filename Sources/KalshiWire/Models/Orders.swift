import Foundation
import Markets

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

extension CreateOrderV2Request {
    /// The JSON body, written directly: the object `KalshiJSON.encoder()` writes for it (same keys,
    /// values and types, nil fields left out; keys in declaration order), at a third of the cost on the
    /// order's hot path (`OrderEntry`: 3 µs against `JSONEncoder`'s 9 µs, with warm caches).
    public var jsonBody: Data {
        var out = JSONObjectWriter()
        out.string("ticker", ticker)
        if let clientOrderID { out.string("client_order_id", clientOrderID) }
        out.string("side", side.rawValue)
        out.string("count", count.wireString)
        out.string("price", price.wireString)
        out.string("time_in_force", timeInForce.rawValue)
        out.string("self_trade_prevention_type", selfTradePreventionType.rawValue)
        if let expirationTime { out.raw("expiration_time", expirationTime) }
        if let postOnly { out.raw("post_only", postOnly) }
        if let reduceOnly { out.raw("reduce_only", reduceOnly) }
        if let cancelOrderOnPause { out.raw("cancel_order_on_pause", cancelOrderOnPause) }
        if let subaccount { out.raw("subaccount", subaccount) }
        if let orderGroupID { out.string("order_group_id", orderGroupID) }
        if let exchangeIndex { out.raw("exchange_index", exchangeIndex) }
        return Data(out.finish())
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

    /// Reads the answer to every order with the project's JSON reader (`JSONDecoder` was the largest step of
    /// an order's answer on the client): what `Codable` accepts, the same fields required, numbers exact.
    public init(json body: Data) throws(AnswerReadError) {
        let fields = try AnswerFields(body)
        orderID = try fields.required(fields.string("order_id"), "order_id")
        clientOrderID = try fields.string("client_order_id")
        fillCount = try fields.required(fields.fixed("fill_count", Contracts.self), "fill_count")
        remainingCount = try fields.required(fields.fixed("remaining_count", Contracts.self), "remaining_count")
        averageFillPrice = try fields.fixed("average_fill_price", Dollars.self)
        averageFeePaid = try fields.fixed("average_fee_paid", Dollars.self)
        tsMs = try fields.required(fields.integer("ts_ms"), "ts_ms")
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

/// `DELETE /portfolio/events/orders/{id}` → `CancelOrderV2Response`.
public struct CancelOrderV2Response: Hashable, Sendable, Codable {
    public var orderID: String
    public var clientOrderID: String?
    /// The remaining count at cancel time.
    public var reducedBy: Contracts
    public var tsMs: Int64

    public init(orderID: String, clientOrderID: String?, reducedBy: Contracts, tsMs: Int64) {
        self.orderID = orderID
        self.clientOrderID = clientOrderID
        self.reducedBy = reducedBy
        self.tsMs = tsMs
    }

    enum CodingKeys: String, CodingKey {
        case orderID = "order_id"
        case clientOrderID = "client_order_id"
        case reducedBy = "reduced_by"
        case tsMs = "ts_ms"
    }
}

/// `POST /portfolio/events/orders/{id}/amend` body. `count` = already filled + desired remaining.
public struct AmendOrderV2Request: Hashable, Sendable, Codable {
    public var ticker: String
    public var side: BookSide
    public var price: Price
    public var count: Contracts
    public var clientOrderID: String?
    public var updatedClientOrderID: String?
    public var exchangeIndex: Int?

    public init(ticker: String, side: BookSide, price: Price, count: Contracts, clientOrderID: String? = nil,
                updatedClientOrderID: String? = nil, exchangeIndex: Int? = nil) {
        self.ticker = ticker
        self.side = side
        self.price = price
        self.count = count
        self.clientOrderID = clientOrderID
        self.updatedClientOrderID = updatedClientOrderID
        self.exchangeIndex = exchangeIndex
    }

    enum CodingKeys: String, CodingKey {
        case ticker, side, price, count
        case clientOrderID = "client_order_id"
        case updatedClientOrderID = "updated_client_order_id"
        case exchangeIndex = "exchange_index"
    }
}

public struct AmendOrderV2Response: Hashable, Sendable, Codable {
    public var orderID: String
    public var clientOrderID: String?
    public var remainingCount: Contracts?
    public var fillCount: Contracts?
    public var averageFillPrice: Dollars?
    public var averageFeePaid: Dollars?
    public var tsMs: Int64

    public init(orderID: String, clientOrderID: String?, remainingCount: Contracts?, fillCount: Contracts?, tsMs: Int64) {
        self.orderID = orderID
        self.clientOrderID = clientOrderID
        self.remainingCount = remainingCount
        self.fillCount = fillCount
        self.tsMs = tsMs
    }

    enum CodingKeys: String, CodingKey {
        case orderID = "order_id"
        case clientOrderID = "client_order_id"
        case remainingCount = "remaining_count"
        case fillCount = "fill_count"
        case averageFillPrice = "average_fill_price"
        case averageFeePaid = "average_fee_paid"
        case tsMs = "ts_ms"
    }
}

/// `POST /portfolio/events/orders/{id}/decrease`: exactly one of `reduce_by`, `reduce_to`.
public struct DecreaseOrderV2Request: Hashable, Sendable, Codable {
    public var reduceBy: Contracts?
    public var reduceTo: Contracts?
    public var marketTicker: String?
    public var exchangeIndex: Int?

    public init(reduceBy: Contracts? = nil, reduceTo: Contracts? = nil, marketTicker: String?) {
        self.reduceBy = reduceBy
        self.reduceTo = reduceTo
        self.marketTicker = marketTicker
    }

    enum CodingKeys: String, CodingKey {
        case reduceBy = "reduce_by"
        case reduceTo = "reduce_to"
        case marketTicker = "market_ticker"
        case exchangeIndex = "exchange_index"
    }
}

public struct DecreaseOrderV2Response: Hashable, Sendable, Codable {
    public var orderID: String
    public var clientOrderID: String?
    public var remainingCount: Contracts
    public var tsMs: Int64

    public init(orderID: String, clientOrderID: String?, remainingCount: Contracts, tsMs: Int64) {
        self.orderID = orderID
        self.clientOrderID = clientOrderID
        self.remainingCount = remainingCount
        self.tsMs = tsMs
    }

    enum CodingKeys: String, CodingKey {
        case orderID = "order_id"
        case clientOrderID = "client_order_id"
        case remainingCount = "remaining_count"
        case tsMs = "ts_ms"
    }
}

public struct BatchCreateOrdersV2Request: Hashable, Sendable, Codable {
    public var orders: [CreateOrderV2Request]
    public init(orders: [CreateOrderV2Request]) { self.orders = orders }
}

/// One result of a batch create: an order or an error, inside a 2xx response.
public struct BatchCreateOrderV2Result: Hashable, Sendable, Codable {
    public var orderID: String?
    public var clientOrderID: String?
    public var fillCount: Contracts?
    public var remainingCount: Contracts?
    public var averageFillPrice: Dollars?
    public var averageFeePaid: Dollars?
    public var tsMs: Int64?
    public var error: KalshiErrorBody?

    public init(orderID: String?, clientOrderID: String?, fillCount: Contracts?, remainingCount: Contracts?,
                averageFillPrice: Dollars?, averageFeePaid: Dollars?, tsMs: Int64?, error: KalshiErrorBody?) {
        self.orderID = orderID
        self.clientOrderID = clientOrderID
        self.fillCount = fillCount
        self.remainingCount = remainingCount
        self.averageFillPrice = averageFillPrice
        self.averageFeePaid = averageFeePaid
        self.tsMs = tsMs
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case error
        case orderID = "order_id"
        case clientOrderID = "client_order_id"
        case fillCount = "fill_count"
        case remainingCount = "remaining_count"
        case averageFillPrice = "average_fill_price"
        case averageFeePaid = "average_fee_paid"
        case tsMs = "ts_ms"
    }
}

public struct BatchCreateOrdersV2Response: Hashable, Sendable, Codable {
    public var orders: [BatchCreateOrderV2Result]
    public init(orders: [BatchCreateOrderV2Result]) { self.orders = orders }
}

public struct BatchCancelOrderV2Item: Hashable, Sendable, Codable {
    public var orderID: String
    public var marketTicker: String?
    public var exchangeIndex: Int?
    public init(orderID: String, marketTicker: String?) {
        self.orderID = orderID
        self.marketTicker = marketTicker
    }
    enum CodingKeys: String, CodingKey {
        case orderID = "order_id"
        case marketTicker = "market_ticker"
        case exchangeIndex = "exchange_index"
    }
}

public struct BatchCancelOrdersV2Request: Hashable, Sendable, Codable {
    public var orders: [BatchCancelOrderV2Item]
    public init(orders: [BatchCancelOrderV2Item]) { self.orders = orders }
}

public struct BatchCancelOrderV2Result: Hashable, Sendable, Codable {
    public var orderID: String
    public var clientOrderID: String?
    public var reducedBy: Contracts
    public var tsMs: Int64?
    public var error: KalshiErrorBody?

    public init(orderID: String, clientOrderID: String?, reducedBy: Contracts, tsMs: Int64?, error: KalshiErrorBody?) {
        self.orderID = orderID
        self.clientOrderID = clientOrderID
        self.reducedBy = reducedBy
        self.tsMs = tsMs
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case error
        case orderID = "order_id"
        case clientOrderID = "client_order_id"
        case reducedBy = "reduced_by"
        case tsMs = "ts_ms"
    }
}

public struct BatchCancelOrdersV2Response: Hashable, Sendable, Codable {
    public var orders: [BatchCancelOrderV2Result]
    public init(orders: [BatchCancelOrderV2Result]) { self.orders = orders }
}
