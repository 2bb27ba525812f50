import Markets

/// One token's book kept exactly as the venue states it: every level's price and size in millionths
/// (the venue's 6-decimal unit) with the text it was sent as (the book hash is computed over that text).
/// `book` snapshots replace it; `price_change` entries set a level's new total (0 removes it).
public struct PolyLocalBook: Sendable, Hashable {
    public struct Level: Sendable, Hashable {
        public var price: Int64
        public var size: Int64
        public var priceText: String
        public var sizeText: String
    }

    public struct Inconsistent: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
    }

    public let assetID: String
    public let market: String
    /// Ascending by price: best bid last.
    public private(set) var bids: [Level] = []
    /// Ascending by price: best ask first.
    public private(set) var asks: [Level] = []
    /// Book metadata the hash covers (from `GET /book`, `tick_size_change`, `last_trade_price`).
    public var minOrderSize = ""
    public var tickSize = ""
    public var negRisk = false
    public var lastTradePrice = ""
    /// Changes applied since the last snapshot.
    public private(set) var version: Int64 = 0

    public init(assetID: String, market: String) {
        self.assetID = assetID
        self.market = market
    }

    /// Replaces every level (a `book` event or `GET /book`).
    public mutating func replace(bids newBids: [PolyLevel], asks newAsks: [PolyLevel]) throws(Inconsistent) {
        bids = try Self.levels(newBids, side: "bid")
        asks = try Self.levels(newAsks, side: "ask")
        version += 1
    }

    /// Adopts a REST summary whole (levels and metadata).
    public mutating func replace(with summary: PolyBookSummary) throws(Inconsistent) {
        try replace(bids: summary.bids, asks: summary.asks)
        minOrderSize = summary.minOrderSize
        tickSize = summary.tickSize
        negRisk = summary.negRisk
        lastTradePrice = summary.lastTradePrice
    }

    private static func levels(_ wire: [PolyLevel], side: String) throws(Inconsistent) -> [Level] {
        var out: [Level] = []
        out.reserveCapacity(wire.count)
        for level in wire {
            guard let price = PolyDecimal.micros(level.price), price > 0, price < 1_000_000 else {
                throw Inconsistent(description: "\(side) price \"\(level.price.prefix(20))\" is not a price in (0, 1)")
            }
            guard let size = PolyDecimal.micros(level.size) else { throw Inconsistent(description: "\(side) size \"\(level.size.prefix(20))\" is not a size") }
            if size == 0 { continue }
            out.append(Level(price: price, size: size, priceText: level.price, sizeText: level.size))
        }
        out.sort { $0.price < $1.price }
        for index in out.indices.dropFirst() where out[index].price == out[index - 1].price {
            throw Inconsistent(description: "\(side) price \(out[index].priceText) appears twice")
        }
        return out
    }

    /// Sets one level to its new total (`side` BUY: a bid level, SELL: an ask level; size 0 removes it).
    public mutating func apply(_ change: PolyPriceChange) throws(Inconsistent) {
        guard let price = PolyDecimal.micros(change.price), price > 0, price < 1_000_000 else {
            throw Inconsistent(description: "price_change price \"\(change.price.prefix(20))\" is not a price in (0, 1)")
        }
        guard let size = PolyDecimal.micros(change.size) else { throw Inconsistent(description: "price_change size \"\(change.size.prefix(20))\" is not a size") }
        switch change.side {
        case "BUY": Self.set(&bids, price: price, size: size, priceText: change.price, sizeText: change.size)
        case "SELL": Self.set(&asks, price: price, size: size, priceText: change.price, sizeText: change.size)
        default: throw Inconsistent(description: "price_change side \"\(change.side.prefix(10))\" is neither BUY nor SELL")
        }
        version += 1
    }

    private static func set(_ levels: inout [Level], price: Int64, size: Int64, priceText: String, sizeText: String) {
        var low = 0, high = levels.count
        while low < high {
            let mid = (low + high) / 2
            if levels[mid].price < price { low = mid + 1 } else { high = mid }
        }
        if low < levels.count, levels[low].price == price {
            if size == 0 { levels.remove(at: low) } else {
                levels[low].size = size
                levels[low].sizeText = sizeText
            }
        } else if size > 0 {
            levels.insert(Level(price: price, size: size, priceText: priceText, sizeText: sizeText), at: low)
        }
    }

    public var bestBid: Int64? { bids.last?.price }
    public var bestAsk: Int64? { asks.first?.price }

    /// Whether the book's best prices are those a `price_change` states (`best_bid`/`best_ask`; an absent
    /// or empty field states nothing, "0"/"1" state an empty side).
    public func agrees(bestBid stated: String?, bestAsk statedAsk: String?) -> Bool {
        func matches(_ text: String?, _ actual: Int64?, empty: Int64) -> Bool {
            guard let text, !text.isEmpty else { return true }
            guard let value = PolyDecimal.micros(text) else { return false }
            return (actual ?? empty) == value
        }
        return matches(stated, bestBid, empty: 0) && matches(statedAsk, bestAsk, empty: 1_000_000)
    }

    /// The summary as `GET /book` would give it now (bids ascending, asks descending: best last), with
    /// the hash the venue computes over it.
    public func summary(timestamp: String) -> PolyBookSummary {
        var summary = PolyBookSummary(market: market, assetID: assetID, timestamp: timestamp, hash: "",
                                      bids: bids.map { PolyLevel(price: $0.priceText, size: $0.sizeText) },
                                      asks: asks.reversed().map { PolyLevel(price: $0.priceText, size: $0.sizeText) },
                                      minOrderSize: minOrderSize, tickSize: tickSize, negRisk: negRisk, lastTradePrice: lastTradePrice)
        summary.hash = summary.computedHash
        return summary
    }

    /// The book in the core's terms (`OrderBook`, keyed by this token): this token's bids as YES bids, its
    /// asks as NO bids at 1 − price. Sizes are floored to the core's hundredths, so the book never shows
    /// more than the venue has.
    public var orderBook: OrderBook {
        func converted(_ levels: [Level], complement: Bool) -> [BookLevel] {
            levels.compactMap { level in
                let hundredths = level.size / 10_000
                guard hundredths > 0, let price = Price(micros: complement ? 1_000_000 - level.price : level.price) else { return nil }
                return BookLevel(price: price, size: Contracts(hundredths: hundredths))
            }
        }
        return (try? OrderBook(ticker: assetID, yesBids: converted(bids, complement: false), noBids: converted(asks, complement: true)))
            ?? OrderBook(ticker: assetID)
    }
}
