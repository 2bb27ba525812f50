import Crypto
import Foundation
import Markets

/// Polymarket CLOB REST bodies (polymarket-clob-openapi.yaml, py-clob-client-v2): what the client decodes and
/// the simulator encodes. Prices and sizes stay strings as the venue sends them (parsed exactly where used).

/// `{price, size}` of one book level.
public struct PolyLevel: Codable, Hashable, Sendable {
    public var price: String
    public var size: String
    public init(price: String, size: String) {
        self.price = price
        self.size = size
    }
}

/// `OrderBookSummary` (`GET /book`, `POST /books`): bids ascending and asks descending (best last in both).
public struct PolyBookSummary: Codable, Hashable, Sendable {
    public var market: String
    public var assetID: String
    public var timestamp: String
    public var hash: String
    public var bids: [PolyLevel]
    public var asks: [PolyLevel]
    public var minOrderSize: String
    public var tickSize: String
    public var negRisk: Bool
    public var lastTradePrice: String

    public init(market: String, assetID: String, timestamp: String, hash: String, bids: [PolyLevel], asks: [PolyLevel], minOrderSize: String,
                tickSize: String, negRisk: Bool, lastTradePrice: String) {
        self.market = market
        self.assetID = assetID
        self.timestamp = timestamp
        self.hash = hash
        self.bids = bids
        self.asks = asks
        self.minOrderSize = minOrderSize
        self.tickSize = tickSize
        self.negRisk = negRisk
        self.lastTradePrice = lastTradePrice
    }

    enum CodingKeys: String, CodingKey {
        case market, timestamp, hash, bids, asks
        case assetID = "asset_id"
        case minOrderSize = "min_order_size"
        case tickSize = "tick_size"
        case negRisk = "neg_risk"
        case lastTradePrice = "last_trade_price"
    }

    /// The venue's book hash (py-clob-client-v2 `generate_orderbook_summary_hash`): SHA-1 of the compact
    /// JSON of the summary, keys in this order, with `hash` empty.
    public var computedHash: String {
        func levels(_ levels: [PolyLevel]) -> String {
            "[" + levels.map { "{\"price\":\"\(JSONString.escaped($0.price))\",\"size\":\"\(JSONString.escaped($0.size))\"}" }.joined(separator: ",") + "]"
        }
        let payload = "{\"market\":\"\(JSONString.escaped(market))\",\"asset_id\":\"\(JSONString.escaped(assetID))\",\"timestamp\":\"\(JSONString.escaped(timestamp))\","
            + "\"hash\":\"\",\"bids\":\(levels(bids)),\"asks\":\(levels(asks)),\"min_order_size\":\"\(JSONString.escaped(minOrderSize))\","
            + "\"tick_size\":\"\(JSONString.escaped(tickSize))\",\"neg_risk\":\(negRisk),\"last_trade_price\":\"\(JSONString.escaped(lastTradePrice))\"}"
        return Hex.encode(Array(Insecure.SHA1.hash(data: Array(payload.utf8))), prefix: false)
    }
}

/// `SendOrderResponse` of `POST /order` (one element of `POST /orders`).
public struct PolyOrderResponse: Codable, Hashable, Sendable {
    public var success: Bool
    public var errorMsg: String?
    public var orderID: String
    /// `matched`, `live`, `delayed`, `unmatched` (lower case).
    public var status: String
    public var makingAmount: String?
    public var takingAmount: String?
    public var transactionsHashes: [String]?
    public var tradeIDs: [String]?

    public init(success: Bool, errorMsg: String?, orderID: String, status: String, makingAmount: String?, takingAmount: String?,
                transactionsHashes: [String]?, tradeIDs: [String]?) {
        self.success = success
        self.errorMsg = errorMsg
        self.orderID = orderID
        self.status = status
        self.makingAmount = makingAmount
        self.takingAmount = takingAmount
        self.transactionsHashes = transactionsHashes
        self.tradeIDs = tradeIDs
    }
}

/// `{"error": "…"}`: every Polymarket error body.
public struct PolyErrorBody: Codable, Hashable, Sendable {
    public var error: String
    public init(error: String) { self.error = error }
}

/// `CancelOrdersResponse`.
public struct PolyCancelResponse: Codable, Hashable, Sendable {
    public var canceled: [String]
    public var notCanceled: [String: String]

    public init(canceled: [String], notCanceled: [String: String]) {
        self.canceled = canceled
        self.notCanceled = notCanceled
    }

    enum CodingKeys: String, CodingKey {
        case canceled
        case notCanceled = "not_canceled"
    }
}

/// `OpenOrder` (`GET /data/order/{id}`, `GET /data/orders`).
public struct PolyOpenOrder: Codable, Hashable, Sendable {
    public var id: String
    /// `LIVE`, `MATCHED`, `CANCELED`, `DELAYED`, `UNMATCHED`.
    public var status: String
    public var owner: String
    public var makerAddress: String
    public var market: String
    public var assetID: String
    public var side: String
    /// Shares, 6-decimal base units as text.
    public var originalSize: String
    public var sizeMatched: String
    public var price: String
    public var outcome: String
    public var expiration: String
    public var orderType: String
    public var associateTrades: [String]?
    public var createdAt: Int64

