import Markets

/// One `[price_dollars, count_fp]` pair of an `orderbook_fp` side (both elements strings on the wire;
/// numbers are tolerated).
public struct PriceLevelFP: Hashable, Sendable, Codable {
    public let price: Price
    public let count: Contracts

    public init(price: Price, count: Contracts) {
        self.price = price
        self.count = count
    }

    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        price = try container.decode(Price.self)
        count = try container.decode(Contracts.self)
        guard container.isAtEnd else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "price level has more than two elements")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(price)
        try container.encode(count)
    }
}

/// `OrderbookCountFp`: resting bids only, each side ascending by price (best bid last).
public struct OrderbookFP: Hashable, Sendable, Codable {
    public let yesDollars: [PriceLevelFP]
    public let noDollars: [PriceLevelFP]

    public init(yesDollars: [PriceLevelFP], noDollars: [PriceLevelFP]) {
        self.yesDollars = yesDollars
        self.noDollars = noDollars
    }

    enum CodingKeys: String, CodingKey {
        case yesDollars = "yes_dollars"
        case noDollars = "no_dollars"
    }

    /// The domain book. Duplicate prices or non-positive sizes are refused (never silently merged).
    public func orderBook(ticker: String) throws(OrderBookError) -> OrderBook {
        try OrderBook(
            ticker: ticker,
            yesBids: yesDollars.map { BookLevel(price: $0.price, size: $0.count) },
            noBids: noDollars.map { BookLevel(price: $0.price, size: $0.count) })
    }

    /// The wire form of a domain book.
    public init(_ book: OrderBook) {
        yesDollars = book.yesBids.map { PriceLevelFP(price: $0.price, count: $0.size) }
        noDollars = book.noBids.map { PriceLevelFP(price: $0.price, count: $0.size) }
    }
}

/// `GET /markets/{ticker}/orderbook` → `{ "orderbook_fp": … }`.
public struct GetMarketOrderbookResponse: Hashable, Sendable, Codable {
    public let orderbookFP: OrderbookFP

    public init(orderbookFP: OrderbookFP) { self.orderbookFP = orderbookFP }

    enum CodingKeys: String, CodingKey { case orderbookFP = "orderbook_fp" }
}

/// `price_ranges` element: `{start, end, step}` dollar strings.
public struct PriceRangeWire: Hashable, Sendable, Codable {
    public let start: String
    public let end: String
    public let step: String

    public init(start: String, end: String, step: String) {
        self.start = start
        self.end = end
        self.step = step
    }

    public init(_ range: PriceRange) {
        self.init(start: range.start.wireString, end: range.end.wireString, step: range.step.wireString)
    }
}

extension PriceGrid {
    /// The grid of a market's `price_ranges`.
    public init(wire ranges: [PriceRangeWire]) throws(PriceGridError) {
        var parsed: [PriceRange] = []
        for range in ranges { parsed.append(try PriceRange(start: range.start, end: range.end, step: range.step)) }
        try self.init(ranges: parsed)
    }
}
