import Foundation

/// Polymarket WebSocket events (market and user channels, polymarket.md §5). A frame holds one event or a
/// JSON array of them; every event names its `event_type`.

/// `book`: a full snapshot of one token's book.
public struct PolyWSBook: Codable, Hashable, Sendable {
    public var eventType: String
    public var assetID: String
    public var market: String
    public var bids: [PolyLevel]
    public var asks: [PolyLevel]
    public var timestamp: String
    public var hash: String

    public init(assetID: String, market: String, bids: [PolyLevel], asks: [PolyLevel], timestamp: String, hash: String) {
        eventType = "book"
        self.assetID = assetID
        self.market = market
        self.bids = bids
        self.asks = asks
        self.timestamp = timestamp
        self.hash = hash
    }

    enum CodingKeys: String, CodingKey {
        case market, bids, asks, timestamp, hash
        case eventType = "event_type"
        case assetID = "asset_id"
    }
}

/// One level change of `price_change`: `size` is the new total at `price` (0 removes the level); `hash`
/// is the book's hash after the change.
public struct PolyPriceChange: Codable, Hashable, Sendable {
    public var assetID: String
    public var price: String
    public var size: String
    /// `BUY` (a bid level) or `SELL` (an ask level).
    public var side: String
    public var hash: String?
    public var bestBid: String?
    public var bestAsk: String?

    public init(assetID: String, price: String, size: String, side: String, hash: String?, bestBid: String?, bestAsk: String?) {
        self.assetID = assetID
        self.price = price
        self.size = size
        self.side = side
        self.hash = hash
        self.bestBid = bestBid
        self.bestAsk = bestAsk
    }

    enum CodingKeys: String, CodingKey {
        case price, size, side, hash
        case assetID = "asset_id"
        case bestBid = "best_bid"
        case bestAsk = "best_ask"
    }
}

public struct PolyWSPriceChange: Codable, Hashable, Sendable {
    public var eventType: String
    public var market: String
    public var priceChanges: [PolyPriceChange]
    public var timestamp: String

    public init(market: String, priceChanges: [PolyPriceChange], timestamp: String) {
        eventType = "price_change"
        self.market = market
        self.priceChanges = priceChanges
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case market, timestamp
        case eventType = "event_type"
        case priceChanges = "price_changes"
    }
}

public struct PolyWSTickSizeChange: Codable, Hashable, Sendable {
    public var eventType: String
    public var assetID: String
    public var market: String
    public var oldTickSize: String
    public var newTickSize: String
    public var timestamp: String

    public init(assetID: String, market: String, oldTickSize: String, newTickSize: String, timestamp: String) {
        eventType = "tick_size_change"
        self.assetID = assetID
        self.market = market
        self.oldTickSize = oldTickSize
        self.newTickSize = newTickSize
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case market, timestamp
        case eventType = "event_type"
        case assetID = "asset_id"
        case oldTickSize = "old_tick_size"
        case newTickSize = "new_tick_size"
    }
}

public struct PolyWSLastTrade: Codable, Hashable, Sendable {
    public var eventType: String
    public var assetID: String
    public var market: String
    public var price: String
    public var side: String
    public var size: String
    public var feeRateBps: String?
    public var timestamp: String

    public init(assetID: String, market: String, price: String, side: String, size: String, feeRateBps: String?, timestamp: String) {
        eventType = "last_trade_price"
        self.assetID = assetID
        self.market = market
        self.price = price
        self.side = side
        self.size = size
        self.feeRateBps = feeRateBps
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case market, price, side, size, timestamp
        case eventType = "event_type"
        case assetID = "asset_id"
        case feeRateBps = "fee_rate_bps"
    }
}

/// The user channel's `order` event: `type` `PLACEMENT`, `UPDATE` or `CANCELLATION`.
public struct PolyWSOrder: Codable, Hashable, Sendable {
    public var eventType: String
    public var id: String
    public var market: String
    public var assetID: String
    public var side: String
    public var price: String
    public var type: String
    public var outcome: String?
    public var owner: String
    /// Shares as decimal strings.
    public var originalSize: String
    public var sizeMatched: String
    public var status: String?
    public var associateTrades: [String]?
    public var timestamp: String

    public init(id: String, market: String, assetID: String, side: String, price: String, type: String, outcome: String?, owner: String,
                originalSize: String, sizeMatched: String, status: String?, associateTrades: [String]?, timestamp: String) {
        eventType = "order"
        self.id = id
        self.market = market
        self.assetID = assetID
        self.side = side
        self.price = price
        self.type = type
        self.outcome = outcome
        self.owner = owner
        self.originalSize = originalSize
        self.sizeMatched = sizeMatched
        self.status = status
        self.associateTrades = associateTrades
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case id, market, side, price, type, outcome, owner, status, timestamp
        case eventType = "event_type"
        case assetID = "asset_id"
        case originalSize = "original_size"
        case sizeMatched = "size_matched"
        case associateTrades = "associate_trades"
    }
}

/// The user channel's `trade` event: a `PolyTrade` with `event_type` and `type`.
public struct PolyWSTrade: Codable, Hashable, Sendable {
    public var eventType: String
    public var type: String
    public var trade: PolyTrade

    public init(trade: PolyTrade) {
        eventType = "trade"
        type = "TRADE"
        self.trade = trade
    }

    enum CodingKeys: String, CodingKey {
        case eventType = "event_type"
        case type
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        eventType = try container.decode(String.self, forKey: .eventType)
        type = try container.decodeIfPresent(String.self, forKey: .type) ?? "TRADE"
        trade = try PolyTrade(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try trade.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventType, forKey: .eventType)
        try container.encode(type, forKey: .type)
    }
}

/// One decoded event of either channel.
public enum PolyWSEvent: Hashable, Sendable {
    case book(PolyWSBook)
    case priceChange(PolyWSPriceChange)
    case tickSizeChange(PolyWSTickSizeChange)
    case lastTrade(PolyWSLastTrade)
    case order(PolyWSOrder)
    case trade(PolyTrade)
    /// An event type this client does not use (`best_bid_ask`, `new_market`, …).
    case other(String)

    private struct Kind: Decodable {
        var eventType: String
        enum CodingKeys: String, CodingKey { case eventType = "event_type" }
    }

    /// One event, its type read first and the rest decoded from the same parse.
    private struct Tagged: Decodable {
        var event: PolyWSEvent

        init(from decoder: any Decoder) throws {
            let kind = try Kind(from: decoder).eventType
            switch kind {
            case "book": event = .book(try PolyWSBook(from: decoder))
            case "price_change": event = .priceChange(try PolyWSPriceChange(from: decoder))
            case "tick_size_change": event = .tickSizeChange(try PolyWSTickSizeChange(from: decoder))
            case "last_trade_price": event = .lastTrade(try PolyWSLastTrade(from: decoder))
            case "order": event = .order(try PolyWSOrder(from: decoder))
            case "trade": event = .trade(try PolyTrade(from: decoder))
            default: event = .other(kind)
            }
        }
    }

    /// Thread-safe once configured (nothing mutates it).
    private static let decoder = JSONDecoder()

    /// Decodes a text frame: one event, or an array of them. One parse of the frame (it used to be parsed
    /// into objects, each re-serialized and decoded twice: 12 % of an arb run's CPU went to the user
    /// channel's events).
    public static func parse(_ data: Data) throws -> [PolyWSEvent] {
        let isArray = data.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 } == UInt8(ascii: "[")
        if isArray { return try decoder.decode([Tagged].self, from: data).map(\.event) }
        return [try decoder.decode(Tagged.self, from: data).event]
    }
}