    public init(id: String, status: String, owner: String, makerAddress: String, market: String, assetID: String, side: String,
                originalSize: String, sizeMatched: String, price: String, outcome: String, expiration: String, orderType: String,
                associateTrades: [String]?, createdAt: Int64) {
        self.id = id
        self.status = status
        self.owner = owner
        self.makerAddress = makerAddress
        self.market = market
        self.assetID = assetID
        self.side = side
        self.originalSize = originalSize
        self.sizeMatched = sizeMatched
        self.price = price
        self.outcome = outcome
        self.expiration = expiration
        self.orderType = orderType
        self.associateTrades = associateTrades
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, status, owner, market, side, price, outcome, expiration
        case makerAddress = "maker_address"
        case assetID = "asset_id"
        case originalSize = "original_size"
        case sizeMatched = "size_matched"
        case orderType = "order_type"
        case associateTrades = "associate_trades"
        case createdAt = "created_at"
    }
}

/// A page of `data` with a cursor (`OrdersResponse`, `TradesResponse`). `next_cursor` "LTE=" ends the list.
public struct PolyPage<Item: Codable & Sendable & Hashable>: Codable, Hashable, Sendable {
    public var limit: Int
    public var nextCursor: String
    public var count: Int
    public var data: [Item]

    public init(limit: Int, nextCursor: String, count: Int, data: [Item]) {
        self.limit = limit
        self.nextCursor = nextCursor
        self.count = count
        self.data = data
    }

    public static var endCursor: String { "LTE=" }

    enum CodingKeys: String, CodingKey {
        case limit, count, data
        case nextCursor = "next_cursor"
    }
}

/// One maker order a trade matched.
public struct PolyMakerOrder: Codable, Hashable, Sendable {
    public var orderID: String
    public var owner: String
    public var makerAddress: String?
    public var matchedAmount: String
    public var price: String
    public var assetID: String
    public var outcome: String?

    public init(orderID: String, owner: String, makerAddress: String?, matchedAmount: String, price: String, assetID: String, outcome: String?) {
        self.orderID = orderID
        self.owner = owner
        self.makerAddress = makerAddress
        self.matchedAmount = matchedAmount
        self.price = price
        self.assetID = assetID
        self.outcome = outcome
    }

    enum CodingKeys: String, CodingKey {
        case owner, price, outcome
        case orderID = "order_id"
        case makerAddress = "maker_address"
        case matchedAmount = "matched_amount"
        case assetID = "asset_id"
    }
}

/// `Trade` (`GET /data/trades`) and the user channel's `trade` event share these fields.
public struct PolyTrade: Codable, Hashable, Sendable {
    public var id: String
    public var takerOrderID: String
    public var market: String
    public var assetID: String
    public var side: String
    /// Shares as a decimal string ("10", "12.5").
    public var size: String
    public var price: String
    /// `MATCHED`, `MINED`, `CONFIRMED`, `RETRYING`, `FAILED` (REST may prefix `TRADE_STATUS_`).
    public var status: String
    public var matchTime: String
    public var lastUpdate: String
    public var outcome: String
    public var owner: String
    public var makerAddress: String
    /// `TAKER` or `MAKER`: which side of the trade the owner was.
    public var traderSide: String
    public var feeRateBps: String?
    public var transactionHash: String?
    public var makerOrders: [PolyMakerOrder]
    public var bucketIndex: Int?

    public init(id: String, takerOrderID: String, market: String, assetID: String, side: String, size: String, price: String, status: String,
                matchTime: String, lastUpdate: String, outcome: String, owner: String, makerAddress: String, traderSide: String,
                feeRateBps: String?, transactionHash: String?, makerOrders: [PolyMakerOrder], bucketIndex: Int? = 0) {
        self.id = id
        self.takerOrderID = takerOrderID
        self.market = market
        self.assetID = assetID
        self.side = side
        self.size = size
        self.price = price
        self.status = status
        self.matchTime = matchTime
        self.lastUpdate = lastUpdate
        self.outcome = outcome
        self.owner = owner
        self.makerAddress = makerAddress
        self.traderSide = traderSide
        self.feeRateBps = feeRateBps
        self.transactionHash = transactionHash
        self.makerOrders = makerOrders
        self.bucketIndex = bucketIndex
    }

    enum CodingKeys: String, CodingKey {
        case id, market, side, size, price, status, outcome, owner
        case takerOrderID = "taker_order_id"
        case assetID = "asset_id"
        case matchTime = "match_time"
        case lastUpdate = "last_update"
        case makerAddress = "maker_address"
        case traderSide = "trader_side"
        case feeRateBps = "fee_rate_bps"
        case transactionHash = "transaction_hash"
        case makerOrders = "maker_orders"
        case bucketIndex = "bucket_index"
    }

