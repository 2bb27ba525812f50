import Testing
@testable import Markets

func level(_ price: String, _ size: String) throws -> BookLevel {
    BookLevel(price: try Price(parsing: price), size: try Contracts(parsing: size))
}

@Suite("Order book: bids, implied asks, exact deltas, walks")
struct OrderBookTests {
    static func sample() throws -> OrderBook {
        try OrderBook(ticker: "KX-1",
                      yesBids: [level("0.40", "10"), level("0.42", "5"), level("0.38", "20")],
                      noBids: [level("0.55", "7"), level("0.56", "3")])
    }

    @Test("best bids and implied asks (1 − best opposite bid)")
    func topOfBook() throws {
        let book = try Self.sample()
        #expect(book.bestBid(.yes) == (try level("0.42", "5")))
        #expect(book.bestBid(.no) == (try level("0.56", "3")))
        #expect(book.bestAsk(.yes) == (try level("0.44", "3")))
        #expect(book.bestAsk(.no) == (try level("0.58", "5")))
        #expect(book.asks(.yes) == [try level("0.44", "3"), try level("0.45", "7")])
    }

    @Test("TS-02 a delta cancelling the whole best bid removes the level: no phantom liquidity")
    func cancelAtBest() throws {
        var book = try Self.sample()
        try book.apply(delta: try Contracts(parsing: "-5"), at: try Price(parsing: "0.42"), side: .yes)
        #expect(book.bestBid(.yes) == (try level("0.40", "10")))
        #expect(book.bidSize(.yes, at: try Price(parsing: "0.42")) == .zero)
        #expect(book.yesBids.count == 2)
    }

    @Test("fractional deltas accumulate exactly; new levels insert in order")
    func fractional() throws {
        var book = OrderBook(ticker: "KX-1")
        let p = try Price(parsing: "0.5005")
        for _ in 0..<3 { try book.apply(delta: try Contracts(parsing: "0.01"), at: p, side: .no) }
        try book.apply(delta: try Contracts(parsing: "1.5"), at: try Price(parsing: "0.49"), side: .no)
        #expect(book.noBids == [try level("0.49", "1.50"), try level("0.5005", "0.03")])
        try book.apply(delta: try Contracts(parsing: "-0.03"), at: p, side: .no)
        #expect(book.noBids == [try level("0.49", "1.50")])
    }

    @Test("impossible deltas are errors and leave the book unchanged")
    func impossible() throws {
        var book = try Self.sample()
        let before = book
        #expect(throws: OrderBookError.self) { try book.apply(delta: try Contracts(parsing: "-6"), at: try Price(parsing: "0.42"), side: .yes) }
        #expect(throws: OrderBookError.self) { try book.apply(delta: try Contracts(parsing: "-1"), at: try Price(parsing: "0.30"), side: .yes) }
        #expect(book == before)
        #expect(throws: OrderBookError.self) { try OrderBook(ticker: "X", yesBids: [level("0.4", "1"), level("0.40", "2")], noBids: []) }
        #expect(throws: OrderBookError.self) { try OrderBook(ticker: "X", yesBids: [level("0.4", "0")], noBids: []) }
    }

    @Test("walking the book: cost to buy, proceeds to sell, limits, average price")
    func walks() throws {
        let book = try Self.sample()
        let buy = book.walkToBuy(.yes, count: try Contracts(parsing: "5"))
        #expect(buy.filled == (try Contracts(parsing: "5")))
        #expect(buy.notional == (try Dollars(parsing: "2.22")))  // 3 × 0.44 + 2 × 0.45
        #expect(buy.averagePrice(rounding: .up) == (try Dollars(parsing: "0.444")))
        let limited = book.walkToBuy(.yes, count: try Contracts(parsing: "40"), limit: try Price(parsing: "0.44"))
        #expect(limited.filled == (try Contracts(parsing: "3")))
        let sell = book.walkToSell(.yes, count: try Contracts(parsing: "100"))
        #expect(sell.filled == (try Contracts(parsing: "35")))
        #expect(sell.levels.first == (try level("0.42", "5")))
        let noBuy = book.walkToBuy(.no, count: try Contracts(parsing: "6"), limit: try Price(parsing: "0.60"))
        #expect(noBuy.filled == (try Contracts(parsing: "6")))  // 5 @ 0.58 + 1 @ 0.60
        #expect(noBuy.notional == (try Dollars(parsing: "3.50")))
        #expect(OrderBook(ticker: "E").walkToBuy(.yes, count: try Contracts(parsing: "1")).averagePrice(rounding: .up) == nil)
    }
}
