import Foundation
import KalshiWire
import Markets

/// What the trader wants, in the trader's terms: `action` on `side` at `price` quoted in that outcome.
public struct OrderIntent: Hashable, Sendable {
    public var ticker: String
    public var action: OrderAction
    public var side: OutcomeSide
    /// Limit price of the traded outcome (a NO price for NO orders).
    public var price: Price
    public var count: Contracts
    public var timeInForce: TimeInForce
    /// Idempotency key, assigned before the order is journaled; retries reuse it.
    public var clientOrderID: String
    public var postOnly = false
    public var reduceOnly = false
    /// Unix seconds; only with `good_till_canceled`.
    public var expirationTime: Int64?
    public var selfTradePrevention: SelfTradePreventionType = .takerAtCross
    /// Shard of the market (`Market.exchange_index`); `nil` auto-routes by ticker.
    public var exchangeIndex: Int?

    public init(ticker: String, action: OrderAction, side: OutcomeSide, price: Price, count: Contracts,
                timeInForce: TimeInForce, clientOrderID: String) {
        self.ticker = ticker
        self.action = action
        self.side = side
        self.price = price
        self.count = count
        self.timeInForce = timeInForce
        self.clientOrderID = clientOrderID
    }
}

/// An order refused before any request was sent. Distinct from a venue rejection.
public struct OrderRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable refusal codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ description: String) { self.description = description }

        public static let offGridPrice = Code("PRICE_OFF_GRID")
        public static let nonPositiveCount = Code("COUNT_NOT_POSITIVE")
        public static let productionHostNotAllowed = Code("PRODUCTION_HOST_NOT_ALLOWED")
        public static let invalidExpiration = Code("INVALID_EXPIRATION")
        public static let invalidTicker = Code("INVALID_TICKER")
    }

    public let code: Code
    /// `key=value` context.
    public let context: String

    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(code): \(context)" }
}

/// Where orders go, and whether that place may be production.
public struct TradingVenue: Hashable, Sendable {
    public let apiURL: URL
    /// True only for live runs. A paper or demo run refuses every order to a production host.
    public let allowsProduction: Bool

    public init(apiURL: URL, allowsProduction: Bool) {
        self.apiURL = apiURL
        self.allowsProduction = allowsProduction
    }

    public var isProduction: Bool { KalshiHosts.isProduction(apiURL) }
}

/// Turns an intent into the V2 wire request, or refuses it before anything is sent.
public struct OrderRequestBuilder: Sendable {
    public let venue: TradingVenue

    public init(venue: TradingVenue) { self.venue = venue }

    /// - Parameter grid: the market's current price grid (`price_ranges`).
    public func request(for intent: OrderIntent, grid: PriceGrid) throws(OrderRefusal) -> CreateOrderV2Request {
        if venue.isProduction, !venue.allowsProduction {
            throw OrderRefusal(.productionHostNotAllowed, "host=\(venue.apiURL.host ?? "") mode=paper")
        }
        guard !intent.ticker.isEmpty, intent.ticker.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "/" && $0 != "?" }) else {
            throw OrderRefusal(.invalidTicker, "ticker=\(intent.ticker)")
        }
        guard intent.count.isPositive else {
            throw OrderRefusal(.nonPositiveCount, "count=\(intent.count.wireString)")
        }
        let quote = KalshiV2Quote(action: intent.action, side: intent.side, price: intent.price)
        guard grid.contains(quote.yesPrice) else {
            throw OrderRefusal(.offGridPrice, "ticker=\(intent.ticker) yes_price=\(quote.yesPrice.wireString) grid=\(grid)")
        }
        if intent.expirationTime != nil, intent.timeInForce != .goodTillCanceled {
            throw OrderRefusal(.invalidExpiration, "expiration_time requires good_till_canceled, got \(intent.timeInForce.rawValue)")
        }
        return CreateOrderV2Request(
            ticker: intent.ticker, clientOrderID: intent.clientOrderID, side: quote.bookSide, count: intent.count,
            price: quote.yesPrice, timeInForce: intent.timeInForce, selfTradePreventionType: intent.selfTradePrevention,
            expirationTime: intent.expirationTime, postOnly: intent.postOnly ? true : nil,
            reduceOnly: intent.reduceOnly ? true : nil, exchangeIndex: intent.exchangeIndex)
    }
}