    /// The status without the REST prefix: `MATCHED`, `MINED`, `CONFIRMED`, `RETRYING`, `FAILED`.
    public var plainStatus: String { status.hasPrefix("TRADE_STATUS_") ? String(status.dropFirst(13)) : status }
}

/// `GET /balance-allowance`: `balance` in 6-decimal base units as text.
public struct PolyBalanceAllowance: Codable, Hashable, Sendable {
    public var balance: String
    public var allowances: [String: String]
    public init(balance: String, allowances: [String: String]) {
        self.balance = balance
        self.allowances = allowances
    }
}

/// `ApiKeyResponse`.
public struct PolyAPIKeyResponse: Codable, Hashable, Sendable {
    public var apiKey: String
    public var secret: String
    public var passphrase: String
    public init(apiKey: String, secret: String, passphrase: String) {
        self.apiKey = apiKey
        self.secret = secret
        self.passphrase = passphrase
    }
}

/// `GET /tick-size`, `GET /neg-risk`, `GET /fee-rate`.
public struct PolyTickSizeResponse: Codable, Hashable, Sendable {
    public var minimumTickSize: Double
    public init(minimumTickSize: Double) { self.minimumTickSize = minimumTickSize }
    enum CodingKeys: String, CodingKey { case minimumTickSize = "minimum_tick_size" }
}

public struct PolyNegRiskResponse: Codable, Hashable, Sendable {
    public var negRisk: Bool
    public init(negRisk: Bool) { self.negRisk = negRisk }
    enum CodingKeys: String, CodingKey { case negRisk = "neg_risk" }
}

public struct PolyFeeRateResponse: Codable, Hashable, Sendable {
    public var baseFee: Int64
    public init(baseFee: Int64) { self.baseFee = baseFee }
    enum CodingKeys: String, CodingKey { case baseFee = "base_fee" }
}

/// A Gamma market (market discovery). `outcomes` and `clobTokenIds` are JSON arrays encoded as strings.
public struct GammaMarket: Codable, Hashable, Sendable {
    public var id: String
    public var question: String
    public var conditionId: String
    public var slug: String
    public var outcomes: String
    public var clobTokenIds: String?
    /// V2 markets: a real array of decimal token ids.
    public var positionIds: [String]?
    public var version: String?
    public var active: Bool
    public var closed: Bool
    public var enableOrderBook: Bool?
    public var negRisk: Bool?
    public var orderPriceMinTickSize: Double?
    public var orderMinSize: Double?
    public var endDate: String?
    public var umaResolutionStatus: String?
    /// The winning outcome's price per outcome once resolved (`["1","0"]`), as a JSON string.
    public var outcomePrices: String?

    public init(id: String, question: String, conditionId: String, slug: String, outcomes: String, clobTokenIds: String?, positionIds: [String]? = nil,
                version: String? = nil, active: Bool, closed: Bool, enableOrderBook: Bool?, negRisk: Bool?, orderPriceMinTickSize: Double?,
                orderMinSize: Double?, endDate: String?, umaResolutionStatus: String? = nil, outcomePrices: String? = nil) {
        self.id = id
        self.question = question
        self.conditionId = conditionId
        self.slug = slug
        self.outcomes = outcomes
        self.clobTokenIds = clobTokenIds
        self.positionIds = positionIds
        self.version = version
        self.active = active
        self.closed = closed
        self.enableOrderBook = enableOrderBook
        self.negRisk = negRisk
        self.orderPriceMinTickSize = orderPriceMinTickSize
        self.orderMinSize = orderMinSize
        self.endDate = endDate
        self.umaResolutionStatus = umaResolutionStatus
        self.outcomePrices = outcomePrices
    }

    /// Token ids by outcome label, taken from the labels (never from array position alone): `v2` markets
    /// use `positionIds`, the others the JSON string `clobTokenIds`. `nil` when the two arrays disagree
    /// in length or cannot be read.
    public var tokensByOutcome: [String: String]? {
        guard let labels = try? JSONDecoder().decode([String].self, from: Data(outcomes.utf8)), let ids = tokenIDs, ids.count == labels.count else {
            return nil
        }
        return Dictionary(zip(labels.map { $0.lowercased() }, ids), uniquingKeysWith: { first, _ in first })
    }

    /// The token ids in the order of `outcomes` (and of `outcomePrices`): `positionIds` on `v2` markets,
    /// else the JSON string `clobTokenIds`; `nil` when unreadable.
    public var tokenIDs: [String]? {
        if version == "v2", let positionIds { return positionIds }
        return clobTokenIds.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
    }

    /// A closed market's tokens with what each resolved to (a price of 1 or 0 in `outcomePrices`); empty
    /// while the market is open or its prices are anything else.
    public var resolvedPrices: [(token: String, micros: Int64)] {
        guard closed, let text = outcomePrices, let prices = try? JSONDecoder().decode([String].self, from: Data(text.utf8)),
              let ids = tokenIDs, ids.count == prices.count else { return [] }
        return zip(ids, prices).compactMap { id, price in
            guard let micros = PolyDecimal.micros(price), micros == 0 || micros == 1_000_000 else { return nil }
            return (id, micros)
        }
    }
}
